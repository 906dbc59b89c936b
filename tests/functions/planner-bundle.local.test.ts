// The planner as deployed: its bundle, pruned by scripts/prune-sdk.ts, run by plain node in Lambda's
// environment against the local stack (emulated IoT, SSM, SNS and Step Functions). A plan starts and
// its execution ends; AWS errors still arrive as their modelled classes (the code tests instanceof).
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import {
  ACCOUNT_ID,
  deviceCertificateFinding,
  functionEnvironments,
  type LocalStack,
  REGION,
  startLocalStack,
} from '@device-defender-remediation/local-cloud';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditCompletedEvent, lambdaDefinedEnvironment } from '../../bench/cold-start.ts';
import { type BuiltFunction, buildFunction } from '../../scripts/build-functions.ts';

let stack: LocalStack;
let built: BuiltFunction;
const work = mkdtempSync(join(tmpdir(), 'ddr-planner-bundle-'));
beforeAll(async () => {
  built = await buildFunction('plan-remediation', work);
  stack = await startLocalStack();
});
afterAll(() => stack?.close());

/**
 * One cold start of the bundle and one "Audit Completed" event for `taskId`; the handler's answer. The
 * child runs asynchronously: the local stack answering it lives in this process.
 */
async function invoke(taskId: string): Promise<Record<string, unknown>> {
  const event = { ...auditCompletedEvent(taskId, stack.clock.now()), id: `e-${taskId}` };
  const eventFile = join(work, `${taskId}.json`);
  writeFileSync(eventFile, JSON.stringify(event));
  const code = [
    `const event = JSON.parse((await import('node:fs')).readFileSync(${JSON.stringify(eventFile)}, 'utf8'));`,
    `const { handler } = await import(${JSON.stringify(pathToFileURL(built.outfile).href)});`,
    `const result = await handler(event, { functionName: 'plan-remediation', awsRequestId: 'r',`,
    `  invokedFunctionArn: 'arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:plan-remediation' });`,
    'process.stdout.write("\\n" + JSON.stringify(result));',
  ].join('\n');
  const env = {
    ...lambdaDefinedEnvironment('plan-remediation', built.outfile, 'PassThrough'),
    ...functionEnvironments(stack.deployed).get('PlanRemediationFunction'),
    ...Object.fromEntries(
      ['IOT', 'SSM', 'SNS', 'SFN'].map((s) => [
        `AWS_ENDPOINT_URL_${s}`,
        process.env[`AWS_ENDPOINT_URL_${s}`],
      ]),
    ),
  };
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', code], {
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

describe('the pruned planner bundle on the local stack', () => {
  it('plans a completed audit and starts its execution, which runs to its end', async () => {
    stack.emulator.service.addAudit({
      taskId: 'bundle1',
      checks: {
        DEVICE_CERTIFICATE_SHARED_CHECK: {
          totalResourcesCount: 100,
          findings: [1, 2, 3].map((n) => deviceCertificateFinding(n, { findingId: `bundle1-f${n}` })),
        },
      },
    });
    await stack.clock.sleep(5_000);
    expect(await invoke('bundle1')).toMatchObject({ outcome: 'started', executionName: 'dry-bundle1' });
    expect(stack.runner.executions).toHaveLength(1);
    await expect(stack.runner.executions[0]!.result).resolves.toMatchObject({ status: 'SUCCEEDED' });

    // The same audit again: Step Functions answers ExecutionAlreadyExists, which the planner knows by its class.
    expect(await invoke('bundle1')).toMatchObject({ outcome: 'duplicate' });
    expect(stack.runner.executions).toHaveLength(1);
  });

  it("an audit IoT does not know: DescribeAuditTask's ResourceNotFoundException arrives as its class", async () => {
    expect(await invoke('no-such-audit')).toEqual({
      outcome: 'audit-not-found',
      auditTaskId: 'no-such-audit',
    });
    expect(stack.runner.executions).toHaveLength(1);
  });
});
