import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, template } from './support.ts';

// The execution timeout is a backstop behind the ASL's own deadline: when it fires, the execution
// ends TIMED_OUT, which cleanup-execution turns into a cancel of the task and a notice.
describe('the state machine timeout', () => {
  const asl = JSON.parse(readFileSync(join(ROOT, 'statemachine/remediation.asl.json'), 'utf8'));
  const max = (name: string) => Number((template.Parameters[name] as { MaxValue?: number }).MaxValue);

  it('lies beyond the longest deadlines (task, verification audit, approved task), capacity waits and wait for an approval, with room to report', () => {
    expect(asl.TimeoutSeconds).toBeGreaterThanOrEqual(
      3 * max('DeadlineSeconds') + 2 * max('CapacityWaitSeconds') + max('ApprovalTimeoutSeconds') + 3_600,
    );
  });

  it('stays well inside what a Standard execution may last (one year)', () => {
    expect(asl.TimeoutSeconds).toBeLessThan(365 * 86_400);
  });
});
