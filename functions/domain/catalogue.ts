/**
 * The one catalogue of Device Defender audit checks: API names, reason codes and the mitigation
 * action types each check allows. Source: reference section 4 (the published
 * check-to-action table plus each check's page).
 */

export const MITIGATION_ACTION_TYPES = [
  'UPDATE_DEVICE_CERTIFICATE',
  'UPDATE_CA_CERTIFICATE',
  'ADD_THINGS_TO_THING_GROUP',
  'REPLACE_DEFAULT_POLICY_VERSION',
  'ENABLE_IOT_LOGGING',
  'PUBLISH_FINDING_TO_SNS',
] as const;
export type MitigationActionType = (typeof MITIGATION_ACTION_TYPES)[number];

/** Every action type changes the fleet except publishing the finding. */
export function changesFleet(actionType: MitigationActionType): boolean {
  return actionType !== 'PUBLISH_FINDING_TO_SNS';
}

export interface AuditCheck {
  readonly name: string;
  readonly reasonCodes: readonly string[];
  readonly allowedActionTypes: readonly MitigationActionType[];
}

const SNS = 'PUBLISH_FINDING_TO_SNS';
const UDC = 'UPDATE_DEVICE_CERTIFICATE';
const UCA = 'UPDATE_CA_CERTIFICATE';
const ATG = 'ADD_THINGS_TO_THING_GROUP';
const RDPV = 'REPLACE_DEFAULT_POLICY_VERSION';
const EIL = 'ENABLE_IOT_LOGGING';

const CERT_EXPIRY = ['CERTIFICATE_APPROACHING_EXPIRATION', 'CERTIFICATE_PAST_EXPIRATION'];
const KEY_QUALITY = [
  'CERTIFICATE_KEY_VULNERABILITY_CVE-2017-15361',
  'CERTIFICATE_KEY_VULNERABILITY_CVE-2008-0166',
];

const checks: AuditCheck[] = [
  {
    name: 'AUTHENTICATED_COGNITO_ROLE_OVERLY_PERMISSIVE_CHECK',
    reasonCodes: [
      'ALLOWS_BROAD_ACCESS_TO_IOT_THING_ADMIN_READ_ACTIONS',
      'ALLOWS_ACCESS_TO_IOT_NON_THING_ADMIN_ACTIONS',
      'ALLOWS_ACCESS_TO_IOT_THING_ADMIN_WRITE_ACTIONS',
    ],
    allowedActionTypes: [SNS],
  },
  {
    name: 'UNAUTHENTICATED_COGNITO_ROLE_OVERLY_PERMISSIVE_CHECK',
    reasonCodes: ['ALLOWS_ACCESS_TO_IOT_ADMIN_ACTIONS', 'ALLOWS_BROAD_ACCESS_TO_IOT_DATA_PLANE_ACTIONS'],
    allowedActionTypes: [SNS],
  },
  {
    name: 'CA_CERTIFICATE_EXPIRING_CHECK',
    reasonCodes: CERT_EXPIRY,
    allowedActionTypes: [SNS, UCA],
  },
  {
    name: 'CA_CERTIFICATE_KEY_QUALITY_CHECK',
    reasonCodes: KEY_QUALITY,
    allowedActionTypes: [SNS, UCA],
  },
  {
    name: 'REVOKED_CA_CERTIFICATE_STILL_ACTIVE_CHECK',
    reasonCodes: ['CERTIFICATE_REVOKED_BY_ISSUER'],
    allowedActionTypes: [SNS, UCA],
  },
  {
    name: 'INTERMEDIATE_CA_REVOKED_FOR_ACTIVE_DEVICE_CERTIFICATES_CHECK',
    reasonCodes: ['INTERMEDIATE_CA_REVOKED_BY_ISSUER'],
    allowedActionTypes: [SNS, UDC, ATG],
  },
  {
    name: 'DEVICE_CERTIFICATE_EXPIRING_CHECK',
    reasonCodes: CERT_EXPIRY,
    allowedActionTypes: [SNS, UDC, ATG],
  },
  {
    // Missing from the published mapping table; every check allows SNS, nothing else is documented.
    name: 'DEVICE_CERTIFICATE_AGE_CHECK',
    reasonCodes: ['CERTIFICATE_PAST_AGE_THRESHOLD'],
    allowedActionTypes: [SNS],
  },
  {
    name: 'DEVICE_CERTIFICATE_KEY_QUALITY_CHECK',
    reasonCodes: KEY_QUALITY,
    allowedActionTypes: [SNS, UDC, ATG],
  },
  {
    name: 'DEVICE_CERTIFICATE_SHARED_CHECK',
    reasonCodes: ['CERTIFICATE_SHARED_BY_MULTIPLE_DEVICES'],
    allowedActionTypes: [SNS, UDC, ATG],
  },
  {
    name: 'REVOKED_DEVICE_CERTIFICATE_STILL_ACTIVE_CHECK',
    reasonCodes: ['CERTIFICATE_REVOKED_BY_ISSUER'],
    allowedActionTypes: [SNS, UDC, ATG],
  },
  {
    name: 'CONFLICTING_CLIENT_IDS_CHECK',
    reasonCodes: ['DUPLICATE_CLIENT_ID_ACROSS_CONNECTIONS'],
    allowedActionTypes: [SNS],
  },
  {
    name: 'IOT_POLICY_OVERLY_PERMISSIVE_CHECK',
    reasonCodes: ['ALLOWS_BROAD_ACCESS_TO_IOT_DATA_PLANE_ACTIONS'],
    allowedActionTypes: [SNS, RDPV],
  },
  {
    name: 'IOT_POLICY_POTENTIAL_MISCONFIGURATION_CHECK',
    reasonCodes: [
      'POLICY_CONTAINS_MQTT_WILDCARDS_IN_DENY_STATEMENT',
      'TOPIC_FILTERS_INTENDED_TO_DENY_ALLOWED_USING_WILDCARDS',
    ],
    allowedActionTypes: [SNS, RDPV],
  },
  {
    name: 'IOT_ROLE_ALIAS_OVERLY_PERMISSIVE_CHECK',
    reasonCodes: [
      'ALLOWS_BROAD_ACCESS_TO_USED_SERVICES',
      'ALLOWS_ACCESS_TO_SECURITY_AUDITING_SERVICES',
      'ALLOWS_BROAD_ACCESS_TO_IOT_THING_ADMIN_READ_ACTIONS',
      'ALLOWS_ACCESS_TO_IOT_NON_THING_ADMIN_ACTIONS',
      'ALLOWS_ACCESS_TO_IOT_THING_ADMIN_WRITE_ACTIONS',
      'ALLOWS_BROAD_ACCESS_TO_IOT_DATA_PLANE_ACTIONS',
    ],
    allowedActionTypes: [SNS],
  },
  {
    name: 'IOT_ROLE_ALIAS_ALLOWS_ACCESS_TO_UNUSED_SERVICES_CHECK',
    reasonCodes: ['ALLOWS_ACCESS_TO_UNUSED_SERVICES'],
    allowedActionTypes: [SNS],
  },
  {
    name: 'LOGGING_DISABLED_CHECK',
    reasonCodes: ['LOGGING_DISABLED'],
    allowedActionTypes: [SNS, EIL],
  },
];

export const checkCatalogue: ReadonlyMap<string, AuditCheck> = new Map(checks.map((c) => [c.name, c]));

export const CHECK_NAMES: readonly string[] = checks.map((c) => c.name);

/** Legacy names from older documents and notifications (https://docs.aws.amazon.com/iot-device-defender/latest/devguide/device-defender-audit-checks.html), mapped to the API names. */
export const LEGACY_CHECK_NAMES: Readonly<Record<string, string>> = {
  REVOKED_CA_CERT_CHECK: 'REVOKED_CA_CERTIFICATE_STILL_ACTIVE_CHECK',
  CA_CERT_APPROACHING_EXPIRATION_CHECK: 'CA_CERTIFICATE_EXPIRING_CHECK',
  DEVICE_CERT_APPROACHING_EXPIRATION_CHECK: 'DEVICE_CERTIFICATE_EXPIRING_CHECK',
  REVOKED_DEVICE_CERT_CHECK: 'REVOKED_DEVICE_CERTIFICATE_STILL_ACTIVE_CHECK',
};

export type CheckNameResolution =
  | { readonly kind: 'known'; readonly name: string; readonly check: AuditCheck }
  | {
      readonly kind: 'legacy';
      readonly name: string;
      readonly legacyName: string;
      readonly check: AuditCheck;
    }
  | { readonly kind: 'unknown'; readonly name: string };

/** Resolves a check name as found in the wild to the API name, recognising legacy aliases. */
export function resolveCheckName(name: string): CheckNameResolution {
  const check = checkCatalogue.get(name);
  if (check) return { kind: 'known', name, check };
  const alias = Object.hasOwn(LEGACY_CHECK_NAMES, name) ? LEGACY_CHECK_NAMES[name] : undefined;
  const aliased = alias === undefined ? undefined : checkCatalogue.get(alias);
  if (aliased) return { kind: 'legacy', name: aliased.name, legacyName: name, check: aliased };
  return { kind: 'unknown', name };
}
