// AuditCompletedRule with the old pattern `detail.taskStatus`: the Pipe now puts the notification in
// `detail.notification`, so the event reaches the bus, no rule matches it, no function is invoked and
// nothing starts; the queue counts the message as delivered (no dead letter to alarm on).

import type { CfnTemplate, LocalStack } from '@device-defender-remediation/local-cloud';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureAudit, reliabilityStack } from '../reliability/support.ts';

const AUDIT = 'wiring-old-rule-pattern';
let stack: LocalStack;

function oldRulePattern(template: CfnTemplate): CfnTemplate {
  const rule = template.Resources.AuditCompletedRule!;
  const pattern = rule.Properties!.EventPattern as Record<string, unknown>;
  rule.Properties!.EventPattern = { ...pattern, detail: { taskStatus: ['COMPLETED'] } };
  return template;
}

beforeAll(async () => {
  stack = await reliabilityStack({ transformTemplate: oldRulePattern });
  stack.emulator.service.addAudit(fixtureAudit(AUDIT));
  await stack.clock.sleep(5_000);
});
afterAll(() => stack.close());

describe('AuditCompletedRule matching the old detail.taskStatus', () => {
  it('lets the event reach the bus but invokes no function and starts nothing', async () => {
    const notification = stack.notifications.find((n) => n.taskId === AUDIT)!;
    const trace = await stack.publishAuditNotification(notification);

    expect(trace.deliveries.map((d) => [d.outcome, d.receives])).toEqual([['consumed', 1]]);
    expect(stack.busEvents()).toHaveLength(1);
    expect(stack.busEvents()[0]).toMatchObject({
      source: 'custom.devicedefender',
      'detail-type': 'Audit Completed',
      detail: { notification: { taskId: AUDIT, taskStatus: 'COMPLETED' } },
    });
    expect(trace.matchedRules).toEqual([]);
    expect(stack.invocations).toEqual([]);
    expect(stack.runner.executions).toEqual([]);
    const { deadLetterTargetArn } = stack.deployed.property('AuditNotificationsQueue', 'RedrivePolicy') as {
      deadLetterTargetArn: string;
    };
    expect(stack.cloud.queueByArn(deadLetterTargetArn)?.messages).toEqual([]);
  });
});
