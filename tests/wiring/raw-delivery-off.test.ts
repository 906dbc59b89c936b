// The subscription without raw message delivery: SNS puts its JSON envelope in the queue, the
// notification being the envelope's `Message` string. The template's InputTemplate
// `{"notification": <$.body>}` does not unwrap it, so `detail.notification` is the envelope: the event
// reaches the bus, AuditCompletedRule (detail.notification.taskStatus) does not match, the planner is
// never invoked and nothing starts. The Pipe itself succeeds: nothing reaches the dead-letter queue.

import type { CfnTemplate, LocalStack } from '@device-defender-remediation/local-cloud';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureAudit, reliabilityStack } from '../reliability/support.ts';

const AUDIT = 'wiring-raw-delivery-off';
let stack: LocalStack;

function withoutRawDelivery(template: CfnTemplate): CfnTemplate {
  template.Resources.AuditNotificationsSubscription!.Properties!.RawMessageDelivery = false;
  return template;
}

beforeAll(async () => {
  stack = await reliabilityStack({ transformTemplate: withoutRawDelivery });
  stack.emulator.service.addAudit(fixtureAudit(AUDIT));
  await stack.clock.sleep(5_000);
});
afterAll(() => stack.close());

describe('the audit notifications subscription without raw message delivery', () => {
  it('puts the SNS envelope in detail.notification, which no rule matches: the planner never runs', async () => {
    const notification = stack.notifications.find((n) => n.taskId === AUDIT)!;
    const topicArn = String(stack.deployed.ref('AuditNotificationsTopic'));
    const trace = await stack.publishAuditNotification(notification);

    const [delivery] = trace.deliveries;
    expect(delivery?.outcome).toBe('consumed');
    const envelope = JSON.parse(delivery!.body) as Record<string, unknown>;
    expect(envelope).toMatchObject({ Type: 'Notification', MessageId: trace.messageId, TopicArn: topicArn });
    expect(JSON.parse(envelope.Message as string)).toEqual(JSON.parse(JSON.stringify(notification)));

    const events = stack.busEvents();
    expect(events.map((e) => e.detail)).toEqual([{ notification: envelope }]);
    expect(envelope.taskStatus).toBeUndefined();
    expect(trace.matchedRules).toEqual([]);
    expect(stack.invocations).toEqual([]);
    expect(stack.runner.executions).toEqual([]);
  });
});
