/**
 * Bundles each function exactly as `sam build` does: the esbuild options come from the function's
 * `Metadata: BuildProperties` in template.yaml (the one source of truth), mapped to esbuild the way
 * SAM's esbuild builder maps them (docs/aws-facts/lambda-runtime.md, "What sam build runs"), into
 * dist/<function>/index.mjs (with, from `npm run build`, a source map beside it that the deployed
 * code does not carry). `npm run build` prints the sizes; the cold-start benchmark and the bundle
 * tests build through here.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import { yamlParse } from 'yaml-cfn';

export const FUNCTIONS = [
  'plan-remediation',
  'sweep-audits',
  'cleanup-execution',
  'report-remediation',
  'audit-configuration',
] as const;
const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * The BuildProperties SAM documents for `BuildMethod: esbuild`, and nothing else: SAM's builder
 * passes on only these (https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/serverless-sam-cli-using-build-typescript.html).
 */
export const SAM_ESBUILD_PROPERTIES = [
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

/** Each function's BuildProperties in template.yaml, by its folder under functions/. */
export function templateBuildProperties(
  templateText = readFileSync(`${root}template.yaml`, 'utf8'),
): Map<string, BuildProperties> {
  const resources = (yamlParse(templateText) as { Resources: Record<string, FunctionResource> }).Resources;
  const byFolder = new Map<string, BuildProperties>();
  for (const [id, resource] of Object.entries(resources)) {
    if (resource.Type !== 'AWS::Serverless::Function') continue;
    const properties = resource.Metadata?.BuildProperties;
    const entry = (properties?.EntryPoints as string[] | undefined)?.[0];
    const folder = entry && /^functions\/([^/]+)\/index\.ts$/.exec(entry)?.[1];
    if (!properties || !folder)
      throw new Error(`${id}: no BuildProperties.EntryPoints functions/<name>/index.ts`);
    byFolder.set(folder, properties);
  }
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
    (key) => !(SAM_ESBUILD_PROPERTIES as readonly string[]).includes(key),
  );
  if (unknown.length > 0) throw new Error(`BuildProperties SAM does not pass on: ${unknown.join(', ')}`);
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
}

/** Builds one function as SAM would; `overrides` only for the benchmark's what-if builds. */
export async function buildFunction(
  name: string,
  outdir = `${root}dist`,
  overrides: BuildOptions = {},
): Promise<BuiltFunction> {
  const properties = templateBuildProperties().get(name);
  if (!properties) throw new Error(`template.yaml deploys no function from functions/${name}`);
  const options = { ...esbuildOptions(properties), ...overrides };
  const result = await build({
    ...options,
    entryPoints: list(properties.EntryPoints).map((entry) => `${root}${entry}`),
    outdir: `${outdir}/${name}`,
    absWorkingDir: root,
    metafile: true,
    logLevel: 'warning',
  });
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

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const built of await buildFunctions())
    console.log(
      `${built.name.padEnd(20)} ${(built.bytes / 1024).toFixed(1).padStart(7)} KB  ${built.outfile}` +
        (built.mapBytes ? ` (+ ${(built.mapBytes / 1024).toFixed(0)} KB map)` : ''),
    );
}
