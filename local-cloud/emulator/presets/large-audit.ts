/**
 * The `large` preset: one completed audit with one million REVOKED_DEVICE_CERTIFICATE_STILL_ACTIVE_CHECK
 * findings over one million device certificates, all made from their index on demand. Only the
 * certificates' statuses are stored (one byte each), so deactivating them shows in the fleet summary
 * while the process stays small.
 */

import type { CheckFindings, StoredFinding } from '../audits/findings.ts';
import type { CertificateStatus, GeneratedCertificates } from '../fleet/fleet.ts';
import type { DeviceDefenderService } from '../service.ts';

export const LARGE_AUDIT_ID = 'large-audit-1';
export const LARGE_FINDING_COUNT = 1_000_000;
const CHECK = 'REVOKED_DEVICE_CERTIFICATE_STILL_ACTIVE_CHECK';

const STATUSES: readonly CertificateStatus[] = ['ACTIVE', 'INACTIVE', 'REVOKED'];
const CERTIFICATE_PREFIX = 'ab';
const FINDING_PREFIX = '00000000-0000-4000-8000-';

/** 64 hex characters that encode the index, and back. */
export const generatedCertificateId = (index: number) =>
  CERTIFICATE_PREFIX + index.toString(16).padStart(62, '0');

function indexOfCertificate(certificateId: string, count: number): number | undefined {
  if (!certificateId.startsWith(CERTIFICATE_PREFIX) || certificateId.length !== 64) return undefined;
  return indexWithin(Number.parseInt(certificateId.slice(CERTIFICATE_PREFIX.length), 16), count);
}

/** UUID-shaped like real finding ids, with the index in the last group. */
export const generatedFindingId = (index: number) => FINDING_PREFIX + index.toString(16).padStart(12, '0');

function indexOfFinding(findingId: string, count: number): number | undefined {
  if (!findingId.startsWith(FINDING_PREFIX) || findingId.length !== 36) return undefined;
  return indexWithin(Number.parseInt(findingId.slice(FINDING_PREFIX.length), 16), count);
}

function indexWithin(index: number, count: number): number | undefined {
  return Number.isInteger(index) && index >= 0 && index < count ? index : undefined;
}

/** `count` device certificates, all ACTIVE at first; one status byte each. */
export function generatedCertificates(count: number): GeneratedCertificates {
  const statuses = new Uint8Array(count);
  const counts: Record<CertificateStatus, number> = { ACTIVE: count, INACTIVE: 0, REVOKED: 0 };
  return {
    status: (id) => {
      const index = indexOfCertificate(id, count);
      return index === undefined ? undefined : STATUSES[statuses[index]!];
    },
    setStatus: (id, status) => {
      const index = indexOfCertificate(id, count);
      if (index === undefined) return;
      counts[STATUSES[statuses[index]!]!]--;
      counts[status]++;
      statuses[index] = STATUSES.indexOf(status);
    },
    statusCounts: () => ({ ...counts }),
  };
}

/** The findings, one per generated certificate, built on each access. */
export function generatedFindings(count: number): CheckFindings {
  return {
    count,
    at: (index): StoredFinding => ({
      findingId: generatedFindingId(index),
      checkName: CHECK,
      severity: 'MEDIUM',
      reasonForNonComplianceCode: 'CERTIFICATE_REVOKED_BY_ISSUER',
      reasonForNonCompliance: 'Certificate was revoked by its issuer but is still active',
      nonCompliantResource: {
        resourceType: 'DEVICE_CERTIFICATE',
        resourceIdentifier: { deviceCertificateId: generatedCertificateId(index) },
      },
    }),
    indexOf: (findingId) => indexOfFinding(findingId, count),
  };
}

export function largeAudit(service: DeviceDefenderService, nowMs: number): void {
  service.fleet.addGeneratedCertificates(generatedCertificates(LARGE_FINDING_COUNT));
  service.addAudit({
    taskId: LARGE_AUDIT_ID,
    taskStartTime: nowMs,
    checks: {
      [CHECK]: { findings: generatedFindings(LARGE_FINDING_COUNT), totalResourcesCount: LARGE_FINDING_COUNT },
      LOGGING_DISABLED_CHECK: { findings: [], totalResourcesCount: 1 },
    },
  });
  service.createMitigationAction({
    actionName: 'PublishFinding',
    roleArn: 'arn:aws:iam::123456789012:role/device-defender-mitigation',
    actionParams: { publishFindingToSnsParams: { topicArn: 'arn:aws:sns:us-east-1:123456789012:findings' } },
  });
  service.createMitigationAction({
    actionName: 'DeactivateDeviceCertificate',
    roleArn: 'arn:aws:iam::123456789012:role/device-defender-mitigation',
    actionParams: { updateDeviceCertificateParams: { action: 'DEACTIVATE' } },
  });
}
