// 50 identical deliveries of one audit notification at once: one execution, one mitigation task.

import type { LocalStack } from '@device-defender-remediation/local-cloud';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  announced,
  deliver,
  expectEveryFindingAccountedFor,
  fixtureAudit,
  holdClock,
  mitigationTasks,
  reliabilityStack,
  reportOf,
} from './support.ts';

const AUDIT = 'reliability-duplicates';
const DELIVERIES = 50;

let stack: LocalStack;
beforeAll(async () => {
  stack = await reliabilityStack();
});
afterAll(() => stack.close());

describe('50 identical deliveries of one notification at once', () => {
  it('start exactly one execution and one mitigation task; a late redelivery is a duplicate', async () => {
    stack.emulator.service.addAudit(fixtureAudit(AUDIT));
    const [notification] = await announced(stack);
    expect(notification).toMatchObject({ taskId: AUDIT, taskStatus: 'COMPLETED' });

    // Hold virtual time while the 50 deliveries are in flight, so that every one of them meets the
    // execution still RUNNING (Step Functions' idempotent answer) whatever the machine's speed.
    const release = holdClock(stack);
    const outcomes = await Promise.all(
      Array.from({ length: DELIVERIES }, () => deliver(stack, notification)),
    );
    await release();

    expect(stack.runner.executions).toHaveLength(1);
    const [execution] = stack.runner.executions;
    expect(execution!.name).toBe(`enf-${AUDIT}`);
    // Every answer names the one execution. Step Functions answers a same-name, same-input start of a
    // running execution with its original startDate; the planner calls that a duplicate only when the
    // startDate is more than a second older than its call. Concurrent deliveries are not (and here
    // virtual time runs ahead of real time), so each reports `started` with the same ARN: a counted
    // no-op (the ExecutionsStarted metric over-counts), never a second execution.
    expect(outcomes).toEqual(
      Array.from({ length: DELIVERIES }, () => ({
        outcome: 'started',
        executionName: execution!.name,
        executionArn: execution!.executionArn,
        mode: 'enforce',
      })),
    );

    const outcome = await execution!.result;
    expect(outcome).toMatchObject({ status: 'SUCCEEDED' });

    // After the execution ended, a redelivery meets ExecutionAlreadyExists: a duplicate, nothing new.
    await expect(deliver(stack, notification)).resolves.toEqual({
      outcome: 'duplicate',
      executionName: execution!.name,
    });
    expect(stack.runner.executions).toHaveLength(1);

    const tasks = mitigationTasks(stack);
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({ taskId: execution!.name, auditTaskId: AUDIT, status: 'COMPLETED' });
    expectEveryFindingAccountedFor(tasks[0]!.statistics);
    expect(reportOf(stack, execution!).outcome).toMatchObject({ name: 'Completed' });
  });
});
