/**
 * The Tracer, and the X-Ray SDK behind it, load only when the stack traces (TracingMode Active sets
 * POWERTOOLS_TRACE_ENABLED=true; docs/decisions/cold-start.md). Off, every handler runs without one.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, OBSERVABILITY_ENVIRONMENT, readConfig } from '#aws/config';
import { buildFunction } from '../../scripts/build-functions.ts';

let loads = 0;
const before = process.env.POWERTOOLS_TRACE_ENABLED;
afterEach(() => {
  if (before === undefined) delete process.env.POWERTOOLS_TRACE_ENABLED;
  else process.env.POWERTOOLS_TRACE_ENABLED = before;
});

/** A fresh evaluation of functions/aws/observability.ts under one setting. */
async function observability(setting: string | undefined) {
  if (setting === undefined) delete process.env.POWERTOOLS_TRACE_ENABLED;
  else process.env.POWERTOOLS_TRACE_ENABLED = setting;
  loads += 1;
  const url = new URL(`../../functions/aws/observability.ts?tracing=${loads}`, import.meta.url);
  return (await import(/* @vite-ignore */ url.href)) as typeof import('#aws/observability');
}

describe('the Tracer', () => {
  it('is not created with POWERTOOLS_TRACE_ENABLED=false (TracingMode PassThrough)', async () => {
    expect((await observability('false')).tracer).toBeUndefined();
  });

  it('is created with true (TracingMode Active), and when unset, as Powertools defaults', async () => {
    expect((await observability('true')).tracer?.constructor.name).toBe('Tracer');
    expect((await observability(undefined)).tracer?.constructor.name).toBe('Tracer');
  });

  it('refuses any other setting, naming the variable', () => {
    for (const text of ['yes', 'TRUE', '1'])
      expect(() => readConfig(OBSERVABILITY_ENVIRONMENT, { POWERTOOLS_TRACE_ENABLED: text })).toThrow(
        new ConfigError([
          {
            variable: 'POWERTOOLS_TRACE_ENABLED',
            problem: `is ${JSON.stringify(text)}, not 'true' or 'false'`,
          },
        ]),
      );
  });

  it('off, a bundled handler answers through the whole middleware chain', async () => {
    const built = await buildFunction('cleanup-execution', mkdtempSync(join(tmpdir(), 'ddr-tracing-')));
    const code = [
      `const { handler } = await import(${JSON.stringify(pathToFileURL(built.outfile).href)});`,
      "const result = await handler({ not: 'an execution event' }, { functionName: 'cleanup', awsRequestId: 'r' });",
      'console.log(JSON.stringify(result));',
    ].join('\n');
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        AWS_REGION: 'us-east-1',
        AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        POWERTOOLS_TRACE_ENABLED: 'false',
        REPORTS_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:reports',
      },
    });
    expect(child.status, child.stderr).toBe(0);
    expect(JSON.parse(child.stdout.trim().split('\n').at(-1)!)).toMatchObject({ outcome: 'event-invalid' });
  });
});
