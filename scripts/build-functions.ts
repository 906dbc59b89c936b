/**
 * The functions' build, the one `sam build` runs (issue #18): each function's template resource has
 * `BuildMethod: makefile`, so SAM runs the Makefile's `build-<LogicalId>` target, which runs this
 * script (`--function <LogicalId> --outdir $(ARTIFACTS_DIR)`; docs/aws-facts/lambda-runtime.md, "What
 * sam build runs"). The esbuild options come from the function's `Metadata: BuildProperties` in
 * template.yaml (the one source of truth; SAM itself ignores BuildProperties with makefile), mapped
 * to esbuild as SAM's esbuild builder would map them, plus the project's own plugin that prunes the
 * SDK clients' schemas and errors (scripts/prune-sdk.ts), which SAM's esbuild builder cannot run.
 * `npm run build` writes dist/<function>/index.mjs with a source map beside it that the deployed code
 * does not carry; the cold-start benchmark and the bundle tests build through here.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import { yamlParse } from 'yaml-cfn';
import { namesOutsideClients, type PruneReport, pruneSdkPlugin, usedOperations } from './prune-sdk.ts';

export const FUNCTIONS = [
  'plan-remediation',
  'sweep-audits',
  'cleanup-execution',
  'report-remediation',
  'audit-configuration',
  'approve-held-back',
] as const;
const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * The properties SAM documents for `BuildMethod: esbuild`, and nothing else: the build keeps SAM's
 * vocabulary and meaning, so a function could go back to SAM's builder (without the pruning)
 * (https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/serverless-sam-cli-using-build-typescript.html).
 */
export const BUILD_PROPERTIES = [
  'EntryPoints',
  'External',
  'Format',
  'Loader',
  'MainFields',
  'Minify',
  'OutExtension',
  'Sourcemap',
  'SourcesContent',
  'Target',
  'Banner',
] as const;

export type BuildProperties = Readonly<Record<string, unknown>>;

interface FunctionResource {
  readonly Type: string;
  readonly Metadata?: { readonly BuildMethod?: string; readonly BuildProperties?: BuildProperties };
}

/** Each function's folder under functions/ by its logical id in template.yaml. */
export function templateFunctionFolders(
  templateText = readFileSync(`${root}template.yaml`, 'utf8'),
): Map<string, string> {
  const resources = (yamlParse(templateText) as { Resources: Record<string, FunctionResource> }).Resources;
  const byId = new Map<string, string>();
  for (const [id, resource] of Object.entries(resources)) {
    if (resource.Type !== 'AWS::Serverless::Function') continue;
    const entry = (resource.Metadata?.BuildProperties?.EntryPoints as string[] | undefined)?.[0];
    const folder = entry && /^functions\/([^/]+)\/index\.ts$/.exec(entry)?.[1];
    if (!folder) throw new Error(`${id}: no BuildProperties.EntryPoints functions/<name>/index.ts`);
    byId.set(id, folder);
  }
  return byId;
}

/** Each function's BuildProperties in template.yaml, by its folder under functions/. */
export function templateBuildProperties(
  templateText = readFileSync(`${root}template.yaml`, 'utf8'),
): Map<string, BuildProperties> {
  const resources = (yamlParse(templateText) as { Resources: Record<string, FunctionResource> }).Resources;
  const byFolder = new Map<string, BuildProperties>();
  for (const [id, folder] of templateFunctionFolders(templateText))
    byFolder.set(folder, resources[id]!.Metadata!.BuildProperties!);
  return byFolder;
}

const list = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);
/** `KEY=VALUE` items (Loader, OutExtension, Banner), split at the first '=' as esbuild's CLI does. */
const pairs = (value: unknown) =>
  Object.fromEntries(
    list(value).map((item) => [item.slice(0, item.indexOf('=')), item.slice(item.indexOf('=') + 1)]),
  );

/**
 * The esbuild options SAM's builder gives esbuild for these BuildProperties (entry points aside):
 * always bundle for node; Target es2020, Format cjs and Minify on unless set; Minify and Sourcemap
 * as flags; SourcesContent, MainFields as values; External, Loader, OutExtension, Banner as lists.
 * https://github.com/aws/aws-lambda-builders/blob/develop/aws_lambda_builders/workflows/nodejs_npm_esbuild/esbuild.py
 */
export function esbuildOptions(properties: BuildProperties): BuildOptions {
  const unknown = Object.keys(properties).filter(
    (key) => !(BUILD_PROPERTIES as readonly string[]).includes(key),
  );
  if (unknown.length > 0) throw new Error(`BuildProperties the build does not know: ${unknown.join(', ')}`);
  const options: BuildOptions = {
    bundle: true,
    platform: 'node',
    target: String(properties.Target ?? 'es2020'),
    format: (properties.Format ?? 'cjs') as 'esm' | 'cjs' | 'iife',
    minify: properties.Minify === undefined ? true : properties.Minify === true,
    sourcemap: properties.Sourcemap === true,
  };
  if (properties.SourcesContent !== undefined)
    options.sourcesContent = String(properties.SourcesContent) === 'true';
  if (properties.MainFields !== undefined) options.mainFields = String(properties.MainFields).split(',');
  if (properties.External !== undefined) options.external = list(properties.External);
  if (properties.Loader !== undefined) options.loader = pairs(properties.Loader) as Record<string, 'text'>;
  if (properties.OutExtension !== undefined) options.outExtension = pairs(properties.OutExtension);
  if (properties.Banner !== undefined) options.banner = pairs(properties.Banner);
  return options;
}

/** The planner's settings (every function shares them; tests/template/build.test.ts holds that). */
export const ESBUILD_SETTINGS: BuildOptions = (() => {
  const { outExtension: _, ...settings } = esbuildOptions(templateBuildProperties().get('plan-remediation')!);
  return settings;
})();

export interface BuiltFunction {
  readonly name: string;
  readonly outfile: string;
  readonly bytes: number;
  /** The source map's bytes (0 without one). */
  readonly mapBytes: number;
  readonly inputs: readonly string[];
  readonly metafile: Metafile;
  /** The SDK operations the function bundles, by client package (from the unpruned first build). */
  readonly operations: ReadonlyMap<string, ReadonlySet<string>>;
  /** What the pruning kept and left out, by client package (empty when not pruned). */
  readonly pruned: PruneReport;
}

export interface BuildFunctionOptions {
  /** Write index.mjs into outdir itself (SAM's $(ARTIFACTS_DIR)), not outdir/<function>. */
  readonly flat?: boolean;
  /** Prune the SDK clients' schemas and errors (scripts/prune-sdk.ts); default true, as deployed. */
  readonly prune?: boolean;
  /**
   * Tests only: bundle this module (resolved from the repository root) instead of the entry point,
   * with the function's settings and, when it prunes, the function's own pruning decisions.
   */
  readonly probe?: string;
}

/** Builds one function as deployed; `overrides` only for the benchmark's what-if builds and the reading map. */
export async function buildFunction(
  name: string,
  outdir = `${root}dist`,
  overrides: BuildOptions = {},
  { flat = false, prune = true, probe }: BuildFunctionOptions = {},
): Promise<BuiltFunction> {
  const properties = templateBuildProperties().get(name);
  if (!properties) throw new Error(`template.yaml deploys no function from functions/${name}`);
  const entryPoints = list(properties.EntryPoints).map((entry) => `${root}${entry}`);
  const common: BuildOptions = {
    ...esbuildOptions(properties),
    ...overrides,
    entryPoints,
    outdir: flat ? outdir : `${outdir}/${name}`,
    absWorkingDir: root,
    metafile: true,
    logLevel: 'warning',
  };
  // First build, unpruned and unwritten: which operations the function reaches, which names its code uses.
  const first = await build({ ...common, sourcemap: false, write: false });
  const operations = usedOperations(first.metafile as Metafile);
  const pruned: PruneReport = { clients: new Map() };
  const plugins = prune
    ? [pruneSdkPlugin(operations, namesOutsideClients(first.metafile as Metafile, root), pruned)]
    : [];
  const result = await build(
    probe === undefined
      ? { ...common, plugins }
      : {
          ...common,
          entryPoints: [],
          stdin: { contents: probe, resolveDir: root, sourcefile: 'probe.ts', loader: 'ts' },
          plugins,
        },
  );
  const metafile = result.metafile as Metafile;
  const [output] = Object.entries(metafile.outputs).find(([, o]) => o.entryPoint) ?? [];
  if (!output) throw new Error(`${name}: esbuild wrote no entry point`);
  // Output paths are relative to absWorkingDir, unless outdir lies outside it.
  const absolute = isAbsolute(output) ? output : resolve(root, output);
  return {
    name,
    outfile: absolute,
    bytes: statSync(absolute).size,
    mapBytes: existsSync(`${absolute}.map`) ? statSync(`${absolute}.map`).size : 0,
    inputs: Object.keys(metafile.inputs),
    metafile,
    operations,
    pruned,
  };
}

/**
 * The deployed bundle carries no source map (Sourcemap false: no map to parse at start); `npm run
 * build` writes one beside the same bytes, to read a deployed stack trace with (README.md, "Reading
 * a stack trace"). esbuild's 'external' map adds no sourceMappingURL comment, so index.mjs is
 * byte for byte what `sam build` deploys.
 */
export const READING_MAP = { sourcemap: 'external' } as const satisfies BuildOptions;

export async function buildFunctions(overrides: BuildOptions = READING_MAP): Promise<BuiltFunction[]> {
  const present = FUNCTIONS.filter((name) => existsSync(`${root}functions/${name}/index.ts`));
  return Promise.all(present.map((name) => buildFunction(name, `${root}dist`, overrides)));
}

/** `sam build`'s entry (the Makefile): one function, by logical id, into SAM's artefact directory. */
async function main(argv: string[]): Promise<void> {
  const { HELP_OPTION, parseCommandLine, refuse } = await import('@device-defender-remediation/local-cloud');
  const command = {
    name: 'scripts/build-functions.ts',
    usage: [
      'Usage: node --import tsx scripts/build-functions.ts [--function LOGICAL_ID --outdir DIR]',
      '',
      'Without options: every function into dist/<function>/index.mjs, a source map beside each.',
      '--function LOGICAL_ID  the template function to build (what the Makefile passes for sam build)',
      '--outdir DIR           write DIR/index.mjs, no source map (sam build: $(ARTIFACTS_DIR))',
    ].join('\n'),
    options: { ...HELP_OPTION, function: { type: 'string' }, outdir: { type: 'string' } },
  } as const;
  const parsed = parseCommandLine(command, argv);
  if (!parsed) return;
  if (parsed.values.help) {
    console.log(command.usage);
    return;
  }
  const { function: id, outdir } = parsed.values;
  if (id === undefined && outdir === undefined) {
    for (const built of await buildFunctions())
      console.log(
        `${built.name.padEnd(20)} ${(built.bytes / 1024).toFixed(1).padStart(7)} KB  ${built.outfile}` +
          (built.mapBytes ? ` (+ ${(built.mapBytes / 1024).toFixed(0)} KB map)` : ''),
      );
    return;
  }
  if (id === undefined) return void refuse(command, '--outdir needs --function');
  if (outdir === undefined) return void refuse(command, '--function needs --outdir');
  const folder = templateFunctionFolders().get(id);
  if (folder === undefined)
    return void refuse(command, `--function ${id}: template.yaml has no AWS::Serverless::Function ${id}`);
  if (!existsSync(outdir) || !statSync(outdir).isDirectory())
    return void refuse(command, `--outdir ${outdir}: no such directory`);
  const built = await buildFunction(folder, resolve(outdir), {}, { flat: true });
  console.log(`${id} (functions/${folder}) ${(built.bytes / 1024).toFixed(1)} KB -> ${built.outfile}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main(process.argv.slice(2));
