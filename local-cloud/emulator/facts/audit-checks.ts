/**
 * The emulator's own facts about Device Defender's audit checks, transcribed from AWS's public
 * documentation and the IoT Smithy model, not from the product: each check's API name, severity,
 * reason codes (`reasonForNonComplianceCode`), the mitigation action types it accepts and the
 * resource type of its findings. The package exports this table (AUDIT_CHECKS, auditCheck), so the
 * product's side can hold its own catalogue against it (tests/contract/catalogue.test.ts there) and a
 * mistake on either side fails a test; tests/emulator/facts.test.ts holds it against the model.
 *
 * Sources:
 * - The checks, one page each (API name, "Severity", the reason codes under "Details"):
 *   https://docs.aws.amazon.com/iot-device-defender/latest/devguide/device-defender-audit-checks.html
 *   and the page named in each entry below (under `DOCS`).
 * - Which action types apply to which check ("Audit check to mitigation action mapping"; "All audit
 *   checks support publishing the audit findings to Amazon SNS"):
 *   https://docs.aws.amazon.com/iot-device-defender/latest/devguide/dd-mitigation-actions.html
 *   The table leaves out DEVICE_CERTIFICATE_AGE_CHECK, so it gets PUBLISH_FINDING_TO_SNS only.
 * - The enums (MitigationActionType, AuditFindingSeverity, ResourceType): model/iot-model-subset.json.
 *   A finding's resource type follows from what its page says the check finds non-compliant (a device
 *   certificate, a CA certificate, an IoT policy, ...), in the model's ResourceType names; the role
 *   alias checks report the role alias (ResourceIdentifier `roleAliasArn`, "the ARN of the role alias
 *   that has overly permissive actions",
 *   https://docs.aws.amazon.com/iot/latest/apireference/API_ResourceIdentifier.html).
 */
import type { ResourceType } from '@aws-sdk/client-iot';

/** Model enum `MitigationActionType`. */
export const MITIGATION_ACTION_TYPES = [
  'UPDATE_DEVICE_CERTIFICATE',
  'UPDATE_CA_CERTIFICATE',
  'ADD_THINGS_TO_THING_GROUP',
  'REPLACE_DEFAULT_POLICY_VERSION',
  'ENABLE_IOT_LOGGING',
  'PUBLISH_FINDING_TO_SNS',
] as const;
export type MitigationActionType = (typeof MITIGATION_ACTION_TYPES)[number];

/** Model enum `AuditFindingSeverity`. */
export type FindingSeverity = 'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW';

export interface AuditCheckFacts {
  readonly name: string;
  readonly severity: FindingSeverity;
  readonly reasonCodes: readonly string[];
  readonly actionTypes: readonly MitigationActionType[];
  /** `nonCompliantResource.resourceType` of the check's findings. */
  readonly resourceType: ResourceType;
  /** The check's page, relative to `DOCS`. */
  readonly page: string;
}

export const DOCS = 'https://docs.aws.amazon.com/iot-device-defender/latest/devguide/';

const SNS = 'PUBLISH_FINDING_TO_SNS';
/** What the mitigation page allows besides SNS, by what the check finds. */
const ON_DEVICE_CERTIFICATE = [SNS, 'UPDATE_DEVICE_CERTIFICATE', 'ADD_THINGS_TO_THING_GROUP'] as const;
const ON_CA_CERTIFICATE = [SNS, 'UPDATE_CA_CERTIFICATE'] as const;
const ON_POLICY = [SNS, 'REPLACE_DEFAULT_POLICY_VERSION'] as const;

const EXPIRY_CODES = ['CERTIFICATE_APPROACHING_EXPIRATION', 'CERTIFICATE_PAST_EXPIRATION'];
const KEY_CODES = [
  'CERTIFICATE_KEY_VULNERABILITY_CVE-2017-15361',
  'CERTIFICATE_KEY_VULNERABILITY_CVE-2008-0166',
];

export const AUDIT_CHECKS: readonly AuditCheckFacts[] = [
  {
    name: 'AUTHENTICATED_COGNITO_ROLE_OVERLY_PERMISSIVE_CHECK',
    page: 'audit-chk-auth-cognito-role-permissive.html',
    severity: 'CRITICAL',
    reasonCodes: [
      'ALLOWS_BROAD_ACCESS_TO_IOT_THING_ADMIN_READ_ACTIONS',
      'ALLOWS_ACCESS_TO_IOT_NON_THING_ADMIN_ACTIONS',
      'ALLOWS_ACCESS_TO_IOT_THING_ADMIN_WRITE_ACTIONS',
    ],
    actionTypes: [SNS],
    resourceType: 'COGNITO_IDENTITY_POOL',
  },
  {
    name: 'UNAUTHENTICATED_COGNITO_ROLE_OVERLY_PERMISSIVE_CHECK',
    page: 'audit-chk-unauth-cognito-role-permissive.html',
    severity: 'CRITICAL',
    reasonCodes: ['ALLOWS_ACCESS_TO_IOT_ADMIN_ACTIONS', 'ALLOWS_BROAD_ACCESS_TO_IOT_DATA_PLANE_ACTIONS'],
    actionTypes: [SNS],
    resourceType: 'COGNITO_IDENTITY_POOL',
  },
  {
    name: 'CA_CERTIFICATE_EXPIRING_CHECK',
    page: 'audit-chk-ca-cert-approaching-expiration.html',
    severity: 'MEDIUM',
    reasonCodes: EXPIRY_CODES,
    actionTypes: ON_CA_CERTIFICATE,
    resourceType: 'CA_CERTIFICATE',
  },
  {
    name: 'CA_CERTIFICATE_KEY_QUALITY_CHECK',
    page: 'audit-chk-ca-cert-key-quality.html',
    severity: 'CRITICAL',
    reasonCodes: KEY_CODES,
    actionTypes: ON_CA_CERTIFICATE,
    resourceType: 'CA_CERTIFICATE',
  },
  {
    name: 'REVOKED_CA_CERTIFICATE_STILL_ACTIVE_CHECK',
    page: 'audit-chk-revoked-ca-cert.html',
    severity: 'CRITICAL',
    reasonCodes: ['CERTIFICATE_REVOKED_BY_ISSUER'],
    actionTypes: ON_CA_CERTIFICATE,
    resourceType: 'CA_CERTIFICATE',
  },
  {
    name: 'INTERMEDIATE_CA_REVOKED_FOR_ACTIVE_DEVICE_CERTIFICATES_CHECK',
    page: 'audit-chk-active-intermediary-device-revoked-CA.html',
    severity: 'CRITICAL',
    reasonCodes: ['INTERMEDIATE_CA_REVOKED_BY_ISSUER'],
    actionTypes: ON_DEVICE_CERTIFICATE,
    resourceType: 'DEVICE_CERTIFICATE',
  },
  {
    name: 'DEVICE_CERTIFICATE_EXPIRING_CHECK',
    page: 'audit-chk-device-cert-approaching-expiration.html',
    severity: 'MEDIUM',
    reasonCodes: EXPIRY_CODES,
    actionTypes: ON_DEVICE_CERTIFICATE,
    resourceType: 'DEVICE_CERTIFICATE',
  },
  {
    name: 'DEVICE_CERTIFICATE_AGE_CHECK',
    page: 'device-certificate-age-check.html',
    severity: 'LOW',
    reasonCodes: ['CERTIFICATE_PAST_AGE_THRESHOLD'],
    actionTypes: [SNS],
    resourceType: 'DEVICE_CERTIFICATE',
  },
  {
    name: 'DEVICE_CERTIFICATE_KEY_QUALITY_CHECK',
    page: 'audit-chk-device-cert-key-quality.html',
    severity: 'CRITICAL',
    reasonCodes: KEY_CODES,
    actionTypes: ON_DEVICE_CERTIFICATE,
    resourceType: 'DEVICE_CERTIFICATE',
  },
  {
    name: 'DEVICE_CERTIFICATE_SHARED_CHECK',
    page: 'audit-chk-device-cert-shared.html',
    severity: 'CRITICAL',
    reasonCodes: ['CERTIFICATE_SHARED_BY_MULTIPLE_DEVICES'],
    actionTypes: ON_DEVICE_CERTIFICATE,
    resourceType: 'DEVICE_CERTIFICATE',
  },
  {
    name: 'REVOKED_DEVICE_CERTIFICATE_STILL_ACTIVE_CHECK',
    page: 'audit-chk-revoked-device-cert.html',
    severity: 'MEDIUM',
    reasonCodes: ['CERTIFICATE_REVOKED_BY_ISSUER'],
    actionTypes: ON_DEVICE_CERTIFICATE,
    resourceType: 'DEVICE_CERTIFICATE',
  },
  {
    name: 'CONFLICTING_CLIENT_IDS_CHECK',
    page: 'audit-chk-conflicting-client-ids.html',
    severity: 'HIGH',
    reasonCodes: ['DUPLICATE_CLIENT_ID_ACROSS_CONNECTIONS'],
    actionTypes: [SNS],
    resourceType: 'CLIENT_ID',
  },
  {
    name: 'IOT_POLICY_OVERLY_PERMISSIVE_CHECK',
    page: 'audit-chk-iot-policy-permissive.html',
    severity: 'CRITICAL',
    reasonCodes: ['ALLOWS_BROAD_ACCESS_TO_IOT_DATA_PLANE_ACTIONS'],
    actionTypes: ON_POLICY,
    resourceType: 'IOT_POLICY',
  },
  {
    name: 'IOT_POLICY_POTENTIAL_MISCONFIGURATION_CHECK',
    page: 'audit-chk-iot-misconfigured-policies.html',
    severity: 'MEDIUM',
    reasonCodes: [
      'POLICY_CONTAINS_MQTT_WILDCARDS_IN_DENY_STATEMENT',
      'TOPIC_FILTERS_INTENDED_TO_DENY_ALLOWED_USING_WILDCARDS',
    ],
    actionTypes: ON_POLICY,
    resourceType: 'IOT_POLICY',
  },
  {
    name: 'IOT_ROLE_ALIAS_OVERLY_PERMISSIVE_CHECK',
    page: 'audit-chk-iot-role-alias-permissive.html',
    severity: 'CRITICAL',
    reasonCodes: [
      'ALLOWS_BROAD_ACCESS_TO_USED_SERVICES',
      'ALLOWS_ACCESS_TO_SECURITY_AUDITING_SERVICES',
      'ALLOWS_BROAD_ACCESS_TO_IOT_THING_ADMIN_READ_ACTIONS',
      'ALLOWS_ACCESS_TO_IOT_NON_THING_ADMIN_ACTIONS',
      'ALLOWS_ACCESS_TO_IOT_THING_ADMIN_WRITE_ACTIONS',
      'ALLOWS_BROAD_ACCESS_TO_IOT_DATA_PLANE_ACTIONS',
    ],
    actionTypes: [SNS],
    resourceType: 'ROLE_ALIAS',
  },
  {
    name: 'IOT_ROLE_ALIAS_ALLOWS_ACCESS_TO_UNUSED_SERVICES_CHECK',
    page: 'audit-chk-role-alias-unused-svcs.html',
    severity: 'MEDIUM',
    reasonCodes: ['ALLOWS_ACCESS_TO_UNUSED_SERVICES'],
    actionTypes: [SNS],
    resourceType: 'ROLE_ALIAS',
  },
  {
    name: 'LOGGING_DISABLED_CHECK',
    page: 'audit-chk-logging-disabled.html',
    severity: 'LOW',
    reasonCodes: ['LOGGING_DISABLED'],
    actionTypes: [SNS, 'ENABLE_IOT_LOGGING'],
    resourceType: 'ACCOUNT_SETTINGS',
  },
];

const byName: ReadonlyMap<string, AuditCheckFacts> = new Map(AUDIT_CHECKS.map((c) => [c.name, c]));

export const AUDIT_CHECK_NAMES: readonly string[] = AUDIT_CHECKS.map((c) => c.name);

/** The check's facts; undefined for a name that is no audit check. */
export function auditCheck(name: string): AuditCheckFacts | undefined {
  return byName.get(name);
}

export function isAuditCheck(name: string): boolean {
  return byName.has(name);
}
