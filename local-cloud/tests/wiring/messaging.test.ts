// SNS -> SQS delivery and SQS redrive, in virtual time (docs/aws-facts/sns-sqs.md):
// - raw delivery: https://docs.aws.amazon.com/sns/latest/dg/sns-large-payload-raw-message-delivery.html
// - redrive: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../clock.ts';
import { type ConsumeResult, LocalQueue, LocalTopic, type QueueSettings } from '../../wiring/messaging.ts';

const ARN = 'arn:aws:sqs:us-east-1:123456789012:';
const settings = (name: string, extra: Partial<QueueSettings> = {}): QueueSettings => ({
  logicalId: name,
  name,
  arn: `${ARN}${name}`,
  url: `https://sqs.us-east-1.amazonaws.com/123456789012/${name}`,
  visibilityTimeoutSeconds: 60,
  messageRetentionSeconds: 345_600,
  ...extra,
});

function setup(consumer?: (receive: number) => ConsumeResult) {
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const queues = new Map<string, LocalQueue>();
  const byArn = (arn: string) => [...queues.values()].find((q) => q.settings.arn === arn);
  const dlq = new LocalQueue(settings('dlq'), clock, byArn);
  const queue = new LocalQueue(
    settings('queue', { redrive: { deadLetterTargetArn: `${ARN}dlq`, maxReceiveCount: 5 } }),
    clock,
    byArn,
  );
  queues.set('dlq', dlq).set('queue', queue);
  const received: string[] = [];
  if (consumer)
    queue.consumer = async (message) => {
      received.push(message.body);
      return consumer(message.receiveCount);
    };
  const topic = new LocalTopic(
    'topic',
    'arn:aws:sns:us-east-1:123456789012:topic',
    clock,
    'us-east-1',
    byArn,
  );
  return { clock, queue, dlq, topic, received };
}

describe('SNS to SQS', () => {
  it('raw delivery puts the message itself in the queue', async () => {
    const { topic, received } = setup(() => ({ ok: true }));
    topic.subscriptions.push({
      logicalId: 's',
      arn: 'arn:s',
      protocol: 'sqs',
      endpoint: `${ARN}queue`,
      rawMessageDelivery: true,
    });
    await topic.publish('{"taskStatus":"COMPLETED"}');
    expect(received).toEqual(['{"taskStatus":"COMPLETED"}']);
  });

  it('without raw delivery the body is the JSON envelope, the message its Message string', async () => {
    const { topic, received } = setup(() => ({ ok: true }));
    topic.subscriptions.push({
      logicalId: 's',
      arn: 'arn:s',
      protocol: 'sqs',
      endpoint: `${ARN}queue`,
      rawMessageDelivery: false,
    });
    const { messageId } = await topic.publish('{"taskStatus":"COMPLETED"}', 'Audit');
    const envelope = JSON.parse(received[0]!) as Record<string, unknown>;
    expect(envelope).toMatchObject({
      Type: 'Notification',
      MessageId: messageId,
      TopicArn: topic.arn,
      Subject: 'Audit',
      Message: '{"taskStatus":"COMPLETED"}',
      SignatureVersion: '1',
    });
    expect(Object.keys(envelope)).toEqual(
      expect.arrayContaining(['Timestamp', 'Signature', 'SigningCertURL', 'UnsubscribeURL']),
    );
  });
});

describe('SQS redrive', () => {
  it('moves a message its consumer keeps failing to the DLQ after maxReceiveCount receives', async () => {
    const { clock, queue, dlq } = setup(() => ({ ok: false, reason: 'MalformedDetail' }));
    const start = clock.now();
    const delivery = await queue.send('poison');
    expect(delivery).toMatchObject({ outcome: 'dead-lettered', receives: 5, deadLetterQueue: 'dlq' });
    expect(delivery.failures).toHaveLength(5);
    expect(dlq.messages).toEqual([
      expect.objectContaining({
        messageId: delivery.messageId,
        body: 'poison',
        deadLetterQueueSourceArn: `${ARN}queue`,
      }),
    ]);
    // Each failed receive waited out the visibility timeout, in virtual time.
    expect(clock.now() - start).toBe(5 * 60_000);
  });

  it('delivers a message whose consumer succeeds before the limit, and nothing reaches the DLQ', async () => {
    const { queue, dlq } = setup((receive) =>
      receive < 3 ? { ok: false, reason: 'throttled' } : { ok: true },
    );
    await expect(queue.send('late')).resolves.toMatchObject({ outcome: 'consumed', receives: 3 });
    expect(dlq.messages).toEqual([]);
  });

  it('keeps messages nothing consumes', async () => {
    const { queue } = setup();
    await expect(queue.send('waiting')).resolves.toMatchObject({ outcome: 'queued', receives: 0 });
    expect(queue.messages.map((m) => m.body)).toEqual(['waiting']);
  });
});
