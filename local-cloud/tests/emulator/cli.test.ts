import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
  DescribeAuditMitigationActionsTaskCommand,
  DescribeAuditTaskCommand,
  IoTClient,
  ListMitigationActionsCommand,
  StartAuditMitigationActionsTaskCommand,
  StartOnDemandAuditTaskCommand,
} from '@aws-sdk/client-iot';
import { afterEach, expect, it } from 'vitest';
import { MAX_REQUEST_BODY_BYTES } from '../../emulator/server.ts';

/** What `npm run emulator` runs. */
const CLI = fileURLToPath(new URL('../../emulator/cli.ts', import.meta.url));

let child: ChildProcess | undefined;
afterEach(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
});

async function startCli(...args: string[]): Promise<{ iot: IoTClient; output: string[]; endpoint: string }> {
  child = spawn(process.execPath, ['--import', 'tsx', CLI, '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // Collect from the first line: readline emits a whole chunk's lines in one tick, so a listener
  // added after awaiting the first line would miss those that came with it.
  const output: string[] = [];
  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (next: string) => output.push(next));
  await once(lines, 'line');
  const line = output.shift()!;
  const endpoint = /listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(line)?.[1];
  if (endpoint === undefined) throw new Error(`no endpoint in ${JSON.stringify(line)}`);
  const iot = new IoTClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  return { iot, output, endpoint };
}

/** Asks until the answer satisfies `done`; on a fast clock each round trip is minutes of virtual time. */
async function until<T>(ask: () => Promise<T>, done: (answer: T) => boolean): Promise<T> {
  for (;;) {
    const answer = await ask();
    if (done(answer)) return answer;
  }
}

it('npm run emulator serves the SDK on loopback with the fixture preset', async () => {
  const { iot } = await startCli('--preset', 'fixture');
  const audit = await iot.send(new DescribeAuditTaskCommand({ taskId: 'fixture-audit-1' }));
  expect(audit.taskStatus).toBe('COMPLETED');
  expect(audit.auditDetails?.DEVICE_CERTIFICATE_SHARED_CHECK?.nonCompliantResourcesCount).toBe(2);
  const actions = await iot.send(new ListMitigationActionsCommand({}));
  expect(actions.actionIdentifiers).toHaveLength(3);
});

it('npm run emulator -- --preset demo holds a fleet that audits, mitigates and re-audits', async () => {
  const { iot, output } = await startCli('--preset', 'demo', '--speed', '100000');
  const audit = async () => {
    const { taskId } = await iot.send(
      new StartOnDemandAuditTaskCommand({ targetCheckNames: ['LOGGING_DISABLED_CHECK'] }),
    );
    return until(
      () => iot.send(new DescribeAuditTaskCommand({ taskId })),
      (a) => a.taskStatus === 'COMPLETED',
    ).then((a) => ({ taskId: taskId!, runStatus: a.auditDetails?.LOGGING_DISABLED_CHECK?.checkRunStatus }));
  };
  const first = await audit();
  expect(first.runStatus).toBe('COMPLETED_NON_COMPLIANT');

  await iot.send(
    new StartAuditMitigationActionsTaskCommand({
      taskId: 'enable-logging',
      clientRequestToken: 'enable-logging',
      target: { auditTaskId: first.taskId },
      auditCheckToActionsMapping: { LOGGING_DISABLED_CHECK: ['PublishFinding', 'EnableIotLogging'] },
    }),
  );
  const task = await until(
    () => iot.send(new DescribeAuditMitigationActionsTaskCommand({ taskId: 'enable-logging' })),
    (t) => t.taskStatus !== 'IN_PROGRESS',
  );
  expect(task.taskStatus).toBe('COMPLETED');
  expect((await audit()).runStatus).toBe('COMPLETED_COMPLIANT');
  expect(output).toContain(`audit ${first.taskId} COMPLETED: 1/1 checks non-compliant`);
});

it('says on start-up what it holds, with an AWS CLI command to try', async () => {
  const { output, endpoint } = await startCli('--preset', 'fixture');
  while (output.length < 5) await new Promise((resolve) => setTimeout(resolve, 20));
  expect(output.slice(0, 5)).toEqual([
    '  preset: fixture; real time',
    '  3 mitigation actions: fixture-publish, fixture-quarantine, fixture-deactivate',
    '  1 audit: fixture-audit-1 (COMPLETED)',
    '  audit notifications: logged here',
    `  try: AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test aws iot --endpoint-url ${endpoint} --region us-east-1 describe-audit-task --task-id fixture-audit-1`,
  ]);
});

it('answers 413 to a body above MAX_REQUEST_BODY_BYTES and stays up', async () => {
  const { iot, endpoint } = await startCli('--preset', 'fixture');
  const tooLarge = await fetch(`${endpoint}/mitigationactions/actions/huge`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ roleArn: 'x'.repeat(MAX_REQUEST_BODY_BYTES) }),
  });
  expect(tooLarge.status).toBe(413);
  expect(tooLarge.headers.get('x-amzn-errortype')).toBe('RequestEntityTooLargeException');
  const audit = await iot.send(new DescribeAuditTaskCommand({ taskId: 'fixture-audit-1' }));
  expect(audit.taskStatus).toBe('COMPLETED');
});
