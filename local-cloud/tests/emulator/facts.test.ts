/**
 * The emulator's Device Defender facts (emulator/facts/audit-checks.ts) against the IoT model and the
 * public documentation. The product's own transcription is held against these facts on the product's
 * side (tests/contract/catalogue.test.ts in the repository that uses this package).
 */
import { describe, expect, it } from 'vitest';
import {
  AUDIT_CHECK_NAMES,
  AUDIT_CHECKS,
  auditCheck,
  DOCS,
  MITIGATION_ACTION_TYPES as EMULATED_ACTION_TYPES,
} from '../../emulator/facts/audit-checks.ts';
import { loadModel } from '../../emulator/model.ts';

const model = loadModel();
const enumOf = (name: string): string[] =>
  Object.values(model.shapes[`com.amazonaws.iot#${name}`]?.members ?? {}).map(
    (member) => member.traits?.['smithy.api#enumValue'] as string,
  );

// "Severity:" on each check's page (https://docs.aws.amazon.com/iot-device-defender/latest/devguide/
// device-defender-audit-checks.html and the pages it links), transcribed apart from both tables.
const documentedSeverity: Record<string, string> = {
  AUTHENTICATED_COGNITO_ROLE_OVERLY_PERMISSIVE_CHECK: 'CRITICAL',
  UNAUTHENTICATED_COGNITO_ROLE_OVERLY_PERMISSIVE_CHECK: 'CRITICAL',
  CA_CERTIFICATE_EXPIRING_CHECK: 'MEDIUM',
  CA_CERTIFICATE_KEY_QUALITY_CHECK: 'CRITICAL',
  REVOKED_CA_CERTIFICATE_STILL_ACTIVE_CHECK: 'CRITICAL',
  INTERMEDIATE_CA_REVOKED_FOR_ACTIVE_DEVICE_CERTIFICATES_CHECK: 'CRITICAL',
  DEVICE_CERTIFICATE_EXPIRING_CHECK: 'MEDIUM',
  DEVICE_CERTIFICATE_AGE_CHECK: 'LOW',
  DEVICE_CERTIFICATE_KEY_QUALITY_CHECK: 'CRITICAL',
  DEVICE_CERTIFICATE_SHARED_CHECK: 'CRITICAL',
  REVOKED_DEVICE_CERTIFICATE_STILL_ACTIVE_CHECK: 'MEDIUM',
  CONFLICTING_CLIENT_IDS_CHECK: 'HIGH',
  IOT_POLICY_OVERLY_PERMISSIVE_CHECK: 'CRITICAL',
  IOT_POLICY_POTENTIAL_MISCONFIGURATION_CHECK: 'MEDIUM',
  IOT_ROLE_ALIAS_OVERLY_PERMISSIVE_CHECK: 'CRITICAL',
  IOT_ROLE_ALIAS_ALLOWS_ACCESS_TO_UNUSED_SERVICES_CHECK: 'MEDIUM',
  LOGGING_DISABLED_CHECK: 'LOW',
};

const sorted = (values: readonly string[] | undefined) => [...(values ?? [])].sort();

describe("the emulator's audit-check facts", () => {
  it('name the 17 documented checks, each once', () => {
    expect(AUDIT_CHECK_NAMES).toHaveLength(17);
    expect(new Set(AUDIT_CHECK_NAMES).size).toBe(17);
    expect(sorted(AUDIT_CHECK_NAMES)).toEqual(sorted(Object.keys(documentedSeverity)));
  });

  it.each(Object.entries(documentedSeverity))('give %s the severity its page states', (name, severity) => {
    expect(auditCheck(name)?.severity).toBe(severity);
  });

  it("use the model's enums for action types, severities and resource types", () => {
    expect(sorted(EMULATED_ACTION_TYPES)).toEqual(sorted(enumOf('MitigationActionType')));
    for (const check of AUDIT_CHECKS) {
      expect(enumOf('AuditFindingSeverity')).toContain(check.severity);
      expect(enumOf('ResourceType')).toContain(check.resourceType);
      for (const type of check.actionTypes) expect(EMULATED_ACTION_TYPES).toContain(type);
    }
  });

  it('let every check publish its findings to SNS and name each reason code once', () => {
    for (const check of AUDIT_CHECKS) {
      expect(check.actionTypes).toContain('PUBLISH_FINDING_TO_SNS');
      expect(check.reasonCodes.length).toBeGreaterThan(0);
      expect(new Set(check.reasonCodes).size).toBe(check.reasonCodes.length);
    }
  });

  it('point every check at its own page of the Device Defender guide', () => {
    const pages = AUDIT_CHECKS.map((check) => new URL(check.page, DOCS).href);
    expect(new Set(pages).size).toBe(AUDIT_CHECKS.length);
    for (const page of pages) {
      expect(page).toMatch(
        /^https:\/\/docs\.aws\.amazon\.com\/iot-device-defender\/latest\/devguide\/[\w-]+\.html$/,
      );
    }
  });

  it('know no other check', () => {
    expect(auditCheck('NOT_A_CHECK')).toBeUndefined();
    expect(auditCheck('REVOKED_CA_CERT_CHECK')).toBeUndefined();
  });
});
