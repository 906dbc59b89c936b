// npm start's story, asserted: the real planner, state machine and report against the demo fleet.
// One local stack per file: the handlers' SDK clients keep the endpoints they first resolved.
import { describe, expect, it } from 'vitest';
import { runDemo } from '../../local/demo.ts';
import { readPolicyFile } from '../../local/policy-file.ts';

const demoPolicy = readPolicyFile(new URL('../../local/samples/demo-policy.yaml', import.meta.url));
if (!demoPolicy.ok) throw new Error('the demo policy is invalid');

describe('the remediation story on the demo fleet', () => {
  it("enforce: remediates what the policy allows, holds back what is over its cap, and the state machine's verification shows it", async () => {
    const lines: string[] = [];
    const result = await runDemo({
      preset: 'demo',
      switchValue: 'enforce',
      policy: demoPolicy.policy,
      log: (l) => lines.push(l),
    });
    expect(result.planned).toMatchObject({ outcome: 'started', mode: 'enforce' });
    expect(result.outcome).toMatchObject({ status: 'SUCCEEDED' });
    expect(result.nonCompliant.before.REVOKED_DEVICE_CERTIFICATE_STILL_ACTIVE_CHECK).toBe(2);
    // "After" is the state machine's verification audit: the checks mitigated with fixing actions only.
    expect(result.nonCompliant.after).toEqual({
      REVOKED_DEVICE_CERTIFICATE_STILL_ACTIVE_CHECK: 0,
      REVOKED_CA_CERTIFICATE_STILL_ACTIVE_CHECK: 0,
    });
    expect(result.report).toContain('every verified check improved');
    expect(
      lines.some(
        (l) =>
          l.startsWith("The state machine's verification audit (") && l.endsWith('of the checks it fixed:'),
      ),
    ).toBe(true);
    // Held back by maxPercent 8: 3 of 33 certificates. Nothing was done to them.
    expect(result.report).toMatch(
      /Held back \(above a cap, not mitigated\):\n- INTERMEDIATE_CA_REVOKED_FOR_ACTIVE_DEVICE_CERTIFICATES_CHECK/,
    );
    expect(
      result.fleetAfter.deviceCertificates.INACTIVE - result.fleetBefore.deviceCertificates.INACTIVE,
    ).toBe(2);
    // The template's QuarantineDevice action adds things to its own group, `<stack name>-quarantine`.
    expect(result.fleetAfter.thingGroups[`${result.stackName}-quarantine`]).toBeGreaterThan(0);
    expect(result.fleetAfter.logging).toBe('DISABLED');
    expect(lines.some((l) => l.includes('mitigation task COMPLETED'))).toBe(true);
  });
});
