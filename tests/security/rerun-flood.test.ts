// Attack: a flood of re-runs. A re-run request may enforce an audit older than the switch, and whoever
// may put it on the bus picks its number. At most 3 re-runs of one audit start in 24 hours unless the
// operator says --force (recorded in the plan as rerunForced, with requestedBy); numbers go up one at a
// time, so skipping numbers cannot dodge the count (functions/domain/rerun-budget.ts).
// On the code without the budget, every request started an execution: the fourth, and re-run 9.

import {
  deviceCertificateFinding,
  type LocalStack,
  type PutEventResult,
  startLocalStack,
} from '@device-defender-remediation/local-cloud';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RemediationPlan } from '#domain/plan';
import type { SweepResult } from '../../functions/sweep-audits/index.ts';

const AUDIT = 'rerun-flood';
const OPERATOR = 'arn:aws:sts::123456789012:assumed-role/remediation-operator/alice';

let stack: LocalStack;
beforeAll(async () => {
  // Dry runs: the budget counts executions whatever their mode, and a dry run starts no task.
  stack = await startLocalStack({ switchValue: 'dry-run' });
  stack.emulator.service.addAudit({
    taskId: AUDIT,
    checks: {
      DEVICE_CERTIFICATE_SHARED_CHECK: {
        totalResourcesCount: 100,
        findings: [1, 2, 3].map((n) => deviceCertificateFinding(n, { findingId: `${AUDIT}-f${n}` })),
      },
    },
  });
});
afterAll(() => stack.close());

/** An operator's re-run request on the stack's bus (as `npm run rerun` puts it); the sweep's answer. */
async function rerun(detail: Record<string, unknown>): Promise<SweepResult> {
  const [put]: PutEventResult[] = await stack.putEvents([
    {
      EventBusName: stack.deployed.stackName,
      Source: 'custom.devicedefender',
      DetailType: 'Audit Remediation Requested',
      Detail: { auditTaskId: AUDIT, requestedBy: OPERATOR, ...detail },
    },
  ]);
  expect(put?.errorCode, put?.errorMessage).toBeUndefined();
  const [invocation] = put!.invocations;
  expect(invocation).toMatchObject({ functionId: 'SweepAuditsFunction', outcome: 'succeeded' });
  return invocation!.result as SweepResult;
}

const names = () => stack.runner.executions.map((e) => e.name);

describe('re-runs of one audit', () => {
  it('start at most 3 in 24 hours; a fourth is refused, unless forced, and numbers cannot be skipped', async () => {
    for (const n of [1, 2, 3])
      expect(await rerun({ rerun: n })).toMatchObject({
        kind: 'rerun',
        result: { outcome: 'started', executionName: `dry-${AUDIT}-r${n}` },
      });

    expect(await rerun({ rerun: 4 })).toEqual({
      kind: 'rerun',
      auditTaskId: AUDIT,
      result: {
        outcome: 'rerun-refused',
        reason: 'rerun-limit',
        detail: expect.stringMatching(
          /^3 re-runs of audit rerun-flood started in the last 24 hours .*--force/,
        ),
      },
    });
    expect(await rerun({ rerun: 9 })).toMatchObject({
      result: { outcome: 'rerun-refused', reason: 'rerun-out-of-sequence' },
    });
    expect(names()).toEqual([1, 2, 3].map((n) => `dry-${AUDIT}-r${n}`));

    // The operator says --force: it starts, and the plan says it was forced and who asked.
    expect(await rerun({ rerun: 4, force: true })).toMatchObject({
      result: { outcome: 'started', executionName: `dry-${AUDIT}-r4` },
    });
    const forced = stack.runner.executions.find((e) => e.name === `dry-${AUDIT}-r4`)!;
    expect(forced.input as RemediationPlan).toMatchObject({
      rerun: 4,
      rerunForced: true,
      requestedBy: OPERATOR,
    });
    const unforced = stack.runner.executions.find((e) => e.name === `dry-${AUDIT}-r3`)!;
    expect((unforced.input as RemediationPlan).rerunForced).toBeUndefined();
    expect(names()).toHaveLength(4);
    await Promise.all(stack.runner.executions.map((e) => e.result));
  });
});
