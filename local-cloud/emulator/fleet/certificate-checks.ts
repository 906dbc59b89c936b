/**
 * The certificate checks over the emulated fleet: device certificates (shared, key quality, revoked,
 * under a revoked intermediate CA, expiring, old) and CA certificates (expiring, key quality,
 * revoked). Only ACTIVE certificates are flagged.
 */
import type { FindingFixture } from '../audits/audit.ts';
import type { CheckContext, Evaluate } from './check-context.ts';
import type { CaCertificate, DeviceCertificate } from './fleet.ts';

const DAY_MS = 24 * 3600 * 1000;
/**
 * "A CA certificate is expiring within 30 days or has expired"
 * (https://docs.aws.amazon.com/iot-device-defender/latest/devguide/audit-chk-ca-cert-approaching-expiration.html);
 * the device certificate thresholds are the checks' custom configuration (model enum `ConfigName`),
 * by default 30 days and 365 days
 * (https://docs.aws.amazon.com/iot-device-defender/latest/devguide/device-certificate-age-check.html).
 */
const CA_EXPIRY_WINDOW_DAYS = 30;
const DEFAULT_DEVICE_EXPIRY_DAYS = 30;
const DEFAULT_DEVICE_AGE_DAYS = 365;

const deviceCertificate = (c: { certificateId: string }) => ({
  resourceType: 'DEVICE_CERTIFICATE' as const,
  resourceIdentifier: { deviceCertificateId: c.certificateId },
});
const caCertificate = (c: { certificateId: string }) => ({
  resourceType: 'CA_CERTIFICATE' as const,
  resourceIdentifier: { caCertificateId: c.certificateId },
});

/** A device certificate check: every ACTIVE certificate the condition flags is a finding. */
function activeDeviceCertificates(
  flag: (certificate: DeviceCertificate, context: CheckContext) => FindingFixture | undefined,
): Evaluate {
  return (context) => {
    const findings: FindingFixture[] = [];
    for (const certificate of context.fleet.deviceCertificates.values()) {
      const finding = certificate.status === 'ACTIVE' ? flag(certificate, context) : undefined;
      if (finding) findings.push(finding);
    }
    return { findings, totalResourcesCount: context.fleet.deviceCertificates.size };
  };
}

function caCertificates(flag: (ca: CaCertificate, nowMs: number) => FindingFixture | undefined): Evaluate {
  return ({ fleet, nowMs }) => {
    const findings: FindingFixture[] = [];
    for (const ca of fleet.caCertificates.values()) {
      const finding = ca.status === 'ACTIVE' ? flag(ca, nowMs) : undefined;
      if (finding) findings.push(finding);
    }
    return { findings, totalResourcesCount: fleet.caCertificates.size };
  };
}

function expiry(
  certificate: { certificateId: string; notAfterMs: number },
  nowMs: number,
  windowDays: number,
  resource: (c: { certificateId: string }) => FindingFixture['nonCompliantResource'],
): FindingFixture | undefined {
  if (certificate.notAfterMs <= nowMs) {
    return {
      nonCompliantResource: resource(certificate),
      reasonForNonComplianceCode: 'CERTIFICATE_PAST_EXPIRATION',
      reasonForNonCompliance: 'Certificate is expired',
    };
  }
  if (certificate.notAfterMs - nowMs <= windowDays * DAY_MS) {
    return {
      nonCompliantResource: resource(certificate),
      reasonForNonComplianceCode: 'CERTIFICATE_APPROACHING_EXPIRATION',
      reasonForNonCompliance: 'Certificate is approaching expiration',
    };
  }
  return undefined;
}

function keyQuality(
  certificate: { certificateId: string; keyVulnerability?: string },
  resource: (c: { certificateId: string }) => FindingFixture['nonCompliantResource'],
): FindingFixture | undefined {
  if (!certificate.keyVulnerability) return undefined;
  return {
    nonCompliantResource: resource(certificate),
    reasonForNonComplianceCode: `CERTIFICATE_KEY_VULNERABILITY_${certificate.keyVulnerability}`,
    reasonForNonCompliance: `Certificate key is vulnerable to ${certificate.keyVulnerability}`,
  };
}

const days = (configuration: Readonly<Record<string, string>>, name: string, fallback: number) =>
  Number(configuration[name] ?? fallback);

export const certificateChecks: Readonly<Record<string, Evaluate>> = {
  DEVICE_CERTIFICATE_SHARED_CHECK: activeDeviceCertificates((certificate, { fleet, nowMs }) => {
    const things = fleet.thingsOf(certificate.certificateId);
    if (things.length < 2) return undefined;
    return {
      nonCompliantResource: deviceCertificate(certificate),
      reasonForNonComplianceCode: 'CERTIFICATE_SHARED_BY_MULTIPLE_DEVICES',
      reasonForNonCompliance: 'Certificate shared by one or more devices.',
      // The findings "include ... the IDs of the clients using the certificate to connect, and the
      // connect/disconnect times" (https://docs.aws.amazon.com/iot-device-defender/latest/devguide/audit-chk-device-cert-shared.html).
      relatedResources: things.map((thing) => ({
        resourceType: 'CLIENT_ID',
        resourceIdentifier: { clientId: thing.clientId },
        additionalInfo: { CONNECTION_TIME: String(nowMs - 3_600_000), DISCONNECTION_TIME: String(nowMs) },
      })),
    };
  }),
  DEVICE_CERTIFICATE_KEY_QUALITY_CHECK: activeDeviceCertificates((c) => keyQuality(c, deviceCertificate)),
  REVOKED_DEVICE_CERTIFICATE_STILL_ACTIVE_CHECK: activeDeviceCertificates((certificate) =>
    certificate.revokedByIssuer
      ? {
          nonCompliantResource: deviceCertificate(certificate),
          reasonForNonComplianceCode: 'CERTIFICATE_REVOKED_BY_ISSUER',
          reasonForNonCompliance: 'Certificate was revoked by its issuer but is still active',
        }
      : undefined,
  ),
  INTERMEDIATE_CA_REVOKED_FOR_ACTIVE_DEVICE_CERTIFICATES_CHECK: activeDeviceCertificates(
    (certificate, { fleet }) => {
      const ca = certificate.caCertificateId
        ? fleet.caCertificates.get(certificate.caCertificateId)
        : undefined;
      if (!ca?.revokedByIssuer) return undefined;
      return {
        nonCompliantResource: deviceCertificate(certificate),
        reasonForNonComplianceCode: 'INTERMEDIATE_CA_REVOKED_BY_ISSUER',
        reasonForNonCompliance: 'The intermediate CA that issued this active certificate was revoked',
        relatedResources: [caCertificate(ca)],
      };
    },
  ),
  DEVICE_CERTIFICATE_EXPIRING_CHECK: activeDeviceCertificates((c, { nowMs, configuration }) =>
    expiry(
      c,
      nowMs,
      days(configuration, 'CERT_EXPIRATION_THRESHOLD_IN_DAYS', DEFAULT_DEVICE_EXPIRY_DAYS),
      deviceCertificate,
    ),
  ),
  DEVICE_CERTIFICATE_AGE_CHECK: activeDeviceCertificates((c, { nowMs, configuration }) =>
    nowMs - c.notBeforeMs >
    days(configuration, 'CERT_AGE_THRESHOLD_IN_DAYS', DEFAULT_DEVICE_AGE_DAYS) * DAY_MS
      ? {
          nonCompliantResource: deviceCertificate(c),
          reasonForNonComplianceCode: 'CERTIFICATE_PAST_AGE_THRESHOLD',
        }
      : undefined,
  ),
  CA_CERTIFICATE_EXPIRING_CHECK: caCertificates((ca, nowMs) =>
    expiry(ca, nowMs, CA_EXPIRY_WINDOW_DAYS, caCertificate),
  ),
  CA_CERTIFICATE_KEY_QUALITY_CHECK: caCertificates((ca) => keyQuality(ca, caCertificate)),
  REVOKED_CA_CERTIFICATE_STILL_ACTIVE_CHECK: caCertificates((ca) =>
    ca.revokedByIssuer
      ? {
          nonCompliantResource: caCertificate(ca),
          reasonForNonComplianceCode: 'CERTIFICATE_REVOKED_BY_ISSUER',
          reasonForNonCompliance: 'CA certificate was revoked by its issuer but is still active',
        }
      : undefined,
  ),
};
