// 20 % of audit notifications lost: the sweep remediates every one of them.

import type { LocalStack } from '@device-defender-remediation/local-cloud';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  auditIds,
  deliver,
  executionsByAudit,
  expectEachAuditRemediatedOnce,
  fixtureAudit,
  reliabilityStack,
  settled,
  sweep,
} from './support.ts';

const AUDITS = auditIds('reliability-lost', 20);

let stack: LocalStack;
beforeAll(async () => {
  // The sweep's window ends at the real `new Date()` (as in Lambda), while the audits start on the
  // virtual clock. The stack's default start, an hour ahead of real time, would put every audit
  // after the window's end: the sweep would list none. Start a minute behind real time instead, so
  // the audits (added at once) fall inside the window; the clock is then moved ahead of real time
  // before anything is started, so the planner's startDate test still sees fresh executions.
  stack = await reliabilityStack({ startMs: Date.now() - 60_000 });
});
afterAll(() => stack.close());

describe('20 % of notifications lost', () => {
  it('the sweep starts exactly one execution for each lost audit and none for the others', async () => {
    const { service } = stack.emulator;
    service.setNotificationLoss(0.2, 4);
    for (const id of AUDITS) service.addAudit(fixtureAudit(id));
    await stack.clock.sleep(600_000);
    const arrived = stack.notifications.map((n) => n.taskId);
    const lost = AUDITS.filter((id) => !arrived.includes(id));
    expect(lost.length).toBeGreaterThanOrEqual(3);
    expect(lost.length).toBeLessThanOrEqual(6);

    const planned = await Promise.all(stack.notifications.map((n) => deliver(stack, n)));
    expect(planned.map((p) => p.outcome)).toEqual(arrived.map(() => 'started'));
    await settled(stack);
    expect([...executionsByAudit(stack).keys()].sort()).toEqual([...arrived].sort());

    // The schedule fires: every completed audit of the window is listed and handed to the planner.
    const swept = await sweep(stack);
    expect(swept).toEqual({
      kind: 'sweep',
      audits: AUDITS.length,
      outcomes: { started: lost.length, duplicate: arrived.length },
      failed: 0,
    });
    const outcomes = await settled(stack);
    expect([...outcomes.values()].map((o) => o.status)).toEqual(AUDITS.map(() => 'SUCCEEDED'));

    expectEachAuditRemediatedOnce(stack, AUDITS);

    // A second sweep finds nothing left to do.
    await expect(sweep(stack)).resolves.toMatchObject({ outcomes: { duplicate: AUDITS.length } });
    expect(stack.runner.executions).toHaveLength(AUDITS.length);
  });
});
