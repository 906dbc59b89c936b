/**
 * Named starting states for the emulator:
 * - `fixture`: one declared, completed audit with a handful of findings (one of whose actions fails);
 * - `demo`: a fleet of a few dozen devices with every kind of problem the default policy acts on,
 *   the quarantine group and the default policy's mitigation actions (demo-fleet.ts);
 * - `large`: a completed audit of one million findings, generated lazily (large-audit.ts).
 */
import type { AuditFixture, FindingFixture } from '../audits/audit.ts';
import type { DeviceDefenderService } from '../service.ts';
import { demoFleet } from './demo-fleet.ts';
import { largeAudit } from './large-audit.ts';

const ROLE_ARN = 'arn:aws:iam::123456789012:role/device-defender-mitigation';

function deviceCertificate(n: number, extra: Partial<FindingFixture> = {}): FindingFixture {
  return {
    nonCompliantResource: {
      resourceType: 'DEVICE_CERTIFICATE',
      resourceIdentifier: { deviceCertificateId: n.toString(16).padStart(64, 'c') },
    },
    ...extra,
  };
}

function fixtureAudit(startMs: number): AuditFixture {
  return {
    taskId: 'fixture-audit-1',
    taskStartTime: startMs,
    checks: {
      DEVICE_CERTIFICATE_SHARED_CHECK: {
        totalResourcesCount: 40,
        findings: [
          deviceCertificate(1),
          deviceCertificate(2, {
            failure: {
              actionName: 'fixture-quarantine',
              errorCode: 'INVALID_STATE_OF_RESOURCE',
              message: 'The thing is already in the maximum number of thing groups',
            },
          }),
        ],
      },
      DEVICE_CERTIFICATE_EXPIRING_CHECK: {
        totalResourcesCount: 40,
        findings: [
          deviceCertificate(3, { reasonForNonComplianceCode: 'CERTIFICATE_PAST_EXPIRATION' }),
          deviceCertificate(4, { reasonForNonComplianceCode: 'CERTIFICATE_APPROACHING_EXPIRATION' }),
        ],
      },
      LOGGING_DISABLED_CHECK: {
        totalResourcesCount: 1,
        findings: [
          {
            nonCompliantResource: {
              resourceType: 'ACCOUNT_SETTINGS',
              resourceIdentifier: { account: '123456789012' },
            },
          },
        ],
      },
      CONFLICTING_CLIENT_IDS_CHECK: { totalResourcesCount: 40 },
    },
  };
}

export const presets: Readonly<Record<string, (service: DeviceDefenderService, nowMs: number) => void>> = {
  fixture: (service, nowMs) => {
    service.addAudit(fixtureAudit(nowMs));
    const actions = {
      'fixture-publish': {
        publishFindingToSnsParams: { topicArn: 'arn:aws:sns:us-east-1:123456789012:findings' },
      },
      'fixture-quarantine': { addThingsToThingGroupParams: { thingGroupNames: ['quarantine'] } },
      'fixture-deactivate': { updateDeviceCertificateParams: { action: 'DEACTIVATE' as const } },
    };
    for (const [actionName, actionParams] of Object.entries(actions)) {
      service.createMitigationAction({ actionName, roleArn: ROLE_ARN, actionParams });
    }
  },
  demo: demoFleet,
  large: largeAudit,
};
