import { describe, expect, it } from 'vitest';
import {
  CHECK_NAMES,
  changesFleet,
  checkCatalogue,
  LEGACY_CHECK_NAMES,
  MITIGATION_ACTION_TYPES,
  resolveCheckName,
} from '#domain/catalogue';

// Reference section 4, transcribed independently of the catalogue: check -> [codes, types]. The
// checks' severities are the emulator's (local-cloud/emulator/facts/audit-checks.ts,
// local-cloud/tests/emulator/facts.test.ts); tests/contract/catalogue.test.ts compares the two tables.
const S = 'PUBLISH_FINDING_TO_SNS';
const UDC = 'UPDATE_DEVICE_CERTIFICATE';
const UCA = 'UPDATE_CA_CERTIFICATE';
const ATG = 'ADD_THINGS_TO_THING_GROUP';
const RDPV = 'REPLACE_DEFAULT_POLICY_VERSION';
const EIL = 'ENABLE_IOT_LOGGING';
const referenceTable: Record<string, [string[], string[]]> = {
  AUTHENTICATED_COGNITO_ROLE_OVERLY_PERMISSIVE_CHECK: [
    [
      'ALLOWS_BROAD_ACCESS_TO_IOT_THING_ADMIN_READ_ACTIONS',
      'ALLOWS_ACCESS_TO_IOT_NON_THING_ADMIN_ACTIONS',
      'ALLOWS_ACCESS_TO_IOT_THING_ADMIN_WRITE_ACTIONS',
    ],
    [S],
  ],
  UNAUTHENTICATED_COGNITO_ROLE_OVERLY_PERMISSIVE_CHECK: [
    ['ALLOWS_ACCESS_TO_IOT_ADMIN_ACTIONS', 'ALLOWS_BROAD_ACCESS_TO_IOT_DATA_PLANE_ACTIONS'],
    [S],
  ],
  CA_CERTIFICATE_EXPIRING_CHECK: [
    ['CERTIFICATE_APPROACHING_EXPIRATION', 'CERTIFICATE_PAST_EXPIRATION'],
    [S, UCA],
  ],
  CA_CERTIFICATE_KEY_QUALITY_CHECK: [
    ['CERTIFICATE_KEY_VULNERABILITY_CVE-2017-15361', 'CERTIFICATE_KEY_VULNERABILITY_CVE-2008-0166'],
    [S, UCA],
  ],
  REVOKED_CA_CERTIFICATE_STILL_ACTIVE_CHECK: [['CERTIFICATE_REVOKED_BY_ISSUER'], [S, UCA]],
  INTERMEDIATE_CA_REVOKED_FOR_ACTIVE_DEVICE_CERTIFICATES_CHECK: [
    ['INTERMEDIATE_CA_REVOKED_BY_ISSUER'],
    [S, UDC, ATG],
  ],
  DEVICE_CERTIFICATE_EXPIRING_CHECK: [
    ['CERTIFICATE_APPROACHING_EXPIRATION', 'CERTIFICATE_PAST_EXPIRATION'],
    [S, UDC, ATG],
  ],
  DEVICE_CERTIFICATE_AGE_CHECK: [['CERTIFICATE_PAST_AGE_THRESHOLD'], [S]],
  DEVICE_CERTIFICATE_KEY_QUALITY_CHECK: [
    ['CERTIFICATE_KEY_VULNERABILITY_CVE-2017-15361', 'CERTIFICATE_KEY_VULNERABILITY_CVE-2008-0166'],
    [S, UDC, ATG],
  ],
  DEVICE_CERTIFICATE_SHARED_CHECK: [['CERTIFICATE_SHARED_BY_MULTIPLE_DEVICES'], [S, UDC, ATG]],
  REVOKED_DEVICE_CERTIFICATE_STILL_ACTIVE_CHECK: [['CERTIFICATE_REVOKED_BY_ISSUER'], [S, UDC, ATG]],
  CONFLICTING_CLIENT_IDS_CHECK: [['DUPLICATE_CLIENT_ID_ACROSS_CONNECTIONS'], [S]],
  IOT_POLICY_OVERLY_PERMISSIVE_CHECK: [['ALLOWS_BROAD_ACCESS_TO_IOT_DATA_PLANE_ACTIONS'], [S, RDPV]],
  IOT_POLICY_POTENTIAL_MISCONFIGURATION_CHECK: [
    [
      'POLICY_CONTAINS_MQTT_WILDCARDS_IN_DENY_STATEMENT',
      'TOPIC_FILTERS_INTENDED_TO_DENY_ALLOWED_USING_WILDCARDS',
    ],
    [S, RDPV],
  ],
  IOT_ROLE_ALIAS_OVERLY_PERMISSIVE_CHECK: [
    [
      'ALLOWS_BROAD_ACCESS_TO_USED_SERVICES',
      'ALLOWS_ACCESS_TO_SECURITY_AUDITING_SERVICES',
      'ALLOWS_BROAD_ACCESS_TO_IOT_THING_ADMIN_READ_ACTIONS',
      'ALLOWS_ACCESS_TO_IOT_NON_THING_ADMIN_ACTIONS',
      'ALLOWS_ACCESS_TO_IOT_THING_ADMIN_WRITE_ACTIONS',
      'ALLOWS_BROAD_ACCESS_TO_IOT_DATA_PLANE_ACTIONS',
    ],
    [S],
  ],
  IOT_ROLE_ALIAS_ALLOWS_ACCESS_TO_UNUSED_SERVICES_CHECK: [['ALLOWS_ACCESS_TO_UNUSED_SERVICES'], [S]],
  LOGGING_DISABLED_CHECK: [['LOGGING_DISABLED'], [S, EIL]],
};

describe('checkCatalogue', () => {
  it('holds exactly the 17 API check names of the reference', () => {
    expect(CHECK_NAMES).toHaveLength(17);
    expect([...CHECK_NAMES].sort()).toEqual(Object.keys(referenceTable).sort());
  });

  it.each(Object.entries(referenceTable))('%s matches the reference table', (name, [codes, types]) => {
    const check = checkCatalogue.get(name);
    expect(check?.reasonCodes).toEqual(codes);
    expect([...(check?.allowedActionTypes ?? [])].sort()).toEqual([...types].sort());
  });

  it('holds only what the product reads: no severity, no resource type', () => {
    for (const check of checkCatalogue.values()) {
      expect(Object.keys(check).sort()).toEqual(['allowedActionTypes', 'name', 'reasonCodes']);
    }
  });

  it('lets every check publish its findings to SNS', () => {
    for (const check of checkCatalogue.values()) expect(check.allowedActionTypes).toContain(S);
  });

  it('knows that every action type but PUBLISH_FINDING_TO_SNS changes the fleet', () => {
    expect(MITIGATION_ACTION_TYPES.filter(changesFleet).sort()).toEqual([ATG, EIL, RDPV, UCA, UDC].sort());
    expect(changesFleet(S)).toBe(false);
  });
});

describe('resolveCheckName', () => {
  it('resolves API names as known', () => {
    expect(resolveCheckName('LOGGING_DISABLED_CHECK')).toMatchObject({
      kind: 'known',
      name: 'LOGGING_DISABLED_CHECK',
    });
  });

  it.each([
    ['REVOKED_CA_CERT_CHECK', 'REVOKED_CA_CERTIFICATE_STILL_ACTIVE_CHECK'],
    ['CA_CERT_APPROACHING_EXPIRATION_CHECK', 'CA_CERTIFICATE_EXPIRING_CHECK'],
    ['DEVICE_CERT_APPROACHING_EXPIRATION_CHECK', 'DEVICE_CERTIFICATE_EXPIRING_CHECK'],
    ['REVOKED_DEVICE_CERT_CHECK', 'REVOKED_DEVICE_CERTIFICATE_STILL_ACTIVE_CHECK'],
  ])('normalises the legacy name %s to %s', (legacy, api) => {
    expect(resolveCheckName(legacy)).toMatchObject({ kind: 'legacy', name: api, legacyName: legacy });
  });

  it('has exactly the four legacy aliases, each pointing at a catalogued check', () => {
    expect(Object.keys(LEGACY_CHECK_NAMES)).toHaveLength(4);
    for (const target of Object.values(LEGACY_CHECK_NAMES)) expect(checkCatalogue.has(target)).toBe(true);
  });

  it.each(['NOT_A_CHECK', 'toString', '__proto__', ''])('flags %j as unknown', (name) => {
    expect(resolveCheckName(name)).toEqual({ kind: 'unknown', name });
  });
});
