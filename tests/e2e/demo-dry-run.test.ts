// npm start's story, asserted: the real planner, state machine and report against the demo fleet.
// One local stack per file: the handlers' SDK clients keep the endpoints they first resolved.
import { describe, expect, it } from 'vitest';
import { runDemo } from '../../local/demo.ts';
import { readPolicyFile } from '../../local/policy-file.ts';

const demoPolicy = readPolicyFile(new URL('../../local/samples/demo-policy.yaml', import.meta.url));
if (!demoPolicy.ok) throw new Error('the demo policy is invalid');

describe('the remediation story on the demo fleet', () => {
  it('dry run: reports what it would do and leaves the fleet as it was', async () => {
    const result = await runDemo({ preset: 'demo', switchValue: 'dry-run', policy: demoPolicy.policy });
    expect(result.planned).toMatchObject({ outcome: 'started', mode: 'dry-run' });
    expect(result.outcome).toMatchObject({ status: 'SUCCEEDED' });
    expect(result.report).toContain('dry run');
    expect(result.fleetAfter).toEqual(result.fleetBefore);
    // A dry run fixes nothing: no verification audit, no "after".
    expect(result.nonCompliant.after).toBeUndefined();
    expect(result.report).not.toContain('Verification');
  });
});
