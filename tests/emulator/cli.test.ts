import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { DescribeAuditTaskCommand, IoTClient, ListMitigationActionsCommand } from '@aws-sdk/client-iot';
import { afterEach, expect, it } from 'vitest';

let child: ChildProcess | undefined;
afterEach(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
});

it('npm run emulator serves the SDK on loopback with the fixture preset', async () => {
  child = spawn(
    process.execPath,
    ['--import', 'tsx', 'local/emulator/cli.ts', '--port', '0', '--preset', 'fixture'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout! });
  const [line] = (await once(lines, 'line')) as [string];
  const endpoint = /listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(line)?.[1];
  expect(endpoint).toBeDefined();

  const iot = new IoTClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  const audit = await iot.send(new DescribeAuditTaskCommand({ taskId: 'fixture-audit-1' }));
  expect(audit.taskStatus).toBe('COMPLETED');
  expect(audit.auditDetails?.DEVICE_CERTIFICATE_SHARED_CHECK?.nonCompliantResourcesCount).toBe(2);
  const actions = await iot.send(new ListMitigationActionsCommand({}));
  expect(actions.actionIdentifiers).toHaveLength(3);
});
