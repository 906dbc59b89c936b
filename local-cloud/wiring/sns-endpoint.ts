/**
 * A local SNS endpoint (AWS Query protocol, what `@aws-sdk/client-sns` speaks) for the functions that
 * publish (cleanup-execution's notices): Publish only, to the template's topics.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type LocalEndpoint, listenLocally } from '../http-endpoint.ts';
import type { LocalTopic } from './messaging.ts';
import { failXml, respondXml } from './query-xml.ts';

export type LocalSnsEndpoint = LocalEndpoint;

const XMLNS = 'http://sns.amazonaws.com/doc/2010-03-31/';

/** `port` 0 (the default) picks a free port. */
export async function startLocalSnsEndpoint(
  topicByArn: (arn: string) => LocalTopic | undefined,
  port = 0,
): Promise<LocalSnsEndpoint> {
  return listenLocally((request, response) => serve(topicByArn, request, response), port);
}

async function serve(
  topicByArn: (arn: string) => LocalTopic | undefined,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
  const action = form.get('Action');
  if (action !== 'Publish') return fail(response, 400, 'InvalidAction', `${action} is not emulated locally`);
  const topicArn = form.get('TopicArn') ?? '';
  const message = form.get('Message');
  if (message === null) return fail(response, 400, 'InvalidParameter', 'Message is required');
  const topic = topicByArn(topicArn);
  if (topic === undefined) return fail(response, 404, 'NotFound', 'Topic does not exist');
  const subject = form.get('Subject');
  const { messageId } = await topic.publish(message, subject ?? undefined, stringAttributes(form));
  respondXml(
    response,
    200,
    `<PublishResponse xmlns="${XMLNS}"><PublishResult><MessageId>${messageId}</MessageId></PublishResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></PublishResponse>`,
  );
}

/** Publish's query form: MessageAttributes.entry.N.Name and .Value.StringValue (String attributes). */
function stringAttributes(form: URLSearchParams): Record<string, string> | undefined {
  const attributes: Record<string, string> = {};
  for (let n = 1; form.has(`MessageAttributes.entry.${n}.Name`); n += 1) {
    const value = form.get(`MessageAttributes.entry.${n}.Value.StringValue`);
    if (value !== null) attributes[form.get(`MessageAttributes.entry.${n}.Name`)!] = value;
  }
  return Object.keys(attributes).length > 0 ? attributes : undefined;
}

const fail = (response: ServerResponse, status: number, code: string, message: string) =>
  failXml(response, XMLNS, status, code, message);
