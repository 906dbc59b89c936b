/** Shared set-up for the emulator tests: one emulator per test, the real SDK client, fixtures. */
import { CreateMitigationActionCommand, IoTClient, type MitigationActionParams } from '@aws-sdk/client-iot';
import { afterEach } from 'vitest';
import { VirtualClock } from '../../local/clock.ts';
import {
  type AuditFixture,
  type Emulator,
  type EmulatorOptions,
  type FindingFixture,
  startEmulator,
} from '../../local/emulator/index.ts';

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

export function deviceCertFinding(n: number, extra: Partial<FindingFixture> = {}): FindingFixture {
  return {
    findingId: `finding-${n}`,
    nonCompliantResource: {
      resourceType: 'DEVICE_CERTIFICATE',
      resourceIdentifier: { deviceCertificateId: n.toString(16).padStart(64, '0') },
    },
    ...extra,
  };
}

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
