/**
 * An esbuild plugin that lets tree shaking reach into the AWS SDK clients' schemas (issue #18,
 * docs/decisions/cold-start.md). Each client's schemas (for IoT:
 * `@aws-sdk/client-iot/dist-es/schemas/schemas_0.js`) describe every operation, shape and error of its
 * service; esbuild keeps the whole file because:
 *
 * - its schema literals use computed keys (`{ [_h]: ["GET", "/audit/tasks/{taskId}", 200] }`, `_h`
 *   a module constant), which esbuild must assume may run code (a key's toString), so no schema is
 *   ever dropped; and
 * - every modelled error is registered at load (`n0_registry.registerError(X$, X)`), which keeps each
 *   error's schema and its class (`@aws-sdk/client-iot/dist-es/models/errors.js`).
 *
 * The plugin rewrites each computed key to the string constant it names (same object, same keys), so
 * esbuild drops every schema the bundle does not reach, and registers only the errors the function
 * can meet: those the operations it bundles can raise (each command's `@throws` in the client's own
 * declarations), the service's base exception, and any error named outside the client (code that
 * tests `instanceof` imports the class). An error it leaves out still reaches the caller, as the
 * service's base exception with the error's name (@aws-sdk/core ProtocolLib,
 * getErrorSchemaOrThrowBaseException). Anything the rewrite does not recognise fails the build.
 *
 * Each client's package.json, imported whole for its version alone, is cut to that version.
 *
 * What the function bundles is known only after a first build: `usedOperations` reads it from that
 * build's metafile (the command modules that kept code), `namesOutsideClients` from its inputs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Metafile, Plugin } from 'esbuild';

/** A client package's folder under node_modules, e.g. `@aws-sdk/client-iot`, and the file inside it. */
const CLIENT_FILE = /(?:^|\/)node_modules\/(@aws-sdk\/client-[a-z0-9-]+)\/(.+)$/;
const SCHEMAS_FILE =
  /[\\/]node_modules[\\/]@aws-sdk[\\/]client-[a-z0-9-]+[\\/]dist-es[\\/]schemas[\\/]schemas_0\.js$/;
const PACKAGE_FILE = /[\\/]node_modules[\\/]@aws-sdk[\\/]client-[a-z0-9-]+[\\/]package\.json$/;
const ERRORS_FILE =
  /[\\/]node_modules[\\/]@aws-sdk[\\/]client-[a-z0-9-]+[\\/]dist-es[\\/]models[\\/]errors\.js$/;

/** Operations by client package, from a build's metafile: each command module that kept code. */
export function usedOperations(metafile: Metafile): Map<string, Set<string>> {
  const used = new Map<string, Set<string>>();
  for (const output of Object.values(metafile.outputs))
    for (const [path, input] of Object.entries(output.inputs)) {
      const [, client, file] = CLIENT_FILE.exec(path) ?? [];
      const operation = file && /^dist-es\/commands\/(\w+)Command\.js$/.exec(file)?.[1];
      if (!client || !operation || input.bytesInOutput === 0) continue;
      used.set(client, (used.get(client) ?? new Set()).add(operation));
    }
  return used;
}

/** Identifiers named in the build's inputs outside the SDK clients (an error class a function imports). */
export function namesOutsideClients(metafile: Metafile, root: string): Set<string> {
  const names = new Set<string>();
  for (const path of Object.keys(metafile.inputs)) {
    if (CLIENT_FILE.test(path) || path.startsWith('<') || !/\.(m?[jt]s|json)$/.test(path)) continue;
    const text = readFileSync(path.startsWith('/') ? path : join(root, path), 'utf8');
    for (const [name] of text.matchAll(/\b[A-Z][A-Za-z0-9]*\b/g)) names.add(name);
  }
  return names;
}

/** The errors an operation's command declares (`@throws {@link X}` in its .d.ts), base exception included. */
export function declaredErrors(clientDir: string, operation: string): string[] {
  const declaration = readFileSync(
    join(clientDir, 'dist-types', 'commands', `${operation}Command.d.ts`),
    'utf8',
  );
  const errors = [...declaration.matchAll(/@throws \{@link (\w+)\}/g)].map(([, name]) => name!);
  if (errors.length === 0) throw new Error(`${clientDir}: ${operation}Command declares no @throws`);
  return errors;
}

export interface PrunedSchemas {
  readonly code: string;
  /** The modelled errors still registered, and those left out. */
  readonly kept: readonly string[];
  readonly dropped: readonly string[];
}

/**
 * schemas_N.js with literal keys and only the `keep` errors registered. Throws, naming the file, on
 * anything it does not recognise: a computed key whose constant it cannot find, or no registration.
 */
export function pruneSchemas(file: string, source: string, keep: (error: string) => boolean): PrunedSchemas {
  const constants = new Map<string, string>();
  for (const [, name, value] of source.matchAll(/^const (_\w+) = ("(?:[^"\\]|\\.)*");$/gm))
    constants.set(name!, value!);
  let code = source.replace(/\[(_\w+)\]:/g, (match, name: string) => {
    const value = constants.get(name);
    if (value === undefined) throw new Error(`${file}: computed key ${match} names no string constant`);
    return `${value}:`;
  });
  if (/\[[^\]\n]*\]\s*:/.test(code.replace(/"(?:[^"\\]|\\.)*"/g, '""')))
    throw new Error(`${file}: a computed key the rewrite does not recognise is left`);
  const kept: string[] = [];
  const dropped: string[] = [];
  code = code.replace(/^(\w+)_registry\.registerError\((\w+)\$, (\w+)\);$/gm, (line, _r, schema, ctor) => {
    if (schema !== ctor) throw new Error(`${file}: registration ${line} pairs different names`);
    if (keep(ctor)) {
      kept.push(ctor);
      return line;
    }
    dropped.push(ctor);
    return '';
  });
  if (kept.length + dropped.length === 0 && /registerError/.test(source))
    throw new Error(`${file}: error registrations in a form the rewrite does not recognise`);
  // The dropped errors' classes are no longer imported, so esbuild leaves them out of the bundle.
  code = code.replace(/^import \{([^}]*)\} from "\.\.\/models\/errors";$/m, (_line, names: string) => {
    const imported = names
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== '' && !dropped.includes(name));
    return imported.length > 0 ? `import { ${imported.join(', ')} } from "../models/errors";` : '';
  });
  return { code, kept, dropped };
}

/** errors.js without the classes of the dropped errors (each `export class X extends ...` block). */
export function pruneErrorClasses(file: string, source: string, dropped: ReadonlySet<string>): string {
  const blocks = source.split(/^(?=export class )/m);
  const pruned = blocks.filter((block) => {
    const name = /^export class (\w+) extends /.exec(block)?.[1];
    return name === undefined || !dropped.has(name);
  });
  const left = pruned.join('');
  for (const name of dropped)
    if (new RegExp(`\\b${name}\\b`).test(left))
      throw new Error(`${file}: ${name} is still used after pruning`);
  return left;
}

export interface PruneReport {
  /** Client package -> the errors it registers and those it leaves out. */
  readonly clients: Map<string, { kept: readonly string[]; dropped: readonly string[] }>;
}

/** The plugin: `used` and `named` from a first build of the same entry (usedOperations, namesOutsideClients). */
export function pruneSdkPlugin(
  used: ReadonlyMap<string, ReadonlySet<string>>,
  named: ReadonlySet<string>,
  report: PruneReport = { clients: new Map() },
): Plugin {
  // One decision per client, whichever of its two files esbuild loads first.
  const decisions = new Map<string, PrunedSchemas>();
  const decide = (schemasPath: string): PrunedSchemas => {
    const [, client] = CLIENT_FILE.exec(schemasPath.replaceAll('\\', '/')) ?? [];
    const cached = decisions.get(schemasPath);
    if (cached) return cached;
    const clientDir = dirname(dirname(dirname(schemasPath)));
    const raisable = new Set<string>();
    for (const operation of used.get(client!) ?? [])
      for (const error of declaredErrors(clientDir, operation)) raisable.add(error);
    const pruned = pruneSchemas(
      schemasPath,
      readFileSync(schemasPath, 'utf8'),
      (error) => raisable.has(error) || named.has(error) || error.endsWith('ServiceException'),
    );
    decisions.set(schemasPath, pruned);
    report.clients.set(client!, { kept: pruned.kept, dropped: pruned.dropped });
    return pruned;
  };
  return {
    name: 'prune-sdk',
    setup(build) {
      build.onLoad({ filter: SCHEMAS_FILE }, (args) => ({ contents: decide(args.path).code, loader: 'js' }));
      // A client reads one field of its package.json (packageInfo.version, for the user agent); the
      // rest (scripts, dependencies, 2 KB a client) need not be evaluated at start.
      build.onLoad({ filter: PACKAGE_FILE }, (args) => {
        const { version } = JSON.parse(readFileSync(args.path, 'utf8')) as { version: string };
        return { contents: JSON.stringify({ version }), loader: 'json' };
      });
      build.onLoad({ filter: ERRORS_FILE }, (args) => {
        const schemas = join(dirname(dirname(args.path)), 'schemas', 'schemas_0.js');
        const source = readFileSync(args.path, 'utf8');
        if (!existsSync(schemas)) return { contents: source, loader: 'js' };
        return {
          contents: pruneErrorClasses(args.path, source, new Set(decide(schemas).dropped)),
          loader: 'js',
        };
      });
    },
  };
}
