// Pausing the switch while executions wait for capacity: none of them starts a task, and the tasks
// already running are cancelled (a pause stops a running task within 15 minutes).

import type { LocalStack } from '@device-defender-remediation/local-cloud';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  announced,
  auditIds,
  deliver,
  fixtureAudit,
  holdClock,
  mitigationTasks,
  reliabilityStack,
  reportOf,
  settled,
} from './support.ts';

const RUNNING = auditIds('reliability-pause-running', 10);
const QUEUED = auditIds('reliability-pause-queued', 4);

let stack: LocalStack;
beforeAll(async () => {
  stack = await reliabilityStack();
});
afterAll(() => stack.close());

describe('pausing the switch while executions wait for capacity', () => {
  it('ends the waiting executions as Paused without a task; the running tasks are cancelled', async () => {
    const { service } = stack.emulator;
    // Ten long tasks (5 findings at one per 1,000 virtual seconds) hold every slot for over an hour.
    service.setTaskProgress({ startDelayMs: 2_000, findingsPerSecond: 0.001 });
    for (const id of RUNNING) service.addAudit(fixtureAudit(id));
    const first = await announced(stack);
    const planned = await Promise.all(first.map((n) => deliver(stack, n)));
    expect(planned.map((p) => p.outcome)).toEqual(RUNNING.map(() => 'started'));
    await stack.clock.sleep(10_000);
    expect(mitigationTasks(stack).map((t) => t.status)).toEqual(RUNNING.map(() => 'IN_PROGRESS'));

    for (const id of QUEUED) service.addAudit(fixtureAudit(id));
    const queued = (await announced(stack, 1_000)).filter((n) => QUEUED.includes(n.taskId));
    expect(queued.map((n) => n.taskId).sort()).toEqual(QUEUED);
    // Hold virtual time during the deliveries so the queued executions cannot outwait their
    // capacity budget before the switch is paused, whatever the machine's speed.
    const release = holdClock(stack);
    const queuedPlans = await Promise.all(queued.map((n) => deliver(stack, n)));
    await release();
    expect(queuedPlans.map((p) => p.outcome)).toEqual(QUEUED.map(() => 'started'));

    // One virtual second on: each queued execution read "enforce", was refused (ten tasks run) and
    // now waits 30 s for capacity.
    await stack.clock.sleep(1_000);
    const waiting = stack.runner.executions.filter((e) => QUEUED.some((id) => e.name === `enf-${id}`));
    expect(waiting.map((e) => e.status)).toEqual(QUEUED.map(() => 'RUNNING'));
    expect(mitigationTasks(stack)).toHaveLength(RUNNING.length);

    stack.setSwitch('paused');
    const outcomes = await settled(stack);

    for (const execution of waiting) {
      expect(outcomes.get(execution.name), execution.name).toMatchObject({
        status: 'FAILED',
        error: 'Paused',
      });
      const report = reportOf(stack, execution);
      expect(report.outcome.name).toBe('Paused');
      expect(report.capacity?.waits).toBeGreaterThanOrEqual(1);
      expect(report.task).toBeUndefined();
    }
    // No task of theirs exists; the ten started before the pause were cancelled by their executions.
    const tasks = mitigationTasks(stack);
    expect(tasks.map((t) => t.auditTaskId).sort()).toEqual(RUNNING);
    expect(tasks.map((t) => t.status)).toEqual(RUNNING.map(() => 'CANCELED'));
    for (const id of RUNNING)
      expect(outcomes.get(`enf-${id}`), id).toMatchObject({ status: 'FAILED', error: 'Paused' });
  });
});
