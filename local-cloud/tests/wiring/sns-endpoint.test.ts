// The local SNS endpoint speaks the AWS Query protocol of the real @aws-sdk/client-sns (what
// cleanup-execution publishes its notices with): Publish to a topic of the template, NotFound otherwise.
import { NotFoundException, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../clock.ts';
import { LocalTopic } from '../../wiring/messaging.ts';
import { type LocalSnsEndpoint, startLocalSnsEndpoint } from '../../wiring/sns-endpoint.ts';

const clock = new VirtualClock(Date.UTC(2026, 0, 1), { autoAdvance: false });
const topic = new LocalTopic(
  'ReportsTopic',
  'arn:aws:sns:us-east-1:123456789012:reports',
  clock,
  'us-east-1',
  () => undefined,
);
let local: LocalSnsEndpoint;
let sns: SNSClient;

beforeAll(async () => {
  local = await startLocalSnsEndpoint((arn) => (arn === topic.arn ? topic : undefined));
  sns = new SNSClient({
    endpoint: local.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    maxAttempts: 1,
  });
});
afterAll(async () => {
  sns.destroy();
  await local.close();
});

describe('local SNS endpoint', () => {
  it('publishes to the topic and answers its message id', async () => {
    const { MessageId } = await sns.send(
      new PublishCommand({
        TopicArn: topic.arn,
        Subject: 'Remediation FAILED: enf-a',
        Message: 'text & <more>',
      }),
    );
    expect(topic.messages).toEqual([
      expect.objectContaining({
        messageId: MessageId,
        subject: 'Remediation FAILED: enf-a',
        message: 'text & <more>',
      }),
    ]);
  });

  it('answers NotFound for a topic the template does not have', async () => {
    await expect(
      sns.send(new PublishCommand({ TopicArn: 'arn:aws:sns:us-east-1:123456789012:other', Message: 'x' })),
    ).rejects.toBeInstanceOf(NotFoundException);
  });
});
