// Run by tests/template/prune-sdk.test.ts in a child process with a function's environment: imports a
// probe bundle (the function's bundle, pruned, also exporting its SDK clients and the commands it
// uses) and the unpruned SDK packages, and prints, per client, whether every command's operation
// schema is still the package's own (thunks followed) and which errors its client registers.
// Plain JavaScript, so that plain node runs it as Lambda runs the bundle.
import { pathToFileURL } from 'node:url';

/** Structural equality of two schemas, following the thunks (`() => X$`) that link them. */
export function same(a, b, seen = new Map()) {
  if (typeof a === 'function' && typeof b === 'function') {
    if (a.length !== 0 || b.length !== 0) return a.name === b.name;
    return same(a(), b(), seen);
  }
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return Object.is(a, b);
  if (seen.get(a) === b) return true;
  seen.set(a, b);
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => Object.hasOwn(b, key) && same(a[key], b[key], seen));
}

/** The error names a client registers (its protocol's error type registries). */
export function registeredErrors(client) {
  const registries = client.config.protocolSettings?.errorTypeRegistries ?? [];
  return registries.flatMap((registry) => [...registry.schemas.keys()].map((id) => id.split('#')[1]));
}

export async function check({ probe, clients }) {
  const bundle = await import(pathToFileURL(probe).href);
  const result = {};
  for (const { pkg, clientExport, operations } of clients) {
    const real = await import(pkg);
    const config = { region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } };
    const client = new bundle[clientExport](config);
    const schemas = {};
    for (const { operation, exported } of operations)
      schemas[operation] = same(new bundle[exported]({}).schema, new real[`${operation}Command`]({}).schema);
    result[pkg] = { schemas, registered: registeredErrors(client) };
  }
  return result;
}

if (process.argv[1] === new URL(import.meta.url).pathname)
  console.log(JSON.stringify(await check(JSON.parse(process.argv[2]))));
