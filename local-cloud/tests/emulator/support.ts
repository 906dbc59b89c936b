/** Shared set-up for the emulator tests: one emulator per test, the real SDK client, fixtures. */
import {
  type AuditFinding,
  CreateMitigationActionCommand,
  DescribeAccountAuditConfigurationCommand,
  DescribeAuditMitigationActionsTaskCommand,
  IoTClient,
  ListAuditFindingsCommand,
  type MitigationActionParams,
  StartAuditMitigationActionsTaskCommand,
  StartOnDemandAuditTaskCommand,
} from '@aws-sdk/client-iot';
import { afterEach } from 'vitest';
import { VirtualClock } from '../../clock.ts';
import {
  type AuditFixture,
  deviceCertificateFinding,
  type Emulator,
  type EmulatorOptions,
  startEmulator,
} from '../../emulator/index.ts';

export const ROLE_ARN = 'arn:aws:iam::123456789012:role/mitigation';
export const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:findings';

export interface TestEmulator {
  readonly emulator: Emulator;
  readonly clock: VirtualClock;
  readonly iot: IoTClient;
}

const running: Emulator[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.close()));
});

export async function emulatorForTest(options: Partial<EmulatorOptions> = {}): Promise<TestEmulator> {
  const clock = new VirtualClock();
  const emulator = await startEmulator({ clock, ...options });
  running.push(emulator);
  const iot = new IoTClient({
    endpoint: emulator.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  return { emulator, clock, iot };
}

/** finding-N on device certificate N (the emulator's fixture builder, under the tests' short name). */
export const deviceCertFinding = deviceCertificateFinding;

/** An audit whose DEVICE_CERTIFICATE_SHARED_CHECK has `count` findings (finding-1 ... finding-N). */
export function sharedCertAudit(
  taskId: string,
  count: number,
  extra: Partial<AuditFixture> = {},
): AuditFixture {
  return {
    taskId,
    checks: {
      DEVICE_CERTIFICATE_SHARED_CHECK: {
        findings: Array.from({ length: count }, (_, i) => deviceCertFinding(i + 1)),
        totalResourcesCount: 100,
      },
      LOGGING_DISABLED_CHECK: { findings: [] },
    },
    ...extra,
  };
}

export const snsParams: MitigationActionParams = { publishFindingToSnsParams: { topicArn: TOPIC_ARN } };
export const deactivateParams: MitigationActionParams = {
  updateDeviceCertificateParams: { action: 'DEACTIVATE' },
};
export const quarantineParams: MitigationActionParams = {
  addThingsToThingGroupParams: { thingGroupNames: ['quarantine'] },
};

export async function createAction(iot: IoTClient, actionName: string, actionParams: MitigationActionParams) {
  return iot.send(new CreateMitigationActionCommand({ actionName, roleArn: ROLE_ARN, actionParams }));
}

/** The rejection of a promise, for asserting the SDK's exception class, status and message. */
export async function rejectionOf(
  promise: Promise<unknown>,
): Promise<{ name: string; status: number; message: string }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata?.httpStatusCode ?? 0, message: e.message };
  }
  throw new Error('expected the call to fail');
}

/** Every finding of an audit, through the SDK's pages. */
export async function allFindings(iot: IoTClient, taskId: string): Promise<AuditFinding[]> {
  const findings: AuditFinding[] = [];
  let nextToken: string | undefined;
  do {
    const page = await iot.send(new ListAuditFindingsCommand({ taskId, nextToken, maxResults: 250 }));
    findings.push(...(page.findings ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return findings;
}

/** Starts an on-demand audit of every enabled check and lets it end (60 s of virtual time). */
export async function auditNow(t: TestEmulator): Promise<string> {
  const { auditCheckConfigurations = {} } = await t.iot.send(
    new DescribeAccountAuditConfigurationCommand({}),
  );
  const targetCheckNames = Object.keys(auditCheckConfigurations).filter(
    (name) => auditCheckConfigurations[name]?.enabled,
  );
  const { taskId } = await t.iot.send(new StartOnDemandAuditTaskCommand({ targetCheckNames }));
  await t.clock.advance(60_000);
  return taskId!;
}

/** Starts a mitigation task over the whole audit and lets it finish; returns its description. */
export async function mitigate(t: TestEmulator, auditTaskId: string, mapping: Record<string, string[]>) {
  const taskId = `mitigate-${auditTaskId}`;
  await t.iot.send(
    new StartAuditMitigationActionsTaskCommand({
      taskId,
      clientRequestToken: taskId,
      target: { auditTaskId },
      auditCheckToActionsMapping: mapping,
    }),
  );
  await t.clock.advance(3_600_000);
  return t.iot.send(new DescribeAuditMitigationActionsTaskCommand({ taskId }));
}
