/**
 * The `demo` preset: a few dozen devices, most healthy, with one planted case of every problem the
 * default policy (config/default-policy.yaml) acts on, the quarantine thing group, the policy's
 * mitigation actions under its names, and a daily scheduled audit of every enabled check.
 */
import { createHash } from 'node:crypto';
import type { DeviceCertificate, PolicyDocument } from '../fleet/fleet.ts';
import type { DeviceDefenderService } from '../service.ts';

const ACCOUNT = '123456789012';
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/device-defender-mitigation`;
export const DEMO_FINDINGS_TOPIC = `arn:aws:sns:us-east-1:${ACCOUNT}:device-defender-findings`;
export const QUARANTINE_GROUP = 'quarantine';
const DAY_MS = 24 * 3600 * 1000;

/** Certificate ids are 64 hex characters; derived from a name so the demo reads the same every run. */
export const certificateIdOf = (name: string) => createHash('sha256').update(name).digest('hex');

export const DEMO_CAS = {
  root: certificateIdOf('ca/root'),
  revokedIntermediate: certificateIdOf('ca/revoked-intermediate'),
  expiring: certificateIdOf('ca/expiring'),
  weakKey: certificateIdOf('ca/weak-key'),
};

/** The planted problems, by thing name (the shared certificate spans three things). */
export const DEMO_PROBLEMS = {
  sharedCertificate: ['shared-1', 'shared-2', 'shared-3'],
  weakKey: ['weak-key-1', 'weak-key-2'],
  revokedStillActive: ['revoked-1', 'revoked-2'],
  underRevokedIntermediate: ['intermediate-1', 'intermediate-2', 'intermediate-3'],
  expiring: ['expiring-soon', 'expired'],
  conflictingClientId: ['gateway-a', 'gateway-b'],
  /**
   * Revoked by its issuer, and its owner's nightly provisioning job re-activates it before each
   * scheduled audit: every deactivation completes, the verification audit (on demand) finds it fixed,
   * and the next day's scheduled audit finds it again. The loop guard's case (npm start -- --audits 4).
   */
  reactivatedByOwner: 'revoked-2',
  healthy: Array.from({ length: 20 }, (_, i) => `sensor-${String(i + 1).padStart(2, '0')}`),
} as const;

const allowTelemetry: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: 'iot:Connect',
      Resource: `arn:aws:iot:us-east-1:${ACCOUNT}:client/\${iot:ClientId}`,
    },
    {
      Effect: 'Allow',
      Action: 'iot:Publish',
      Resource: `arn:aws:iot:us-east-1:${ACCOUNT}:topic/telemetry/*`,
    },
  ],
};
const allowEverything: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'iot:*', Resource: '*' }],
};
const denyWithWildcard: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: 'iot:Subscribe',
      Resource: `arn:aws:iot:us-east-1:${ACCOUNT}:topicfilter/fleet/*`,
    },
    {
      Effect: 'Deny',
      Action: 'iot:Subscribe',
      Resource: `arn:aws:iot:us-east-1:${ACCOUNT}:topicfilter/fleet/admin/#`,
    },
  ],
};

export function demoFleet(service: DeviceDefenderService, nowMs: number): void {
  const fleet = service.fleet;
  const validFor = (days: number) => ({
    notBeforeMs: nowMs - 90 * DAY_MS,
    notAfterMs: nowMs + days * DAY_MS,
  });
  const device = (thingName: string, certificate: Partial<DeviceCertificate> = {}, clientId?: string) => {
    const certificateId = certificateIdOf(`device/${thingName}`);
    fleet.addDeviceCertificate({
      certificateId,
      status: 'ACTIVE',
      caCertificateId: DEMO_CAS.root,
      ...validFor(730),
      ...certificate,
    });
    fleet.addThing({ thingName, clientId, certificateIds: [certificateId] });
  };

  fleet.addCaCertificate({
    certificateId: DEMO_CAS.root,
    status: 'ACTIVE',
    notAfterMs: nowMs + 3650 * DAY_MS,
  });
  fleet.addCaCertificate({
    certificateId: DEMO_CAS.revokedIntermediate,
    status: 'ACTIVE',
    notAfterMs: nowMs + 1825 * DAY_MS,
    revokedByIssuer: true,
  });
  fleet.addCaCertificate({
    certificateId: DEMO_CAS.expiring,
    status: 'ACTIVE',
    notAfterMs: nowMs + 10 * DAY_MS,
  });
  fleet.addCaCertificate({
    certificateId: DEMO_CAS.weakKey,
    status: 'ACTIVE',
    notAfterMs: nowMs + 1825 * DAY_MS,
    keyVulnerability: 'CVE-2008-0166',
  });

  for (const thingName of DEMO_PROBLEMS.healthy) device(thingName);
  const shared = certificateIdOf('device/shared');
  fleet.addDeviceCertificate({
    certificateId: shared,
    status: 'ACTIVE',
    caCertificateId: DEMO_CAS.root,
    ...validFor(730),
  });
  for (const thingName of DEMO_PROBLEMS.sharedCertificate)
    fleet.addThing({ thingName, certificateIds: [shared] });
  device('weak-key-1', { keyVulnerability: 'CVE-2017-15361' });
  device('weak-key-2', { keyVulnerability: 'CVE-2008-0166' });
  for (const thingName of DEMO_PROBLEMS.revokedStillActive)
    device(thingName, {
      revokedByIssuer: true,
      ...(thingName === DEMO_PROBLEMS.reactivatedByOwner ? { reactivatedByOwner: true } : {}),
    });
  for (const thingName of DEMO_PROBLEMS.underRevokedIntermediate) {
    device(thingName, { caCertificateId: DEMO_CAS.revokedIntermediate });
  }
  device('expiring-soon', validFor(12));
  device('expired', { notBeforeMs: nowMs - 400 * DAY_MS, notAfterMs: nowMs - 5 * DAY_MS });
  for (const thingName of DEMO_PROBLEMS.conflictingClientId) device(thingName, {}, 'gateway');
  // Revoked by its issuer but already deactivated: no finding.
  device('retired', { revokedByIssuer: true, status: 'INACTIVE' });

  fleet.addPolicy('DeviceTelemetry', allowTelemetry, nowMs);
  fleet.addPolicy('LegacyAllowAll', allowEverything, nowMs);
  fleet.addPolicy('FleetSubscribe', denyWithWildcard, nowMs);
  fleet.addThingGroup(QUARANTINE_GROUP);
  fleet.setLogging({ enabled: false });
  fleet.addOpaqueResource({
    resourceType: 'ROLE_ALIAS',
    resourceIdentifier: { roleAliasArn: `arn:aws:iot:us-east-1:${ACCOUNT}:rolealias/firmware-download` },
    problems: {
      IOT_ROLE_ALIAS_OVERLY_PERMISSIVE_CHECK: 'ALLOWS_BROAD_ACCESS_TO_USED_SERVICES',
      IOT_ROLE_ALIAS_ALLOWS_ACCESS_TO_UNUSED_SERVICES_CHECK: 'ALLOWS_ACCESS_TO_UNUSED_SERVICES',
    },
  });
  fleet.addOpaqueResource({
    resourceType: 'COGNITO_IDENTITY_POOL',
    resourceIdentifier: { cognitoIdentityPoolId: 'us-east-1:6f5a2c1e-0b7d-4e8f-9a3b-2c1d0e9f8a7b' },
    problems: {
      AUTHENTICATED_COGNITO_ROLE_OVERLY_PERMISSIVE_CHECK: 'ALLOWS_ACCESS_TO_IOT_THING_ADMIN_WRITE_ACTIONS',
      UNAUTHENTICATED_COGNITO_ROLE_OVERLY_PERMISSIVE_CHECK: 'ALLOWS_BROAD_ACCESS_TO_IOT_DATA_PLANE_ACTIONS',
    },
  });

  // The default policy's actions, plus the two types it never uses automatically.
  const actions = {
    PublishFinding: { publishFindingToSnsParams: { topicArn: DEMO_FINDINGS_TOPIC } },
    QuarantineDevice: { addThingsToThingGroupParams: { thingGroupNames: [QUARANTINE_GROUP] } },
    DeactivateDeviceCertificate: { updateDeviceCertificateParams: { action: 'DEACTIVATE' as const } },
    DeactivateCaCertificate: { updateCACertificateParams: { action: 'DEACTIVATE' as const } },
    ReplaceWithBlankPolicy: { replaceDefaultPolicyVersionParams: { templateName: 'BLANK_POLICY' as const } },
    EnableIotLogging: {
      enableIoTLoggingParams: {
        roleArnForLogging: `arn:aws:iam::${ACCOUNT}:role/iot-logging`,
        logLevel: 'INFO' as const,
      },
    },
  };
  for (const [actionName, actionParams] of Object.entries(actions)) {
    service.createMitigationAction({ actionName, roleArn: ROLE_ARN, actionParams });
  }
  const { auditCheckConfigurations = {} } = service.describeAccountAuditConfiguration();
  service.createScheduledAudit({
    scheduledAuditName: 'DailyAudit',
    frequency: 'DAILY',
    targetCheckNames: Object.keys(auditCheckConfigurations).filter(
      (name) => auditCheckConfigurations[name]?.enabled,
    ),
  });
}
