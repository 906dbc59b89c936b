/**
 * The product's catalogue (functions/domain/catalogue.ts) against the emulator's Device Defender facts
 * (the local cloud's AUDIT_CHECKS, held against the IoT model and AWS's pages in
 * local-cloud/tests/emulator/facts.test.ts): both are transcribed from AWS's pages on their own, so a
 * slip on either side shows here instead of passing every test that runs the product against the
 * emulator.
 */
import {
  AUDIT_CHECK_NAMES,
  auditCheck,
  MITIGATION_ACTION_TYPES as EMULATED_ACTION_TYPES,
} from '@device-defender-remediation/local-cloud';
import { describe, expect, it } from 'vitest';
import { CHECK_NAMES, checkCatalogue, MITIGATION_ACTION_TYPES } from '#domain/catalogue';

const sorted = (values: readonly string[] | undefined) => [...(values ?? [])].sort();

describe("the product's catalogue and the emulator's facts", () => {
  it('hold the same checks', () => {
    expect(sorted(CHECK_NAMES)).toEqual(sorted(AUDIT_CHECK_NAMES));
  });

  it('know the same mitigation action types', () => {
    expect(sorted(MITIGATION_ACTION_TYPES)).toEqual(sorted(EMULATED_ACTION_TYPES));
  });

  it.each(AUDIT_CHECK_NAMES)('agree on the reason codes and action types of %s', (name) => {
    const product = checkCatalogue.get(name);
    const emulated = auditCheck(name);
    expect(sorted(product?.reasonCodes)).toEqual(sorted(emulated?.reasonCodes));
    expect(sorted(product?.allowedActionTypes)).toEqual(sorted(emulated?.actionTypes));
  });
});
