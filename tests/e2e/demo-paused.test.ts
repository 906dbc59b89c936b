// npm start's story, asserted: the real planner, state machine and report against the demo fleet.
// One local stack per file: the handlers' SDK clients keep the endpoints they first resolved.
import { describe, expect, it } from 'vitest';
import { runDemo } from '../../local/demo.ts';
import { readPolicyFile } from '../../local/policy-file.ts';

const demoPolicy = readPolicyFile(new URL('../../local/samples/demo-policy.yaml', import.meta.url));
if (!demoPolicy.ok) throw new Error('the demo policy is invalid');

describe('the remediation story on the demo fleet', () => {
  it('paused: plans nothing and starts nothing', async () => {
    const result = await runDemo({ preset: 'demo', switchValue: 'paused', policy: demoPolicy.policy });
    expect(result.planned).toMatchObject({ outcome: 'nothing-to-do', reason: 'paused' });
    expect(result.outcome).toBeUndefined();
    expect(result.fleetAfter).toEqual(result.fleetBefore);
  });
});
