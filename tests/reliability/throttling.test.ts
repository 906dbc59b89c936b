// 30 % of IoT calls throttled: every audit is still remediated, and no task is started twice.

import { type LocalStack, ServiceError } from '@device-defender-remediation/local-cloud';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  auditIds,
  deliver,
  executionsByAudit,
  expectEachAuditRemediatedOnce,
  fixtureAudit,
  reliabilityStack,
  reportOf,
  settled,
  sweep,
} from './support.ts';

const AUDITS = auditIds('reliability-throttled', 4);

let stack: LocalStack;
beforeAll(async () => {
  // A minute behind real time, so the sweep's real-time window holds the audits (see lost-notifications).
  stack = await reliabilityStack({ startMs: Date.now() - 60_000 });
});
afterAll(() => stack.close());

describe('30 % of IoT calls throttled', () => {
  it('remediates every audit once, through the state machine retries and the SDK retries', async () => {
    const { service } = stack.emulator;
    const throttled = new Map<string, number>();
    const throttle = service.throttle.bind(service);
    // Besides 30 % at random (a seeded sequence, but shared by concurrent executions whose order
    // varies), the first call of each operation the test asserts on is throttled, so each is exercised
    // whatever the interleaving.
    const forced = new Set([
      'StartAuditMitigationActionsTask',
      'DescribeAuditMitigationActionsTask',
      'ListAuditTasks',
    ]);
    service.throttle = (operation) => {
      try {
        if (forced.delete(operation)) throw new ServiceError('ThrottlingException', 'Rate exceeded');
        throttle(operation);
      } catch (error) {
        throttled.set(operation, (throttled.get(operation) ?? 0) + 1);
        throw error;
      }
    };
    service.injectThrottling({ rate: 0.3, seed: 7 });

    for (const id of AUDITS) service.addAudit(fixtureAudit(id));
    await stack.clock.sleep(600_000);
    expect(stack.notifications.map((n) => n.taskId).sort()).toEqual(AUDITS);
    const planned = await Promise.all(stack.notifications.map((n) => deliver(stack, n)));
    expect(planned.map((p) => p.outcome)).toEqual(AUDITS.map(() => 'started'));

    const outcomes = await settled(stack);
    expect([...outcomes.values()].map((o) => o.status)).toEqual(AUDITS.map(() => 'SUCCEEDED'));
    // The sweep lists and describes through the same throttling (SDK retries, real backoff): each
    // audit meets its execution and starts nothing more.
    await expect(sweep(stack)).resolves.toEqual({
      kind: 'sweep',
      audits: AUDITS.length,
      outcomes: { duplicate: AUDITS.length },
      failed: 0,
    });
    service.injectThrottling(undefined);

    expect(throttled.get('StartAuditMitigationActionsTask') ?? 0).toBeGreaterThan(0);
    expect(throttled.get('DescribeAuditMitigationActionsTask') ?? 0).toBeGreaterThan(0);
    expect(
      (throttled.get('ListAuditTasks') ?? 0) + (throttled.get('DescribeAuditTask') ?? 0),
    ).toBeGreaterThan(0);

    expectEachAuditRemediatedOnce(stack, AUDITS);
    const byAudit = executionsByAudit(stack);
    for (const id of AUDITS) expect(reportOf(stack, byAudit.get(id)![0]!).outcome.name).toBe('Completed');
  });
});
