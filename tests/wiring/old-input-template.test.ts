// The Pipe's old InputTemplate `<$.body>` put back: in AWS the notification JSON loses its quotes, is
// not the JSON object an event's detail must be, and the delivery fails; after the queue's
// maxReceiveCount receives, SQS moves the notification to the dead-letter queue and no execution
// starts (docs/aws-facts/eventbridge.md). Only the sweep still remediates the audit.

import type { CfnTemplate, LocalStack } from '@device-defender-remediation/local-cloud';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureAudit, reliabilityStack, sweep } from '../reliability/support.ts';

const AUDIT = 'wiring-old-input-template';
let stack: LocalStack;

function oldInputTemplate(template: CfnTemplate): CfnTemplate {
  const pipe = template.Resources.AuditNotificationsPipe!;
  (pipe.Properties!.TargetParameters as { InputTemplate: string }).InputTemplate = '<$.body>';
  return template;
}

beforeAll(async () => {
  // A minute behind real time, so the sweep's real-time window holds the audit (see lost-notifications).
  stack = await reliabilityStack({ startMs: Date.now() - 60_000, transformTemplate: oldInputTemplate });
  stack.emulator.service.addAudit(fixtureAudit(AUDIT));
  await stack.clock.sleep(600_000);
});
afterAll(() => stack.close());

describe('the Pipe with the old InputTemplate <$.body>', () => {
  it('fails every delivery, dead-letters the notification after maxReceiveCount receives and starts nothing', async () => {
    const notification = stack.notifications.find((n) => n.taskId === AUDIT)!;
    const { maxReceiveCount, deadLetterTargetArn } = stack.deployed.property(
      'AuditNotificationsQueue',
      'RedrivePolicy',
    ) as {
      maxReceiveCount: number;
      deadLetterTargetArn: string;
    };
    const deadLetterQueue = stack.cloud.queueByArn(deadLetterTargetArn)!.logicalId;

    const trace = await stack.publishAuditNotification(notification);

    const [delivery] = trace.deliveries;
    expect(delivery).toMatchObject({
      queue: 'AuditNotificationsQueue',
      outcome: 'dead-lettered',
      deadLetterQueue,
    });
    expect(delivery?.receives).toBe(Number(maxReceiveCount));
    expect(delivery?.failures).toHaveLength(Number(maxReceiveCount));
    for (const failure of delivery?.failures ?? []) expect(failure).toMatch(/^MalformedDetail/);
    expect(stack.deadLetters(deadLetterQueue).map((m) => m.body)).toEqual([JSON.stringify(notification)]);

    expect(stack.busEvents()).toEqual([]);
    expect(trace.invocations).toEqual([]);
    expect(stack.invocations).toEqual([]);
    expect(stack.runner.executions).toEqual([]);
  });

  it('leaves the audit to the sweep, which starts its one execution', async () => {
    await expect(sweep(stack)).resolves.toMatchObject({ kind: 'sweep', outcomes: { started: 1 }, failed: 0 });
    expect(stack.runner.executions.map((e) => e.name)).toEqual([`enf-${AUDIT}`]);
  });
});
