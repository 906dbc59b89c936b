/**
 * Bundles each function as `sam build` does with the template's esbuild Metadata (ESM, minified,
 * source maps, node22, the createRequire banner), into dist/<function>/index.mjs, and prints sizes.
 * Used by the cold-start benchmark and the size test; SAM builds the deployed artefacts itself.
 */
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build, type Metafile } from 'esbuild';

export const FUNCTIONS = [
  'plan-remediation',
  'sweep-audits',
  'cleanup-execution',
  'report-remediation',
  'audit-configuration',
] as const;
const root = fileURLToPath(new URL('..', import.meta.url));

/** The same settings the template's `Metadata: BuildProperties` give SAM. */
export const ESBUILD_SETTINGS: BuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  minify: true,
  sourcemap: true,
  mainFields: ['module', 'main'],
  banner: { js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);" },
};

export interface BuiltFunction {
  readonly name: string;
  readonly outfile: string;
  readonly bytes: number;
  readonly inputs: readonly string[];
}

export async function buildFunction(name: string, outdir = `${root}dist`): Promise<BuiltFunction> {
  const outfile = `${outdir}/${name}/index.mjs`;
  const result = await build({
    ...ESBUILD_SETTINGS,
    entryPoints: [`${root}functions/${name}/index.ts`],
    outfile,
    metafile: true,
    logLevel: 'warning',
  });
  return {
    name,
    outfile,
    bytes: statSync(outfile).size,
    inputs: Object.keys((result.metafile as Metafile).inputs),
  };
}

export async function buildFunctions(): Promise<BuiltFunction[]> {
  const present = FUNCTIONS.filter((name) => existsSync(`${root}functions/${name}/index.ts`));
  return Promise.all(present.map((name) => buildFunction(name)));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const built of await buildFunctions())
    console.log(
      `${built.name.padEnd(20)} ${(built.bytes / 1024).toFixed(1).padStart(7)} KB  ${built.outfile}`,
    );
}
