// 15 audits completing together against the 10-running-task limit: all 15 remediated.

import type { LocalStack } from '@device-defender-remediation/local-cloud';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  announced,
  auditIds,
  deliver,
  expectEachAuditRemediatedOnce,
  fixtureAudit,
  mitigationTasks,
  reliabilityStack,
  reportOf,
  settled,
} from './support.ts';

const AUDITS = auditIds('reliability-capacity', 15);
const LIMIT = 10;

let stack: LocalStack;
beforeAll(async () => {
  stack = await reliabilityStack();
});
afterAll(() => stack.close());

describe('15 audits completing together against the 10-running-task limit', () => {
  it('remediates all 15: ten start at once, five wait for capacity and start as tasks end', async () => {
    const { service } = stack.emulator;
    // Five findings at one per 100 virtual seconds: each task runs about 8 minutes, so all overlap.
    service.setTaskProgress({ startDelayMs: 2_000, findingsPerSecond: 0.01 });
    for (const id of AUDITS) service.addAudit(fixtureAudit(id));
    const notifications = await announced(stack);
    expect(notifications.map((n) => n.taskId).sort()).toEqual(AUDITS);

    const planned = await Promise.all(notifications.map((n) => deliver(stack, n)));
    expect(planned.map((p) => p.outcome)).toEqual(AUDITS.map(() => 'started'));

    const outcomes = await settled(stack);
    expect([...outcomes.values()].map((o) => o.status)).toEqual(AUDITS.map(() => 'SUCCEEDED'));

    expectEachAuditRemediatedOnce(stack, AUDITS);

    // Exactly the five refused starts waited (LimitExceededException), then completed.
    const reports = stack.runner.executions.map((e) => reportOf(stack, e));
    expect(reports.map((r) => r.outcome.name)).toEqual(AUDITS.map(() => 'Completed'));
    const waited = reports.filter((r) => (r.capacity?.waits ?? 0) > 0);
    expect(waited).toHaveLength(AUDITS.length - LIMIT);
    for (const report of waited) expect(report.capacity!.waitedSeconds).toBeGreaterThan(0);

    // The limit held: never more than ten tasks in progress at any instant.
    const spans = mitigationTasks(stack).map((t) => {
      const d = service.describeAuditMitigationActionsTask({ taskId: t.taskId });
      return { start: d.startTime!.getTime(), end: d.endTime!.getTime() };
    });
    const runningAt = (ms: number) => spans.filter((s) => s.start <= ms && ms < s.end).length;
    expect(Math.max(...spans.map((s) => runningAt(s.start)))).toBe(LIMIT);
  });
});
