/** Builders of the audit fixtures that `DeviceDefenderService.addAudit` takes. */
import type { FindingFixture } from './audits/audit.ts';

/**
 * Finding `finding-<n>` of a device certificate whose id is `n` in hex, padded to the 64 characters
 * IoT certificate ids have; `extra` adds or overrides members (a reason code, a declared failure...).
 */
export function deviceCertificateFinding(n: number, extra: Partial<FindingFixture> = {}): FindingFixture {
  return {
    findingId: `finding-${n}`,
    nonCompliantResource: {
      resourceType: 'DEVICE_CERTIFICATE',
      resourceIdentifier: { deviceCertificateId: n.toString(16).padStart(64, '0') },
    },
    ...extra,
  };
}
