/**
 * The functions are built by `sam build` from their BuildProperties, and only from them: every
 * property is one SAM's esbuild builder passes on (docs/aws-facts/lambda-runtime.md), and
 * scripts/build-functions.ts builds with exactly what SAM would give esbuild. Cold-start choices
 * (docs/decisions/cold-start.md) are held here: no source map to parse at start.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DeployedTemplate, parseTemplate, readTemplateText } from '@device-defender-remediation/local-cloud';
import { describe, expect, it } from 'vitest';
import {
  buildFunction,
  esbuildOptions,
  READING_MAP,
  SAM_ESBUILD_PROPERTIES,
  templateBuildProperties,
} from '../../scripts/build-functions.ts';
import { resources, resourcesOfType, template } from './support.ts';

const functions = resourcesOfType('AWS::Serverless::Function');
const properties = templateBuildProperties();

describe("every function's BuildProperties", () => {
  it.each(functions.map(([id]) => [id]))('%s: uses only properties SAM passes on to esbuild', (id) => {
    const metadata = resources[id]!.Metadata as { BuildMethod: string; BuildProperties: object };
    expect(metadata.BuildMethod).toBe('esbuild');
    for (const key of Object.keys(metadata.BuildProperties))
      expect(SAM_ESBUILD_PROPERTIES as readonly string[], key).toContain(key);
  });

  it('are the same for every function but the entry point', () => {
    const [first, ...rest] = [...properties.values()].map(({ EntryPoints: _, ...shared }) => shared);
    expect(properties.size).toBe(functions.length);
    for (const shared of rest) expect(shared).toEqual(first);
  });
});

describe('the build maps BuildProperties as SAM does', () => {
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

  it('refuses a property SAM would not pass on, naming it', () => {
    expect(() => esbuildOptions({ Format: 'esm', Splitting: true, Define: [] })).toThrow(
      /BuildProperties SAM does not pass on: Splitting, Define/,
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
