/**
 * SNS topics and SQS queues as the template declares them (docs/aws-facts/sns-sqs.md):
 *
 * - an SNS subscription of protocol `sqs` sends each message to its queue: with RawMessageDelivery
 *   true the body is the message as published; otherwise the body is SNS's JSON envelope, the
 *   message being its `Message` string
 *   (https://docs.aws.amazon.com/sns/latest/dg/sns-large-payload-raw-message-delivery.html);
 * - a queue whose consumer fails a message makes it visible again after the queue's
 *   VisibilityTimeout; with a RedrivePolicy, "when the ReceiveCount for a message exceeds the
 *   maxReceiveCount for a queue, Amazon SQS moves the message to the dead-letter queue"
 *   (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html),
 *   keeping its message id; without one it is dropped once older than MessageRetentionPeriod.
 *
 * Everything runs on the virtual clock: a failed message waits its visibility timeout there.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { VirtualClock } from '../clock.ts';

export interface SqsMessage {
  readonly messageId: string;
  readonly body: string;
  /** Virtual epoch milliseconds. */
  readonly sentAt: number;
  /** How often a consumer has received it (SQS's ApproximateReceiveCount). */
  receiveCount: number;
  /** Set when redrive moved it here: the queue it came from. */
  deadLetterQueueSourceArn?: string;
}

/** What a consumer made of one receive of a message. */
export type ConsumeResult =
  | { readonly ok: true; readonly filtered?: boolean }
  | { readonly ok: false; readonly reason: string };

export interface QueueDelivery {
  /** The queue the message was sent to (logical id). */
  readonly queue: string;
  readonly messageId: string;
  readonly body: string;
  /** How the message left (or stayed in) the queue. */
  readonly outcome: 'consumed' | 'filtered' | 'dead-lettered' | 'expired' | 'queued';
  readonly receives: number;
  /** Why each failed receive failed, in order. */
  readonly failures: readonly string[];
  /** The dead-letter queue's logical id, when redrive moved it there. */
  readonly deadLetterQueue?: string;
}

export interface QueueSettings {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  readonly url: string;
  readonly visibilityTimeoutSeconds: number;
  readonly messageRetentionSeconds: number;
  readonly redrive?: { readonly deadLetterTargetArn: string; readonly maxReceiveCount: number };
}

export class LocalQueue {
  /** Messages at rest: sent while nothing consumes the queue, or moved here by redrive. */
  readonly messages: SqsMessage[] = [];
  consumer: ((message: SqsMessage) => Promise<ConsumeResult>) | undefined;

  constructor(
    readonly settings: QueueSettings,
    private readonly clock: VirtualClock,
    private readonly queueByArn: (arn: string) => LocalQueue | undefined,
  ) {}

  get logicalId(): string {
    return this.settings.logicalId;
  }

  /** SendMessage; with a consumer, settles once the message has left the queue (or stays for good). */
  async send(body: string): Promise<QueueDelivery> {
    const message: SqsMessage = { messageId: randomUUID(), body, sentAt: this.clock.now(), receiveCount: 0 };
    const base = { queue: this.logicalId, messageId: message.messageId, body };
    if (this.consumer === undefined) {
      this.messages.push(message);
      return { ...base, outcome: 'queued', receives: 0, failures: [] };
    }
    const failures: string[] = [];
    const { redrive, visibilityTimeoutSeconds, messageRetentionSeconds } = this.settings;
    for (;;) {
      if (this.clock.now() - message.sentAt >= messageRetentionSeconds * 1000)
        return { ...base, outcome: 'expired', receives: message.receiveCount, failures };
      if (redrive !== undefined && message.receiveCount >= redrive.maxReceiveCount) {
        const deadLetterQueue = this.queueByArn(redrive.deadLetterTargetArn);
        if (deadLetterQueue === undefined)
          throw new Error(
            `${this.logicalId}: its dead-letter queue ${redrive.deadLetterTargetArn} does not exist`,
          );
        deadLetterQueue.messages.push({ ...message, deadLetterQueueSourceArn: this.settings.arn });
        return {
          ...base,
          outcome: 'dead-lettered',
          receives: message.receiveCount,
          failures,
          deadLetterQueue: deadLetterQueue.logicalId,
        };
      }
      message.receiveCount += 1;
      const result = await this.consumer({ ...message });
      if (result.ok)
        return {
          ...base,
          outcome: result.filtered ? 'filtered' : 'consumed',
          receives: message.receiveCount,
          failures,
        };
      failures.push(result.reason);
      await this.clock.sleep(visibilityTimeoutSeconds * 1000);
    }
  }
}

/** The SQS record a poller (Pipes, Lambda) hands on: the shape of the Pipes SQS source event. */
export function sqsRecord(
  message: SqsMessage,
  queue: QueueSettings,
  region: string,
): Record<string, unknown> {
  return {
    messageId: message.messageId,
    receiptHandle: `${message.messageId}#${message.receiveCount}`,
    body: message.body,
    attributes: {
      ApproximateReceiveCount: String(message.receiveCount),
      SentTimestamp: String(message.sentAt),
      SenderId: 'AIDAIENQZJOLO23YVJ4VO',
      ApproximateFirstReceiveTimestamp: String(message.sentAt),
    },
    messageAttributes: {},
    md5OfBody: createHash('md5').update(message.body).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: queue.arn,
    awsRegion: region,
  };
}

export interface SubscriptionSettings {
  readonly logicalId: string;
  readonly arn: string;
  readonly protocol: string;
  readonly endpoint: string;
  readonly rawMessageDelivery: boolean;
}

export interface PublishedMessage {
  readonly messageId: string;
  readonly topicArn: string;
  readonly message: string;
  readonly subject?: string;
  /** String message attributes, by name (Publish's MessageAttributes). */
  readonly attributes?: Readonly<Record<string, string>>;
  /** Virtual epoch milliseconds. */
  readonly publishedAt: number;
}

export interface PublishResult {
  readonly messageId: string;
  /** One per SQS subscription, in the template's order. */
  readonly deliveries: readonly QueueDelivery[];
}

export class LocalTopic {
  readonly subscriptions: SubscriptionSettings[] = [];
  /** Every message published, whatever its subscribers did with it. */
  readonly messages: PublishedMessage[] = [];

  constructor(
    readonly logicalId: string,
    readonly arn: string,
    private readonly clock: VirtualClock,
    private readonly region: string,
    private readonly queueByArn: (arn: string) => LocalQueue | undefined,
  ) {}

  async publish(
    message: string,
    subject?: string,
    attributes?: Readonly<Record<string, string>>,
  ): Promise<PublishResult> {
    const messageId = randomUUID();
    const publishedAt = this.clock.now();
    this.messages.push({
      messageId,
      topicArn: this.arn,
      message,
      publishedAt,
      ...(subject === undefined ? {} : { subject }),
      ...(attributes === undefined ? {} : { attributes }),
    });
    const deliveries: Promise<QueueDelivery>[] = [];
    for (const subscription of this.subscriptions) {
      if (subscription.protocol !== 'sqs') continue; // e-mail and others: recorded above only
      const queue = this.queueByArn(subscription.endpoint);
      if (queue === undefined)
        throw new Error(`${subscription.logicalId}: no queue ${subscription.endpoint}`);
      const body = subscription.rawMessageDelivery
        ? message
        : JSON.stringify(this.#envelope(subscription, messageId, message, subject, publishedAt));
      deliveries.push(queue.send(body));
    }
    return { messageId, deliveries: await Promise.all(deliveries) };
  }

  /** The JSON SNS delivers to an SQS subscriber without raw delivery. */
  #envelope(
    subscription: SubscriptionSettings,
    messageId: string,
    message: string,
    subject: string | undefined,
    publishedAt: number,
  ) {
    const host = `https://sns.${this.region}.amazonaws.com`;
    return {
      Type: 'Notification',
      MessageId: messageId,
      TopicArn: this.arn,
      ...(subject === undefined ? {} : { Subject: subject }),
      Message: message,
      Timestamp: new Date(publishedAt).toISOString(),
      SignatureVersion: '1',
      Signature: Buffer.from(`local-signature-${messageId}`).toString('base64'),
      SigningCertURL: `${host}/SimpleNotificationService-local.pem`,
      UnsubscribeURL: `${host}/?Action=Unsubscribe&SubscriptionArn=${subscription.arn}`,
    };
  }
}
