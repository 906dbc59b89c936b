import {
  DescribeAuditTaskCommand,
  ListAuditMitigationActionsExecutionsCommand,
  ListMitigationActionsCommand,
  ThrottlingException,
} from '@aws-sdk/client-iot';
import { describe, expect, it } from 'vitest';
import { demoFleet } from '../../emulator/presets/demo-fleet.ts';
import { allFindings, auditNow, emulatorForTest, mitigate, type TestEmulator } from './support.ts';

async function demo(): Promise<TestEmulator> {
  const t = await emulatorForTest();
  demoFleet(t.emulator.service, t.clock.now());
  return t;
}

describe('throttling injection', () => {
  it('answers the named operations with ThrottlingException (HTTP 400, x-amzn-ErrorType)', async () => {
    const t = await demo();
    const audit = await auditNow(t);
    t.emulator.service.injectThrottling({ operations: ['DescribeAuditTask'] });

    const throttled = await fetch(`${t.emulator.endpoint}/audit/tasks/${audit}`);
    expect(throttled.status).toBe(400);
    expect(throttled.headers.get('x-amzn-errortype')).toBe('ThrottlingException');
    expect(await throttled.json()).toEqual({ message: 'Rate exceeded' });
    const error = await t.iot.send(new DescribeAuditTaskCommand({ taskId: audit })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ThrottlingException);
    await expect(t.iot.send(new ListMitigationActionsCommand({}))).resolves.toBeDefined();

    t.emulator.service.injectThrottling(undefined);
    await expect(t.iot.send(new DescribeAuditTaskCommand({ taskId: audit }))).resolves.toBeDefined();
  });

  it('throttles a seeded share of calls, the same calls on every run', async () => {
    const outcomes = async () => {
      const t = await demo();
      t.emulator.service.injectThrottling({ rate: 0.3, seed: 42 });
      const results: string[] = [];
      for (let i = 0; i < 40; i++) {
        results.push(
          await t.iot.send(new ListMitigationActionsCommand({})).then(
            () => 'ok',
            (error: Error) => error.name,
          ),
        );
      }
      return results;
    };
    const first = await outcomes();
    expect(await outcomes()).toEqual(first);
    const throttled = first.filter((r) => r === 'ThrottlingException').length;
    expect(throttled).toBeGreaterThan(4);
    expect(throttled).toBeLessThan(20);
    expect(first.filter((r) => r !== 'ok' && r !== 'ThrottlingException')).toEqual([]);
  });
});

describe('action failure injection', () => {
  it('fails an action type with the chosen error code; earlier actions ran, later ones are skipped', async () => {
    const t = await demo();
    t.emulator.service.injectActionFailures({ actionTypes: ['ADD_THINGS_TO_THING_GROUP'] });
    const audit = await auditNow(t);
    const task = await mitigate(t, audit, {
      DEVICE_CERTIFICATE_SHARED_CHECK: ['PublishFinding', 'QuarantineDevice', 'DeactivateDeviceCertificate'],
    });
    expect(task).toMatchObject({
      taskStatus: 'FAILED',
      taskStatistics: {
        DEVICE_CERTIFICATE_SHARED_CHECK: { failedFindingsCount: 1, succeededFindingsCount: 0 },
      },
    });
    const [finding] = (await allFindings(t.iot, audit)).filter(
      (f) => f.checkName === 'DEVICE_CERTIFICATE_SHARED_CHECK',
    );
    const { actionsExecutions } = await t.iot.send(
      new ListAuditMitigationActionsExecutionsCommand({
        taskId: `mitigate-${audit}`,
        findingId: finding!.findingId,
      }),
    );
    expect(actionsExecutions?.map((e) => [e.actionName, e.status, e.errorCode])).toEqual([
      ['PublishFinding', 'COMPLETED', undefined],
      ['QuarantineDevice', 'FAILED', 'INSUFFICIENT_PERMISSIONS'],
      ['DeactivateDeviceCertificate', 'SKIPPED', undefined],
    ]);
    expect(actionsExecutions?.[1]?.message).toMatch(
      /is not authorized to perform the ADD_THINGS_TO_THING_GROUP action/,
    );
    // The failed action changed nothing, and the skipped one never ran.
    expect(t.emulator.service.fleetSummary()).toMatchObject({
      thingGroups: { quarantine: 0 },
      deviceCertificates: { INACTIVE: 1 },
      publishedFindings: 1,
    });
  });

  it('fails a seeded share of actions with INVALID_STATE_OF_RESOURCE, the same ones on every run', async () => {
    const failedFindings = async () => {
      const t = await demo();
      // A known audit id, so both runs decide about the same findings.
      t.emulator.service.addAudit({
        taskId: 'many',
        checks: {
          DEVICE_CERTIFICATE_EXPIRING_CHECK: {
            findings: Array.from({ length: 40 }, (_, i) => ({
              findingId: `f-${i}`,
              nonCompliantResource: {
                resourceType: 'DEVICE_CERTIFICATE' as const,
                resourceIdentifier: { deviceCertificateId: i.toString(16).padStart(64, '0') },
              },
            })),
          },
        },
      });
      t.emulator.service.injectActionFailures({
        rate: 0.25,
        errorCode: 'INVALID_STATE_OF_RESOURCE',
        seed: 3,
      });
      const task = await mitigate(t, 'many', { DEVICE_CERTIFICATE_EXPIRING_CHECK: ['PublishFinding'] });
      return task.taskStatistics?.DEVICE_CERTIFICATE_EXPIRING_CHECK?.failedFindingsCount;
    };
    const failed = await failedFindings();
    expect(failed).toBeGreaterThan(3);
    expect(failed).toBeLessThan(20);
    expect(await failedFindings()).toBe(failed);
  });
});
