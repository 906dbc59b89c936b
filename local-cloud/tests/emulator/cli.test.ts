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

/** What `npm run emulator` runs. */
const CLI = fileURLToPath(new URL('../../emulator/cli.ts', import.meta.url));

let child: ChildProcess | undefined;
afterEach(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
});

async function startCli(...args: string[]): Promise<{ iot: IoTClient; output: string[] }> {
  child = spawn(process.execPath, ['--import', 'tsx', CLI, '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const [line] = (await once(lines, 'line')) as [string];
  const endpoint = /listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(line)?.[1];
  if (endpoint === undefined) throw new Error(`no endpoint in ${JSON.stringify(line)}`);
  const output: string[] = [];
  lines.on('line', (next: string) => output.push(next));
  const iot = new IoTClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  return { iot, output };
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
