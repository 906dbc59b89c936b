/**
 * Audit checks over the emulated fleet: one simple condition per check, producing the check's
 * findings (reason code, resource identifiers) and the number of resources it looked at. Severity
 * and finding ids are filled in from the catalogue when the audit is built (audits.ts).
 */
import type { ResourceIdentifier } from '@aws-sdk/client-iot';
import { checkCatalogue } from '#lib/catalogue';
import type { CheckFixture, FindingFixture } from '../audits/audit.ts';
import type { CaCertificate, DeviceCertificate, Fleet, PolicyStatement } from './fleet.ts';

const DAY_MS = 24 * 3600 * 1000;
/** The CA expiry window is fixed; the device certificate thresholds are configurable (reference 4). */
const CA_EXPIRY_WINDOW_DAYS = 30;
const DEFAULT_DEVICE_EXPIRY_DAYS = 30;
const DEFAULT_DEVICE_AGE_DAYS = 365;

export interface CheckContext {
  readonly fleet: Fleet;
  readonly nowMs: number;
  readonly accountId: string;
  /** The check's custom configuration from the account audit configuration. */
  readonly configuration: Readonly<Record<string, string>>;
}

type Evaluate = (context: CheckContext) => CheckFixture;

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

const asList = (value: string | readonly string[]) => (typeof value === 'string' ? [value] : value);
const DATA_PLANE_ACTION = /^(\*|iot:\*|iot:(Connect|Publish|Subscribe|Receive))$/i;

/** Allows an MQTT data-plane action (or every action) on every resource. */
function allowsBroadDataPlaneAccess(statement: PolicyStatement): boolean {
  return (
    statement.Effect === 'Allow' &&
    asList(statement.Action).some((a) => DATA_PLANE_ACTION.test(a)) &&
    asList(statement.Resource).some((r) => r === '*' || r.endsWith(':*'))
  );
}

/** MQTT wildcards in a Deny do not deny what they seem to (IoT policies match them literally). */
function deniesWithMqttWildcards(statement: PolicyStatement): boolean {
  return statement.Effect === 'Deny' && asList(statement.Resource).some((r) => /[#+]/.test(r));
}

function defaultPolicyVersions(
  condition: (statement: PolicyStatement) => boolean,
  reasonForNonComplianceCode: string,
  reasonForNonCompliance: string,
): Evaluate {
  return ({ fleet }) => {
    const findings: FindingFixture[] = [];
    for (const policy of fleet.policies.values()) {
      const version = fleet.defaultPolicyVersion(policy);
      if (!version.document.Statement.some(condition)) continue;
      findings.push({
        nonCompliantResource: {
          resourceType: 'IOT_POLICY',
          resourceIdentifier: {
            policyVersionIdentifier: { policyName: policy.policyName, policyVersionId: version.versionId },
          },
        },
        reasonForNonComplianceCode,
        reasonForNonCompliance,
      });
    }
    return { findings, totalResourcesCount: fleet.policies.size };
  };
}

/** Role aliases and identity pools carry their problems as declared. */
function declaredProblems(checkName: string): Evaluate {
  const resourceType = checkCatalogue.get(checkName)!.resourceType;
  return ({ fleet }) => {
    const resources = fleet.opaqueResources.filter((r) => r.resourceType === resourceType);
    const findings = resources
      .filter((r) => r.problems[checkName] !== undefined)
      .map(
        (r): FindingFixture => ({
          nonCompliantResource: {
            resourceType: r.resourceType,
            resourceIdentifier: r.resourceIdentifier as ResourceIdentifier,
          },
          reasonForNonComplianceCode: r.problems[checkName]!,
        }),
      );
    return { findings, totalResourcesCount: resources.length };
  };
}

const days = (configuration: Readonly<Record<string, string>>, name: string, fallback: number) =>
  Number(configuration[name] ?? fallback);

const evaluators: Readonly<Record<string, Evaluate>> = {
  DEVICE_CERTIFICATE_SHARED_CHECK: activeDeviceCertificates((certificate, { fleet, nowMs }) => {
    const things = fleet.thingsOf(certificate.certificateId);
    if (things.length < 2) return undefined;
    return {
      nonCompliantResource: deviceCertificate(certificate),
      reasonForNonComplianceCode: 'CERTIFICATE_SHARED_BY_MULTIPLE_DEVICES',
      reasonForNonCompliance: 'Certificate shared by one or more devices.',
      // As the real finding shows them: the clients seen using the certificate (reference 4.2).
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
  CONFLICTING_CLIENT_IDS_CHECK: ({ fleet }) => {
    const thingsByClientId = new Map<string, number>();
    for (const { clientId } of fleet.things.values()) {
      thingsByClientId.set(clientId, (thingsByClientId.get(clientId) ?? 0) + 1);
    }
    const findings = [...thingsByClientId]
      .filter(([, things]) => things > 1)
      .map(
        ([clientId]): FindingFixture => ({
          nonCompliantResource: { resourceType: 'CLIENT_ID', resourceIdentifier: { clientId } },
          reasonForNonComplianceCode: 'DUPLICATE_CLIENT_ID_ACROSS_CONNECTIONS',
        }),
      );
    return { findings, totalResourcesCount: thingsByClientId.size };
  },
  IOT_POLICY_OVERLY_PERMISSIVE_CHECK: defaultPolicyVersions(
    allowsBroadDataPlaneAccess,
    'ALLOWS_BROAD_ACCESS_TO_IOT_DATA_PLANE_ACTIONS',
    'Policy allows broad access to IoT data plane actions',
  ),
  IOT_POLICY_POTENTIAL_MISCONFIGURATION_CHECK: defaultPolicyVersions(
    deniesWithMqttWildcards,
    'POLICY_CONTAINS_MQTT_WILDCARDS_IN_DENY_STATEMENT',
    'Policy contains MQTT wildcards in a Deny statement',
  ),
  IOT_ROLE_ALIAS_OVERLY_PERMISSIVE_CHECK: declaredProblems('IOT_ROLE_ALIAS_OVERLY_PERMISSIVE_CHECK'),
  IOT_ROLE_ALIAS_ALLOWS_ACCESS_TO_UNUSED_SERVICES_CHECK: declaredProblems(
    'IOT_ROLE_ALIAS_ALLOWS_ACCESS_TO_UNUSED_SERVICES_CHECK',
  ),
  AUTHENTICATED_COGNITO_ROLE_OVERLY_PERMISSIVE_CHECK: declaredProblems(
    'AUTHENTICATED_COGNITO_ROLE_OVERLY_PERMISSIVE_CHECK',
  ),
  UNAUTHENTICATED_COGNITO_ROLE_OVERLY_PERMISSIVE_CHECK: declaredProblems(
    'UNAUTHENTICATED_COGNITO_ROLE_OVERLY_PERMISSIVE_CHECK',
  ),
  LOGGING_DISABLED_CHECK: ({ fleet, accountId }) => ({
    findings: fleet.logging.enabled
      ? []
      : [
          {
            nonCompliantResource: {
              resourceType: 'ACCOUNT_SETTINGS',
              resourceIdentifier: { account: accountId },
            },
            reasonForNonComplianceCode: 'LOGGING_DISABLED',
            reasonForNonCompliance: 'Logging is disabled for the account',
          },
        ],
    totalResourcesCount: 1,
  }),
};

/** The check's result on the fleet as it is now. */
export function evaluateCheck(checkName: string, context: CheckContext): CheckFixture {
  const evaluate = evaluators[checkName];
  if (!evaluate) throw new Error(`no fleet condition for ${checkName}`);
  return evaluate(context);
}
