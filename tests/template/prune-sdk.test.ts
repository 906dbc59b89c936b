/**
 * The SDK pruning plugin (scripts/prune-sdk.ts) keeps what each function can reach: the rewrite of the
 * schemas' computed keys changes no schema; every operation a function bundles keeps its schema as the
 * package has it; every error those operations declare, and every error class the code names, stays
 * registered; anything the rewrite does not recognise fails the build.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DeployedTemplate, parseTemplate, readTemplateText } from '@device-defender-remediation/local-cloud';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import {
  type BuiltFunction,
  buildFunction,
  FUNCTIONS,
  templateFunctionFolders,
} from '../../scripts/build-functions.ts';
import { declaredErrors, pruneErrorClasses, pruneSchemas, pruneSdkPlugin } from '../../scripts/prune-sdk.ts';
import { same } from './sdk-probe-check.mjs';
import { ROOT } from './support.ts';

const require = createRequire(join(ROOT, 'package.json'));
const clientDir = (pkg: string) => dirname(require.resolve(`${pkg}/package.json`));
const CLIENTS = ['@aws-sdk/client-iot', '@aws-sdk/client-ssm', '@aws-sdk/client-sfn', '@aws-sdk/client-sns'];
const schemasFile = (pkg: string) => join(clientDir(pkg), 'dist-es', 'schemas', 'schemas_0.js');
const errorNames = (pkg: string) =>
  [...readFileSync(schemasFile(pkg), 'utf8').matchAll(/registerError\((\w+)\$,/g)].map(([, name]) => name!);

/** One client's schemas module bundled alone, every export kept; pruned (keeping every error) or not. */
async function schemasModule(pkg: string, prune: boolean) {
  const outdir = mkdtempSync(join(tmpdir(), 'ddr-prune-'));
  await build({
    stdin: { contents: `export * from ${JSON.stringify(schemasFile(pkg))};`, resolveDir: ROOT },
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: join(outdir, 'schemas.mjs'),
    logLevel: 'error',
    plugins: prune ? [pruneSdkPlugin(new Map(), new Set(errorNames(pkg)))] : [],
  });
  return (await import(pathToFileURL(join(outdir, 'schemas.mjs')).href)) as Record<string, unknown>;
}

describe('the rewrite of the schemas', () => {
  it.each(CLIENTS.map((pkg) => [pkg]))('%s: every exported schema is the package’s own', async (pkg) => {
    const [original, rewritten] = [await schemasModule(pkg, false), await schemasModule(pkg, true)];
    expect(Object.keys(rewritten).sort()).toEqual(Object.keys(original).sort());
    const differing = Object.keys(original).filter((name) =>
      name === 'errorTypeRegistries' ? false : !same(rewritten[name], original[name]),
    );
    expect(differing).toEqual([]);
    // The rewritten module keeps no computed key, so esbuild may drop any schema nothing reaches.
    const code = pruneSchemas(schemasFile(pkg), readFileSync(schemasFile(pkg), 'utf8'), () => true).code;
    expect(code).not.toMatch(/\[_\w+\]:/);
  });

  it('the comparison notices a schema that lost a member or a link', () => {
    const shape = ['3', 'ns', 'Shape', 0, ['a'], [0]];
    const operation = (input: unknown) => [
      9,
      'ns',
      'Op',
      { http: ['GET', '/x', 200] },
      () => input,
      () => shape,
    ];
    expect(same(operation(shape), operation([...shape]))).toBe(true);
    expect(same(operation(shape), operation(['3', 'ns', 'Shape', 0, [], []]))).toBe(false);
    expect(same(operation(shape), operation(undefined))).toBe(false);
  });
});

describe('pruneSchemas and pruneErrorClasses', () => {
  const source = [
    'const _e = "error";',
    'const _h = "http";',
    'const n0 = "ns";',
    'import { TypeRegistry } from "@smithy/core/schema";',
    'import { KeptException, DroppedException, } from "../models/errors";',
    'const n0_registry = new TypeRegistry(n0);',
    'export var KeptException$ = [-3, n0, "KeptException", { [_e]: "client" }, [], []];',
    'n0_registry.registerError(KeptException$, KeptException);',
    'export var DroppedException$ = [-3, n0, "DroppedException", { [_e]: "client" }, [], []];',
    'n0_registry.registerError(DroppedException$, DroppedException);',
    'export var Op$ = [9, n0, "Op", { [_h]: ["GET", "/x", 200] }, () => 0, () => 0];',
  ].join('\n');

  it('makes every key literal and registers only the errors kept, importing only their classes', () => {
    const pruned = pruneSchemas('s.js', source, (error) => error === 'KeptException');
    expect(pruned.kept).toEqual(['KeptException']);
    expect(pruned.dropped).toEqual(['DroppedException']);
    expect(pruned.code).toContain('{ "http": ["GET", "/x", 200] }');
    expect(pruned.code).toContain('import { KeptException } from "../models/errors";');
    expect(pruned.code).not.toContain('registerError(DroppedException$');
  });

  it('refuses a computed key naming no string constant, naming the file', () => {
    expect(() => pruneSchemas('s.js', `${source}\nexport var X$ = [0, { [_nope]: 1 }];`, () => true)).toThrow(
      's.js: computed key [_nope]: names no string constant',
    );
    expect(() => pruneSchemas('s.js', `${source}\nexport var X$ = [0, { [a + b]: 1 }];`, () => true)).toThrow(
      's.js: a computed key the rewrite does not recognise is left',
    );
  });

  it('refuses registrations it does not recognise, naming the file', () => {
    expect(() => pruneSchemas('s.js', 'n0_registry.registerError(A$, B);', () => true)).toThrow(
      's.js: registration n0_registry.registerError(A$, B); pairs different names',
    );
    expect(() => pruneSchemas('s.js', 'registry.registerError(schemaOf("A"), A);', () => true)).toThrow(
      's.js: error registrations in a form the rewrite does not recognise',
    );
  });

  it('drops the classes of dropped errors and refuses when one is still used', () => {
    const errors = [
      'import { Base } from "./Base";',
      'export class KeptException extends Base {}',
      'export class DroppedException extends Base {}',
    ].join('\n');
    const left = pruneErrorClasses('e.js', errors, new Set(['DroppedException']));
    expect(left).toContain('class KeptException');
    expect(left).not.toContain('DroppedException');
    expect(() =>
      pruneErrorClasses('e.js', `const x = DroppedException;\n${errors}`, new Set(['DroppedException'])),
    ).toThrow('e.js: DroppedException is still used after pruning');
  });

  it("reads an operation's errors from its command's @throws, and refuses a command without any", () => {
    expect(declaredErrors(clientDir('@aws-sdk/client-iot'), 'DescribeAuditTask')).toEqual([
      'InternalFailureException',
      'InvalidRequestException',
      'ResourceNotFoundException',
      'ThrottlingException',
      'IoTServiceException',
    ]);
    expect(() => declaredErrors(clientDir('@aws-sdk/client-iot'), 'NoSuchOperation')).toThrow(/ENOENT/);
  });

  it('each client reads only the version of its package.json, all the build keeps of it', () => {
    for (const pkg of CLIENTS) {
      const config = readFileSync(join(clientDir(pkg), 'dist-es', 'runtimeConfig.js'), 'utf8');
      expect(new Set([...config.matchAll(/packageInfo\.(\w+)/g)].map(([, field]) => field))).toEqual(
        new Set(['version']),
      );
    }
  });
});

/** The function's environment as the template deploys it, with Lambda's region and keys. */
function environment(id: string): NodeJS.ProcessEnv {
  const deployed = new DeployedTemplate(parseTemplate(readTemplateText()), {
    stackName: 'ddr',
    accountId: '123456789012',
    region: 'us-east-1',
    partition: 'aws',
    parameters: { ManageAuditConfiguration: 'true' },
  });
  const own = deployed.functionProperty(id, 'Environment') as
    | { Variables: Record<string, string> }
    | undefined;
  return {
    PATH: process.env.PATH,
    HOME: tmpdir(),
    ...own?.Variables,
    POWERTOOLS_TRACE_ENABLED: 'false',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'ASIALAMBDA',
    AWS_SECRET_ACCESS_KEY: 's',
    AWS_SESSION_TOKEN: 't',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

/** The error classes the function's own code imports from an SDK client. */
function importedErrors(built: BuiltFunction): Map<string, Set<string>> {
  const imported = new Map<string, Set<string>>();
  for (const input of built.inputs.filter((path) => path.startsWith('functions/'))) {
    const text = readFileSync(join(ROOT, input), 'utf8');
    for (const [, names, pkg] of text.matchAll(
      /import\s*\{([^}]*)\}\s*from\s*'(@aws-sdk\/client-[a-z0-9-]+)'/g,
    ))
      for (const name of names!.split(',').map((n) => n.replace(/^type\s+/, '').trim()))
        if (/(Exception|Error|NotFound|Exists|DoesNotExist)$/.test(name) && !name.startsWith('type '))
          imported.set(pkg!, (imported.get(pkg!) ?? new Set()).add(name));
  }
  return imported;
}

describe("every function's pruned bundle", () => {
  const ids = new Map([...templateFunctionFolders()].map(([id, folder]) => [folder, id]));

  it.each(FUNCTIONS.map((name) => [name]))(
    '%s: each operation it uses keeps its schema, and its client registers every error it can meet',
    async (name) => {
      const built = await buildFunction(name, mkdtempSync(join(tmpdir(), 'ddr-prune-fn-')));
      expect(built.operations.size).toBeGreaterThan(0);
      // The probe: the same bundle, pruned with the same decisions, also exporting its clients and commands.
      const clients = await Promise.all(
        [...built.operations].map(async ([pkg, operations], c) => {
          const module = (await import(pkg)) as Record<string, unknown>;
          const clientClass = Object.keys(module).find(
            (key) => /^[A-Z]\w*Client$/.test(key) && key !== '__Client',
          )!;
          return {
            pkg,
            clientClass,
            clientExport: `client${c}`,
            operations: [...operations].map((operation, o) => ({ operation, exported: `command${c}_${o}` })),
          };
        }),
      );
      const probe = [
        `export * from './functions/${name}/index.ts';`,
        ...clients.map(
          ({ pkg, clientClass, clientExport, operations }) =>
            `export { ${clientClass} as ${clientExport}, ${operations
              .map(({ operation, exported }) => `${operation}Command as ${exported}`)
              .join(', ')} } from '${pkg}';`,
        ),
      ].join('\n');
      const probed = await buildFunction(name, mkdtempSync(join(tmpdir(), 'ddr-probe-')), {}, { probe });
      expect(probed.pruned).toEqual(built.pruned);
      const spec = { probe: probed.outfile, clients };
      const child = spawnSync(
        process.execPath,
        [join(ROOT, 'tests/template/sdk-probe-check.mjs'), JSON.stringify(spec)],
        {
          cwd: ROOT,
          env: environment(ids.get(name)!),
          encoding: 'utf8',
        },
      );
      expect(child.status, child.stderr).toBe(0);
      const result = JSON.parse(child.stdout) as Record<
        string,
        { schemas: Record<string, boolean>; registered: string[] }
      >;
      const imported = importedErrors(built);
      for (const { pkg, operations } of clients) {
        const { schemas, registered } = result[pkg]!;
        for (const { operation } of operations) {
          expect(schemas[operation], `${pkg} ${operation} schema`).toBe(true);
          for (const error of declaredErrors(clientDir(pkg), operation))
            expect(registered, `${pkg} ${operation} can raise ${error}`).toContain(error);
        }
        for (const error of imported.get(pkg) ?? [])
          expect(registered, `${name} imports ${error}`).toContain(error);
        // And it does prune: some of the service's errors are left out.
        expect(registered.length, pkg).toBeLessThan(errorNames(pkg).length + 1);
      }
    },
  );
});
