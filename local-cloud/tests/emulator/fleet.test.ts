import {
  type AuditFinding,
  CancelAuditTaskCommand,
  DescribeAuditFindingCommand,
  DescribeAuditTaskCommand,
  ListAuditFindingsCommand,
  ListAuditMitigationActionsExecutionsCommand,
  StartAuditMitigationActionsTaskCommand,
  StartOnDemandAuditTaskCommand,
  UpdateAccountAuditConfigurationCommand,
} from '@aws-sdk/client-iot';
import { describe, expect, it } from 'vitest';
import { certificateIdOf, DEMO_CAS, DEMO_PROBLEMS, demoFleet } from '../../emulator/presets/demo-fleet.ts';
import {
  allFindings,
  auditNow,
  emulatorForTest,
  mitigate,
  rejectionOf,
  type TestEmulator,
} from './support.ts';

async function demo(): Promise<TestEmulator> {
  const t = await emulatorForTest();
  demoFleet(t.emulator.service, t.clock.now());
  return t;
}

const device = (thingName: string) => certificateIdOf(`device/${thingName}`);
const SHARED = certificateIdOf('device/shared');

/** `REASON_CODE resource` per finding, by check, sorted: what an audit found, readably. */
function byCheck(findings: readonly AuditFinding[]): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  for (const f of findings) {
    const id = f.nonCompliantResource?.resourceIdentifier ?? {};
    const resource =
      id.deviceCertificateId ??
      id.caCertificateId ??
      id.clientId ??
      (id.policyVersionIdentifier &&
        `${id.policyVersionIdentifier.policyName}@${id.policyVersionIdentifier.policyVersionId}`) ??
      id.roleAliasArn ??
      id.cognitoIdentityPoolId ??
      id.account;
    result[f.checkName!] = [...(result[f.checkName!] ?? []), `${f.reasonForNonComplianceCode} ${resource}`];
  }
  for (const list of Object.values(result)) list.sort();
  return result;
}

const sorted = (...items: string[]) => items.sort();

describe('audits of the demo fleet', () => {
  it('finds each planted problem, with check, reason code, severity and resource', async () => {
    const t = await demo();
    const taskId = await auditNow(t);
    const findings = await allFindings(t.iot, taskId);
    expect(byCheck(findings)).toEqual({
      DEVICE_CERTIFICATE_SHARED_CHECK: [`CERTIFICATE_SHARED_BY_MULTIPLE_DEVICES ${SHARED}`],
      DEVICE_CERTIFICATE_KEY_QUALITY_CHECK: sorted(
        `CERTIFICATE_KEY_VULNERABILITY_CVE-2017-15361 ${device('weak-key-1')}`,
        `CERTIFICATE_KEY_VULNERABILITY_CVE-2008-0166 ${device('weak-key-2')}`,
      ),
      REVOKED_DEVICE_CERTIFICATE_STILL_ACTIVE_CHECK: sorted(
        `CERTIFICATE_REVOKED_BY_ISSUER ${device('revoked-1')}`,
        `CERTIFICATE_REVOKED_BY_ISSUER ${device('revoked-2')}`,
      ),
      INTERMEDIATE_CA_REVOKED_FOR_ACTIVE_DEVICE_CERTIFICATES_CHECK: sorted(
        ...[1, 2, 3].map((n) => `INTERMEDIATE_CA_REVOKED_BY_ISSUER ${device(`intermediate-${n}`)}`),
      ),
      DEVICE_CERTIFICATE_EXPIRING_CHECK: sorted(
        `CERTIFICATE_APPROACHING_EXPIRATION ${device('expiring-soon')}`,
        `CERTIFICATE_PAST_EXPIRATION ${device('expired')}`,
      ),
      CA_CERTIFICATE_EXPIRING_CHECK: [`CERTIFICATE_APPROACHING_EXPIRATION ${DEMO_CAS.expiring}`],
      CA_CERTIFICATE_KEY_QUALITY_CHECK: [`CERTIFICATE_KEY_VULNERABILITY_CVE-2008-0166 ${DEMO_CAS.weakKey}`],
      REVOKED_CA_CERTIFICATE_STILL_ACTIVE_CHECK: [
        `CERTIFICATE_REVOKED_BY_ISSUER ${DEMO_CAS.revokedIntermediate}`,
      ],
      CONFLICTING_CLIENT_IDS_CHECK: ['DUPLICATE_CLIENT_ID_ACROSS_CONNECTIONS gateway'],
      IOT_POLICY_OVERLY_PERMISSIVE_CHECK: ['ALLOWS_BROAD_ACCESS_TO_IOT_DATA_PLANE_ACTIONS LegacyAllowAll@1'],
      IOT_POLICY_POTENTIAL_MISCONFIGURATION_CHECK: [
        'POLICY_CONTAINS_MQTT_WILDCARDS_IN_DENY_STATEMENT FleetSubscribe@1',
      ],
      IOT_ROLE_ALIAS_OVERLY_PERMISSIVE_CHECK: [
        'ALLOWS_BROAD_ACCESS_TO_USED_SERVICES arn:aws:iot:us-east-1:123456789012:rolealias/firmware-download',
      ],
      IOT_ROLE_ALIAS_ALLOWS_ACCESS_TO_UNUSED_SERVICES_CHECK: [
        'ALLOWS_ACCESS_TO_UNUSED_SERVICES arn:aws:iot:us-east-1:123456789012:rolealias/firmware-download',
      ],
      AUTHENTICATED_COGNITO_ROLE_OVERLY_PERMISSIVE_CHECK: [
        'ALLOWS_ACCESS_TO_IOT_THING_ADMIN_WRITE_ACTIONS us-east-1:6f5a2c1e-0b7d-4e8f-9a3b-2c1d0e9f8a7b',
      ],
      UNAUTHENTICATED_COGNITO_ROLE_OVERLY_PERMISSIVE_CHECK: [
        'ALLOWS_BROAD_ACCESS_TO_IOT_DATA_PLANE_ACTIONS us-east-1:6f5a2c1e-0b7d-4e8f-9a3b-2c1d0e9f8a7b',
      ],
      LOGGING_DISABLED_CHECK: ['LOGGING_DISABLED 123456789012'],
    });

    const shared = findings.find((f) => f.checkName === 'DEVICE_CERTIFICATE_SHARED_CHECK')!;
    expect(shared).toMatchObject({
      taskId,
      severity: 'CRITICAL',
      nonCompliantResource: { resourceType: 'DEVICE_CERTIFICATE' },
    });
    expect(shared.relatedResources?.map((r) => r.resourceIdentifier?.clientId)).toEqual([
      'shared-1',
      'shared-2',
      'shared-3',
    ]);
    const described = await t.iot.send(new DescribeAuditFindingCommand({ findingId: shared.findingId }));
    expect(described.finding).toEqual(shared);

    const audit = await t.iot.send(new DescribeAuditTaskCommand({ taskId }));
    expect(audit).toMatchObject({
      taskStatus: 'COMPLETED',
      taskType: 'ON_DEMAND_AUDIT_TASK',
      taskStatistics: { totalChecks: 16, nonCompliantChecks: 16, compliantChecks: 0 },
      auditDetails: {
        DEVICE_CERTIFICATE_SHARED_CHECK: { totalResourcesCount: 33, nonCompliantResourcesCount: 1 },
        LOGGING_DISABLED_CHECK: { totalResourcesCount: 1, nonCompliantResourcesCount: 1 },
      },
    });
  });

  it('runs IN_PROGRESS for its duration with its results hidden, and can be canceled', async () => {
    const t = await demo();
    t.emulator.service.setAuditProgress({ durationMs: 10_000 });
    const { taskId } = await t.iot.send(
      new StartOnDemandAuditTaskCommand({ targetCheckNames: ['LOGGING_DISABLED_CHECK'] }),
    );
    expect(taskId).toMatch(/^[0-9a-f]{32}$/);
    const running = await t.iot.send(new DescribeAuditTaskCommand({ taskId }));
    expect(running).toMatchObject({
      taskStatus: 'IN_PROGRESS',
      taskStatistics: { totalChecks: 1, inProgressChecks: 1 },
      auditDetails: { LOGGING_DISABLED_CHECK: { checkRunStatus: 'IN_PROGRESS' } },
    });
    expect((await t.iot.send(new ListAuditFindingsCommand({ taskId }))).findings).toEqual([]);
    const early = t.iot.send(
      new StartAuditMitigationActionsTaskCommand({
        taskId: 'too-early',
        clientRequestToken: 'too-early',
        target: { auditTaskId: taskId },
        auditCheckToActionsMapping: { LOGGING_DISABLED_CHECK: ['PublishFinding'] },
      }),
    );
    expect(await rejectionOf(early)).toMatchObject({ name: 'InvalidRequestException', status: 400 });

    await t.clock.advance(10_000);
    expect((await allFindings(t.iot, taskId!)).map((f) => f.checkName)).toEqual(['LOGGING_DISABLED_CHECK']);
    const late = t.iot.send(new CancelAuditTaskCommand({ taskId }));
    expect(await rejectionOf(late)).toMatchObject({ name: 'InvalidRequestException', status: 400 });

    const second = await t.iot.send(
      new StartOnDemandAuditTaskCommand({ targetCheckNames: ['LOGGING_DISABLED_CHECK'] }),
    );
    expect(second.taskId).not.toBe(taskId);
    await t.iot.send(new CancelAuditTaskCommand({ taskId: second.taskId }));
    await t.clock.advance(10_000);
    expect(await t.iot.send(new DescribeAuditTaskCommand({ taskId: second.taskId }))).toMatchObject({
      taskStatus: 'CANCELED',
      taskStatistics: { canceledChecks: 1 },
      auditDetails: { LOGGING_DISABLED_CHECK: { checkRunStatus: 'CANCELED' } },
    });
  });

  it('audits only enabled checks; the age check is off until configured, then honours its threshold', async () => {
    const t = await demo();
    const disabled = t.iot.send(
      new StartOnDemandAuditTaskCommand({ targetCheckNames: ['DEVICE_CERTIFICATE_AGE_CHECK'] }),
    );
    expect(await rejectionOf(disabled)).toMatchObject({
      name: 'InvalidRequestException',
      message: expect.stringMatching(/not enabled/),
    });
    await t.iot.send(
      new UpdateAccountAuditConfigurationCommand({
        auditCheckConfigurations: {
          DEVICE_CERTIFICATE_AGE_CHECK: {
            enabled: true,
            configuration: { CERT_AGE_THRESHOLD_IN_DAYS: '365' },
          },
        },
      }),
    );
    const { taskId } = await t.iot.send(
      new StartOnDemandAuditTaskCommand({ targetCheckNames: ['DEVICE_CERTIFICATE_AGE_CHECK'] }),
    );
    await t.clock.advance(60_000);
    expect(byCheck(await allFindings(t.iot, taskId!))).toEqual({
      DEVICE_CERTIFICATE_AGE_CHECK: [`CERTIFICATE_PAST_AGE_THRESHOLD ${device('expired')}`],
    });
  });

  it('allows 10 on-demand audits in progress; the 11th is LimitExceededException', async () => {
    const t = await demo();
    const start = () =>
      t.iot.send(new StartOnDemandAuditTaskCommand({ targetCheckNames: ['LOGGING_DISABLED_CHECK'] }));
    for (let i = 0; i < 10; i++) await start();
    expect(await rejectionOf(start())).toMatchObject({ name: 'LimitExceededException', status: 410 });
    await t.clock.advance(60_000);
    await expect(start()).resolves.toMatchObject({ taskId: expect.any(String) });
  });
});

describe('mitigation actions change the fleet', () => {
  it('shows every action type’s effect in the fleet and on a re-audit', async () => {
    const t = await demo();
    const before = t.emulator.service.fleetSummary();
    expect(before).toMatchObject({
      things: 35,
      deviceCertificates: { ACTIVE: 32, INACTIVE: 1, REVOKED: 0 },
      caCertificates: { ACTIVE: 4, INACTIVE: 0 },
      thingGroups: { quarantine: 0 },
      logging: 'DISABLED',
      policies: { LegacyAllowAll: { defaultVersionId: '1', versions: 1 } },
      publishedFindings: 0,
    });

    const audit = await auditNow(t);
    const task = await mitigate(t, audit, {
      DEVICE_CERTIFICATE_SHARED_CHECK: ['PublishFinding', 'QuarantineDevice'],
      REVOKED_DEVICE_CERTIFICATE_STILL_ACTIVE_CHECK: ['DeactivateDeviceCertificate'],
      REVOKED_CA_CERTIFICATE_STILL_ACTIVE_CHECK: ['DeactivateCaCertificate'],
      IOT_POLICY_OVERLY_PERMISSIVE_CHECK: ['ReplaceWithBlankPolicy'],
      LOGGING_DISABLED_CHECK: ['EnableIotLogging'],
    });
    expect(task.taskStatus).toBe('COMPLETED');

    const fleet = t.emulator.service.fleet;
    expect(t.emulator.service.fleetSummary()).toMatchObject({
      deviceCertificates: { ACTIVE: 30, INACTIVE: 3, REVOKED: 0 },
      caCertificates: { ACTIVE: 3, INACTIVE: 1 },
      thingGroups: { quarantine: 3 },
      logging: 'ENABLED',
      policies: { LegacyAllowAll: { defaultVersionId: '2', versions: 2 } },
      publishedFindings: 1,
    });
    expect(
      [...fleet.things.values()].filter((th) => th.thingGroups.has('quarantine')).map((th) => th.thingName),
    ).toEqual(['shared-1', 'shared-2', 'shared-3']);
    expect(fleet.caCertificates.get(DEMO_CAS.revokedIntermediate)?.status).toBe('INACTIVE');
    expect(fleet.logging).toMatchObject({ enabled: true, logLevel: 'INFO' });
    expect(fleet.publishedFindings[0]).toMatchObject({
      topicArn: expect.stringMatching(/:device-defender-findings$/),
    });
    expect(JSON.parse(fleet.publishedFindings[0]!.message)).toMatchObject({
      finding: { checkName: 'DEVICE_CERTIFICATE_SHARED_CHECK' },
    });

    const again = await auditNow(t);
    const { auditDetails } = await t.iot.send(new DescribeAuditTaskCommand({ taskId: again }));
    const runStatus = (check: string) => auditDetails?.[check]?.checkRunStatus;
    expect(runStatus('REVOKED_DEVICE_CERTIFICATE_STILL_ACTIVE_CHECK')).toBe('COMPLETED_COMPLIANT');
    expect(runStatus('REVOKED_CA_CERTIFICATE_STILL_ACTIVE_CHECK')).toBe('COMPLETED_COMPLIANT');
    expect(runStatus('IOT_POLICY_OVERLY_PERMISSIVE_CHECK')).toBe('COMPLETED_COMPLIANT');
    expect(runStatus('LOGGING_DISABLED_CHECK')).toBe('COMPLETED_COMPLIANT');
    // Quarantine isolates the devices; the certificate is still shared, as the real check would say.
    expect(runStatus('DEVICE_CERTIFICATE_SHARED_CHECK')).toBe('COMPLETED_NON_COMPLIANT');
  });

  it('fails INVALID_STATE_OF_RESOURCE where the resource forbids the action', async () => {
    const t = await demo();
    const fleet = t.emulator.service.fleet;
    for (let g = 1; g <= 10; g++) {
      fleet.addThingGroup(`group-${g}`);
      fleet.things.get('shared-2')!.thingGroups.add(`group-${g}`);
    }
    const policy = fleet.policies.get('LegacyAllowAll')!;
    for (let v = 0; v < 4; v++)
      fleet.addDefaultPolicyVersion(policy, policy.versions[0]!.document, t.clock.now());
    const audit = await auditNow(t);
    // Revoked in IoT after the audit found it: it can no longer be deactivated.
    fleet.deviceCertificates.get(device('revoked-1'))!.status = 'REVOKED';

    const task = await mitigate(t, audit, {
      DEVICE_CERTIFICATE_SHARED_CHECK: ['QuarantineDevice'],
      IOT_POLICY_OVERLY_PERMISSIVE_CHECK: ['ReplaceWithBlankPolicy'],
      REVOKED_DEVICE_CERTIFICATE_STILL_ACTIVE_CHECK: ['DeactivateDeviceCertificate'],
    });
    expect(task).toMatchObject({
      taskStatus: 'FAILED',
      taskStatistics: {
        DEVICE_CERTIFICATE_SHARED_CHECK: { failedFindingsCount: 1 },
        IOT_POLICY_OVERLY_PERMISSIVE_CHECK: { failedFindingsCount: 1 },
        REVOKED_DEVICE_CERTIFICATE_STILL_ACTIVE_CHECK: { failedFindingsCount: 1, succeededFindingsCount: 1 },
      },
    });
    const [failed] = (await allFindings(t.iot, audit)).filter(
      (f) => f.nonCompliantResource?.resourceIdentifier?.deviceCertificateId === device('revoked-1'),
    );
    const executions = await t.iot.send(
      new ListAuditMitigationActionsExecutionsCommand({
        taskId: `mitigate-${audit}`,
        findingId: failed!.findingId,
      }),
    );
    expect(executions.actionsExecutions?.[0]).toMatchObject({
      status: 'FAILED',
      errorCode: 'INVALID_STATE_OF_RESOURCE',
      message: expect.stringMatching(/revoked/),
    });
    // All or nothing: no thing of the shared certificate joined the group.
    expect(t.emulator.service.fleetSummary().thingGroups.quarantine).toBe(0);
    expect(policy.versions).toHaveLength(5);
  });

  it('a certificate its owner re-activates: the deactivation completes, the next scheduled audit finds it again', async () => {
    const t = await demo();
    const REVOKED = 'REVOKED_DEVICE_CERTIFICATE_STILL_ACTIVE_CHECK';
    const revokedIn = async (taskId: string) => byCheck(await allFindings(t.iot, taskId))[REVOKED] ?? [];
    const scheduled = async () => {
      const taskId = t.emulator.service.runScheduledAudit('DailyAudit');
      await t.clock.advance(60_000);
      return taskId;
    };
    const owned = device(DEMO_PROBLEMS.reactivatedByOwner);
    const first = await scheduled();
    expect(await revokedIn(first)).toEqual(
      sorted(
        `CERTIFICATE_REVOKED_BY_ISSUER ${device('revoked-1')}`,
        `CERTIFICATE_REVOKED_BY_ISSUER ${owned}`,
      ),
    );
    const task = await mitigate(t, first, { [REVOKED]: ['DeactivateDeviceCertificate'] });
    expect(task.taskStatistics?.[REVOKED]).toMatchObject({
      succeededFindingsCount: 2,
      failedFindingsCount: 0,
    });
    // An on-demand audit (a verification) finds both fixed, and the fleet shows them deactivated.
    expect(await revokedIn(await auditNow(t))).toEqual([]);
    expect(t.emulator.service.fleet.deviceCertificateStatus(owned)).toBe('INACTIVE');
    // The owner's nightly job runs before the scheduled audit: it finds the one it re-activated.
    expect(await revokedIn(await scheduled())).toEqual([`CERTIFICATE_REVOKED_BY_ISSUER ${owned}`]);
    expect(t.emulator.service.fleet.deviceCertificateStatus(owned)).toBe('ACTIVE');
    expect(t.emulator.service.fleet.deviceCertificateStatus(device('revoked-1'))).toBe('INACTIVE');
  });
});
