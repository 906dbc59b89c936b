/**
 * `sam build` runs the project's own build: every function has `BuildMethod: makefile`, and the
 * Makefile's `build-<LogicalId>` target runs scripts/build-functions.ts for it, which bundles with the
 * function's BuildProperties (SAM's esbuild vocabulary, mapped as SAM's esbuild builder maps it) and
 * prunes the SDK clients (scripts/prune-sdk.ts). SAM's side of the contract
 * (docs/aws-facts/lambda-runtime.md, "What sam build runs"): it copies the CodeUri folder to a scratch
 * directory and runs `make --makefile <CodeUri>/Makefile build-<LogicalId>` there with ARTIFACTS_DIR
 * set. Cold-start choices (docs/decisions/cold-start.md) are held here: no source map to parse at start.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DeployedTemplate, parseTemplate, readTemplateText } from '@device-defender-remediation/local-cloud';
import { describe, expect, it } from 'vitest';
import { ALL_FUNCTIONS } from '../../bench/cold-start.ts';
import {
  BUILD_PROPERTIES,
  buildFunction,
  esbuildOptions,
  READING_MAP,
  templateBuildProperties,
  templateFunctionFolders,
} from '../../scripts/build-functions.ts';
import { handlerFolders, ROOT, resources, resourcesOfType, template } from './support.ts';

const functions = resourcesOfType('AWS::Serverless::Function');
const properties = templateBuildProperties();
const makefile = readFileSync(join(ROOT, 'Makefile'), 'utf8');

describe("every function's build", () => {
  it.each(functions.map(([id]) => [id]))(
    '%s: BuildMethod makefile, with BuildProperties the build knows',
    (id) => {
      const metadata = resources[id]!.Metadata as { BuildMethod: string; BuildProperties: object };
      expect(metadata.BuildMethod).toBe('makefile');
      for (const key of Object.keys(metadata.BuildProperties))
        expect(BUILD_PROPERTIES as readonly string[], key).toContain(key);
    },
  );

  it('are the same for every function but the entry point', () => {
    const [first, ...rest] = [...properties.values()].map(({ EntryPoints: _, ...shared }) => shared);
    expect(properties.size).toBe(functions.length);
    for (const shared of rest) expect(shared).toEqual(first);
  });

  it('the cold-start benchmark measures every function, and only those', () => {
    expect([...ALL_FUNCTIONS].sort()).toEqual(handlerFolders().sort());
  });

  it('the Makefile has a build-<LogicalId> target for every function, and none for anything else', () => {
    const targets = [...makefile.matchAll(/^(build-[A-Za-z0-9]+):/gm)].map(([, target]) => target);
    expect(targets.sort()).toEqual(functions.map(([id]) => `build-${id}`).sort());
  });

  it.each(functions.map(([id]) => [id]))(
    "%s: its target runs the project's build for it into $(ARTIFACTS_DIR), and nothing else",
    (id) => {
      const dryRun = spawnSync('make', ['--dry-run', '--makefile', join(ROOT, 'Makefile'), `build-${id}`], {
        cwd: ROOT,
        env: { PATH: process.env.PATH, ARTIFACTS_DIR: '/artefacts/x' },
        encoding: 'utf8',
      });
      expect(dryRun.status, dryRun.stderr).toBe(0);
      expect(dryRun.stdout.trim()).toBe(
        `node --import tsx scripts/build-functions.ts --outdir "/artefacts/x" --function ${id}`,
      );
    },
  );
});

describe('sam build, as SAM runs a makefile build', () => {
  it("builds the planner from a scratch copy into ARTIFACTS_DIR: index.mjs, byte for byte the project's build", async () => {
    // SAM's copy of CodeUri (without .aws-sam and .git); node_modules linked rather than copied (252 MB).
    const scratch = mkdtempSync(join(tmpdir(), 'ddr-sam-scratch-'));
    for (const entry of readdirSync(ROOT))
      if (!['.git', '.aws-sam', 'node_modules', 'dist', '.vitest', 'coverage'].includes(entry))
        cpSync(join(ROOT, entry), join(scratch, entry), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(scratch, 'node_modules'));
    const artefacts = join(mkdtempSync(join(tmpdir(), 'ddr-sam-build-')), 'PlanRemediationFunction');
    mkdirSync(artefacts);
    const make = spawnSync('make', ['--makefile', join(ROOT, 'Makefile'), 'build-PlanRemediationFunction'], {
      cwd: scratch,
      env: { PATH: process.env.PATH, HOME: tmpdir(), ARTIFACTS_DIR: artefacts },
      encoding: 'utf8',
    });
    expect(make.status, make.stderr).toBe(0);
    expect(readdirSync(artefacts)).toEqual(['index.mjs']);
    const ours = await buildFunction('plan-remediation', mkdtempSync(join(tmpdir(), 'ddr-build-')));
    expect(readFileSync(join(artefacts, 'index.mjs'))).toEqual(readFileSync(ours.outfile));
    // What Lambda loads: index.mjs at the artefact root exports the handler the template names.
    const handler = String(resources.PlanRemediationFunction!.Properties!.Handler).split('.');
    expect(handler[0]).toBe('index');
    const url = JSON.stringify(pathToFileURL(join(artefacts, 'index.mjs')).href);
    const load = spawnSync(
      process.execPath,
      ['--input-type=module', '-e', `const m = await import(${url}); console.log(typeof m.${handler[1]});`],
      { env: plannerEnvironment(), encoding: 'utf8' },
    );
    expect(load.status, load.stderr).toBe(0);
    expect(load.stdout.trim()).toBe('function');
  });
});

describe("the build's command line (what the Makefile runs)", () => {
  const run = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'scripts/build-functions.ts', ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: tmpdir() },
      encoding: 'utf8',
    });
  const refused = (result: ReturnType<typeof run>, message: RegExp) => {
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(message);
  };
  const outdir = mkdtempSync(join(tmpdir(), 'ddr-build-cli-'));

  it('--help prints the usage and exits 0', () => {
    const result = run('--help');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/--function LOGICAL_ID/);
  });

  it('refuses a logical id the template does not have, naming it', () => {
    refused(
      run('--function', 'NoSuchFunction', '--outdir', outdir),
      /--function NoSuchFunction: template.yaml has no AWS::Serverless::Function NoSuchFunction/,
    );
  });

  it('refuses --function without --outdir and --outdir without --function', () => {
    refused(run('--function', 'PlanRemediationFunction'), /--function needs --outdir/);
    refused(run('--outdir', outdir), /--outdir needs --function/);
  });

  it('refuses an --outdir that is not a directory, naming it', () => {
    refused(
      run('--function', 'PlanRemediationFunction', '--outdir', join(outdir, 'missing')),
      /--outdir .*missing: no such directory/,
    );
  });

  it('refuses unknown and repeated options', () => {
    refused(run('--fn', 'x'), /--fn/);
    refused(
      run('--function', 'A', '--function', 'B', '--outdir', outdir),
      /--function is given more than once/,
    );
  });

  it('every logical id it builds is a template function, by its entry point folder', () => {
    expect([...templateFunctionFolders().keys()].sort()).toEqual(functions.map(([id]) => id).sort());
  });
});

/** The planner's environment as the template deploys it, with Lambda's region and keys. */
function plannerEnvironment(): NodeJS.ProcessEnv {
  const deployed = new DeployedTemplate(parseTemplate(readTemplateText()), {
    stackName: 'ddr',
    accountId: '123456789012',
    region: 'us-east-1',
    partition: 'aws',
    parameters: {},
  });
  const { Variables } = deployed.functionProperty('PlanRemediationFunction', 'Environment') as {
    Variables: Record<string, string>;
  };
  return {
    PATH: process.env.PATH,
    HOME: tmpdir(),
    ...Variables,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'ASIALAMBDA',
    AWS_SECRET_ACCESS_KEY: 's',
    AWS_SESSION_TOKEN: 't',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

describe("the build maps BuildProperties as SAM's esbuild builder does", () => {
  it("gives esbuild SAM's defaults and each property's value", () => {
    expect(esbuildOptions({})).toEqual({
      bundle: true,
      platform: 'node',
      target: 'es2020',
      format: 'cjs',
      minify: true,
      sourcemap: false,
    });
    expect(
      esbuildOptions({
        Format: 'esm',
        Target: 'node22',
        Minify: false,
        Sourcemap: true,
        SourcesContent: false,
        MainFields: 'module,main',
        External: ['@aws-sdk/credential-provider-ini'],
        Loader: ['.txt=text'],
        OutExtension: ['.js=.mjs'],
        Banner: ['js=const a = 1;'],
      }),
    ).toEqual({
      bundle: true,
      platform: 'node',
      target: 'node22',
      format: 'esm',
      minify: false,
      sourcemap: true,
      sourcesContent: false,
      mainFields: ['module', 'main'],
      external: ['@aws-sdk/credential-provider-ini'],
      loader: { '.txt': 'text' },
      outExtension: { '.js': '.mjs' },
      banner: { js: 'const a = 1;' },
    });
  });

  it('refuses a property it does not know, naming it', () => {
    expect(() => esbuildOptions({ Format: 'esm', Splitting: true, Define: [] })).toThrow(
      /BuildProperties the build does not know: Splitting, Define/,
    );
  });

  it('refuses a function the template does not deploy, naming its folder', async () => {
    await expect(
      buildFunction('no-such-function', mkdtempSync(join(tmpdir(), 'ddr-build-'))),
    ).rejects.toThrow(/template.yaml deploys no function from functions\/no-such-function/);
  });
});

describe('source maps cost no cold start', () => {
  it('no function builds a source map or sets NODE_OPTIONS=--enable-source-maps', () => {
    for (const shared of properties.values()) expect(shared.Sourcemap).toBe(false);
    const globals = template.Globals.Function.Environment as { Variables: Record<string, unknown> };
    expect(globals.Variables.NODE_OPTIONS).toBeUndefined();
    for (const [id, f] of functions) {
      const own = (f.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)
        ?.Variables;
      expect(own?.NODE_OPTIONS, id).toBeUndefined();
    }
  });

  it("npm run build's map belongs to the very bytes sam build deploys", async () => {
    const deployed = await buildFunction('cleanup-execution', mkdtempSync(join(tmpdir(), 'ddr-build-')));
    const mapped = await buildFunction(
      'cleanup-execution',
      mkdtempSync(join(tmpdir(), 'ddr-build-')),
      READING_MAP,
    );
    expect(deployed.mapBytes).toBe(0);
    expect(readFileSync(mapped.outfile)).toEqual(readFileSync(deployed.outfile));
    const map = JSON.parse(readFileSync(`${mapped.outfile}.map`, 'utf8')) as { sources: string[] };
    expect(map.sources.some((source) => source.endsWith('functions/cleanup-execution/index.ts'))).toBe(true);
  });
});

describe('the credential providers Lambda never reaches stay out of the bundle', () => {
  const external = [...properties.values()][0]!.External as string[];
  const run = (code: string, env: NodeJS.ProcessEnv) =>
    spawnSync(process.execPath, ['--input-type=module', '-e', code], { env, encoding: 'utf8' });

  it('every function leaves them out, and reaches them only through import()', async () => {
    expect(external).toContain('@aws-sdk/credential-provider-ini');
    const built = await buildFunction('cleanup-execution', mkdtempSync(join(tmpdir(), 'ddr-build-')));
    for (const input of built.inputs)
      expect(
        external.some((name) => input.includes(`node_modules/${name}/`)),
        input,
      ).toBe(false);
    // The environment provider, Lambda's, and the chain that asks it first are bundled.
    expect(built.inputs.some((input) => input.includes('@aws-sdk/credential-provider-env/'))).toBe(true);
    const output = Object.values(built.metafile.outputs).find((o) => o.entryPoint)!;
    const kept = output.imports.filter((i) => external.some((name) => i.path.startsWith(name)));
    expect(kept.length).toBeGreaterThan(0);
    for (const i of kept) expect(i.kind, i.path).toBe('dynamic-import');
  });

  it("the bundle signs with the environment's keys, as Lambda gives them; without them it names the missing package", async () => {
    const built = await buildFunction('cleanup-execution', mkdtempSync(join(tmpdir(), 'ddr-build-')));
    const url = JSON.stringify(pathToFileURL(built.outfile).href);
    const code = `const { iot } = await import(${url}); console.log((await iot.config.credentials()).accessKeyId);`;
    const base = {
      PATH: process.env.PATH,
      AWS_REGION: 'us-east-1',
      HOME: tmpdir(),
      POWERTOOLS_TRACE_ENABLED: 'false',
    };
    const base2 = { ...base, REPORTS_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:reports' };
    const withKeys = run(code, {
      ...base2,
      AWS_ACCESS_KEY_ID: 'ASIALAMBDA',
      AWS_SECRET_ACCESS_KEY: 's',
      AWS_SESSION_TOKEN: 't',
    });
    expect(withKeys.status, withKeys.stderr).toBe(0);
    expect(withKeys.stdout.trim()).toBe('ASIALAMBDA');
    const withoutKeys = run(code, base2);
    expect(withoutKeys.status).not.toBe(0);
    expect(withoutKeys.stderr).toMatch(/Cannot find (package|module) '@aws-sdk\/credential-provider-/);
  });
});

describe('tracing is a stack parameter, and off it loads no Tracer', () => {
  it('TracingMode (Active or PassThrough) sets Lambda tracing, POWERTOOLS_TRACE_ENABLED and the state machine', () => {
    const parameter = template.Parameters!.TracingMode as { AllowedValues: string[]; Default: string };
    expect(parameter.AllowedValues).toEqual(['Active', 'PassThrough']);
    expect(parameter.AllowedValues).toContain(parameter.Default);
    const globals = template.Globals.Function;
    expect(globals.Tracing).toEqual({ Ref: 'TracingMode' });
    for (const [mode, enabled] of [
      ['Active', 'true'],
      ['PassThrough', 'false'],
    ] as const) {
      const deployed = new DeployedTemplate(parseTemplate(readTemplateText()), {
        stackName: 'ddr',
        accountId: '123456789012',
        region: 'us-east-1',
        partition: 'aws',
        parameters: { TracingMode: mode },
      });
      for (const id of deployed.resourceIds('AWS::Serverless::Function')) {
        expect(deployed.functionProperty(id, 'Tracing'), id).toBe(mode);
        const { Variables } = deployed.functionProperty(id, 'Environment') as {
          Variables: Record<string, string>;
        };
        expect(Variables.POWERTOOLS_TRACE_ENABLED, id).toBe(enabled);
      }
      for (const id of deployed.resourceIds('AWS::Serverless::StateMachine'))
        expect(deployed.property(id, 'Tracing'), id).toEqual({ Enabled: mode === 'Active' });
    }
  });

  it('the Tracer and the X-Ray SDK are bundled but evaluated only through import()', async () => {
    const built = await buildFunction('report-remediation', mkdtempSync(join(tmpdir(), 'ddr-build-')));
    expect(built.inputs.some((input) => input.includes('node_modules/aws-xray-sdk-core/'))).toBe(true);
    const entry = Object.values(built.metafile.outputs).find((o) => o.entryPoint)!.entryPoint!;
    const eager = new Set([entry]);
    const pending = [entry];
    while (pending.length > 0)
      for (const edge of built.metafile.inputs[pending.pop()!]?.imports ?? [])
        if (!edge.external && edge.kind !== 'dynamic-import' && !eager.has(edge.path)) {
          eager.add(edge.path);
          pending.push(edge.path);
        }
    for (const lazy of [
      'node_modules/aws-xray-sdk-core/',
      'node_modules/@aws-lambda-powertools/tracer/lib/esm/Tracer',
    ])
      expect(
        [...eager].filter((path) => path.includes(lazy)),
        lazy,
      ).toEqual([]);
  });
});
