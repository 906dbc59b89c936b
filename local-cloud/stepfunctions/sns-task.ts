import { randomUUID } from 'node:crypto';
import { TaskFailure } from './errors.ts';

/** One message a state machine published through `arn:<partition>:states:::sns:publish`. */
export interface SnsMessage {
  readonly topicArn: string;
  /** As SNS delivers it: a JSON object given as Message is serialised, as Step Functions does. */
  readonly message: string;
  readonly subject?: string;
  readonly messageAttributes?: unknown;
  readonly executionArn: string;
  /** Virtual epoch milliseconds. */
  readonly publishedAt: number;
  readonly messageId: string;
}

interface PublishParameters {
  TopicArn?: unknown;
  Message?: unknown;
  Subject?: unknown;
  MessageAttributes?: unknown;
}

/** Records the message instead of publishing it, and answers as the optimised integration does. */
export function publishToSns(
  parameters: unknown,
  record: (message: SnsMessage) => void,
  origin: { executionArn: string; nowMs: number },
) {
  const { TopicArn, Message, Subject, MessageAttributes } = (parameters ?? {}) as PublishParameters;
  if (typeof TopicArn !== 'string')
    throw new TaskFailure('SNS.InvalidParameterException', 'TopicArn is required');
  if (Message === undefined) throw new TaskFailure('SNS.InvalidParameterException', 'Message is required');
  const messageId = randomUUID();
  record({
    topicArn: TopicArn,
    message: typeof Message === 'string' ? Message : JSON.stringify(Message),
    ...(typeof Subject === 'string' ? { subject: Subject } : {}),
    ...(MessageAttributes === undefined ? {} : { messageAttributes: MessageAttributes }),
    executionArn: origin.executionArn,
    publishedAt: origin.nowMs,
    messageId,
  });
  return {
    MessageId: messageId,
    SdkHttpMetadata: { HttpStatusCode: 200 },
    SdkResponseMetadata: { RequestId: randomUUID() },
  };
}
