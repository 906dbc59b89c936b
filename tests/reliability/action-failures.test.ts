// Injected mitigation action failures: reported per finding, the execution fails with TaskFailed,
// and every finding is accounted for.

import type { LocalStack } from '@device-defender-remediation/local-cloud';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  announced,
  auditIds,
  deliver,
  executionsByAudit,
  expectEveryFindingAccountedFor,
  FINDINGS_PER_AUDIT,
  fixtureAudit,
  mitigationTasks,
  reliabilityStack,
  reportOf,
  SHARED,
  settled,
} from './support.ts';

const AUDITS = auditIds('reliability-failures', 3);

let stack: LocalStack;
beforeAll(async () => {
  stack = await reliabilityStack();
});
afterAll(() => stack.close());

describe('injected action failures', () => {
  it('fail the execution with TaskFailed and report each failed finding as the service recorded it', async () => {
    const { service } = stack.emulator;
    // Half of the quarantine actions fail (seeded); publishing and deactivation always succeed.
    service.injectActionFailures({
      actionTypes: ['ADD_THINGS_TO_THING_GROUP'],
      rate: 0.5,
      errorCode: 'INSUFFICIENT_PERMISSIONS',
      seed: 5, // seeded by task, finding and action name: the template names actions <stack>-<name>
    });
    for (const id of AUDITS) service.addAudit(fixtureAudit(id));
    const notifications = await announced(stack);
    const planned = await Promise.all(notifications.map((n) => deliver(stack, n)));
    expect(planned.map((p) => p.outcome)).toEqual(AUDITS.map(() => 'started'));
    const outcomes = await settled(stack);

    const byAudit = executionsByAudit(stack);
    const tasks = mitigationTasks(stack);
    expect(tasks.map((t) => t.auditTaskId).sort()).toEqual(AUDITS);
    let failedOverall = 0;
    let succeededQuarantines = 0;
    for (const id of AUDITS) {
      const [execution, ...others] = byAudit.get(id)!;
      expect(others, id).toEqual([]);
      const task = tasks.find((t) => t.auditTaskId === id)!;
      expectEveryFindingAccountedFor(task.statistics);

      // What the service recorded, finding by finding: the oracle for the report.
      const recorded = [1, 2, 3, 4, 5].flatMap((n) =>
        (
          service.listAuditMitigationActionsExecutions({ taskId: task.taskId, findingId: `${id}-f${n}` })
            .actionsExecutions ?? []
        )
          .filter((e) => e.status === 'FAILED')
          .map((e) => ({ findingId: e.findingId, actionName: e.actionName, errorCode: e.errorCode })),
      );
      const failed = Object.values(task.statistics).reduce((sum, s) => sum + (s.failedFindingsCount ?? 0), 0);
      expect(recorded, id).toHaveLength(failed);
      failedOverall += failed;
      succeededQuarantines += FINDINGS_PER_AUDIT[SHARED] - failed;

      const report = reportOf(stack, execution!);
      const reported = report.checks.flatMap((c) =>
        (c.failedFindings?.findings ?? []).map((f) => ({
          findingId: f.findingId,
          actionName: f.actionName,
          errorCode: f.errorCode,
        })),
      );
      expect(reported.sort(byFinding)).toEqual(recorded.sort(byFinding));
      for (const check of report.checks) {
        expect(check.statistics, check.checkName).toBeDefined();
        if (check.failedFindings) expect(check.failedFindings.complete).toBe(true);
      }
      if (failed > 0) {
        expect(outcomes.get(execution!.name), id).toMatchObject({ status: 'FAILED', error: 'TaskFailed' });
        expect(task.status).toBe('FAILED');
        expect(report.outcome).toMatchObject({ name: 'TaskFailed', succeeded: false });
      } else {
        expect(outcomes.get(execution!.name), id).toMatchObject({ status: 'SUCCEEDED' });
      }
    }
    // The seed makes both happen: some quarantines fail, some succeed, and every audit saw a failure.
    expect(failedOverall).toBeGreaterThan(0);
    expect(succeededQuarantines).toBeGreaterThan(0);
    expect([...outcomes.values()].map((o) => o.error)).toEqual(AUDITS.map(() => 'TaskFailed'));
  });
});

const byFinding = (a: { findingId?: string | undefined }, b: { findingId?: string | undefined }) =>
  (a.findingId ?? '').localeCompare(b.findingId ?? '');
