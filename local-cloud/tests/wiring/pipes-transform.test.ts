// EventBridge Pipes input transformation against AWS's examples:
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-input-transformation.html
import { describe, expect, it } from 'vitest';
import { jsonPath, transformInput } from '../../wiring/pipes-transform.ts';

const variables = {
  pipeArn: 'arn:aws:pipes:us-east-1:123456789012:pipe/example',
  pipeName: 'example',
  sourceArn: 'arn:aws:sqs:us-east-1:123456789012:queue',
  targetArn: 'arn:aws:events:us-east-1:123456789012:event-bus/bus',
  ingestionTime: '2026-01-01T00:00:00.000Z',
};
const sqs = (body: string) => ({
  messageId: 'm-1',
  body,
  attributes: { SenderId: 'AIDAIENQZJOLO23YVJ4VO', ApproximateReceiveCount: '1' },
  eventSource: 'aws:sqs',
});
const isJson = (text: string) => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

describe('Pipes input transformation', () => {
  it('a bare <$.body> of JSON loses its quotes: {"key": "value"} becomes {key: value}, not JSON', () => {
    const out = transformInput('<$.body>', sqs('{"key": "value"}'), variables);
    expect(out).toBe('{key: value}');
    expect(isJson(out)).toBe(false);
  });

  it('wrapped as a JSON value, the body arrives whole: {"data": <$.body>}', () => {
    const out = transformInput('{"notification": <$.body>}', sqs('{"key": "value", "n": [1, 2]}'), variables);
    expect(JSON.parse(out)).toEqual({ notification: { key: 'value', n: [1, 2] } });
  });

  it('implicit body parsing lets a path reach into the body', () => {
    const out = transformInput(
      '{"key1": "value1", "key2": <$.body.key>}',
      sqs('{"key": "value"}'),
      variables,
    );
    expect(JSON.parse(out)).toEqual({ key1: 'value1', key2: 'value' });
    expect(jsonPath('$.body.Records[1]', { body: { Records: ['a', 'b'] } })).toBe('b');
  });

  it('a body that is not JSON stays a string, quoted by Pipes as a JSON value', () => {
    expect(JSON.parse(transformInput('{"text": <$.body>}', sqs('Hello'), variables))).toEqual({
      text: 'Hello',
    });
    expect(transformInput('<$.body>', sqs('Hello'), variables)).toBe('Hello');
  });

  it('static and dynamic strings', () => {
    expect(transformInput('Hello, sender', sqs('x'), variables)).toBe('Hello, sender');
    expect(transformInput('Hello, <$.attributes.SenderId>', sqs('x'), variables)).toBe(
      'Hello, AIDAIENQZJOLO23YVJ4VO',
    );
  });

  it('inside a quoted string an object loses its internal quotes ("Body is <$.body>")', () => {
    const out = transformInput('{"text": "Body is <$.body>"}', sqs('{"key": "value"}'), variables);
    expect(JSON.parse(out)).toEqual({ text: 'Body is {key: value}' });
  });

  it('reserved variables: strings quoted, the event JSON unquoted', () => {
    const out = transformInput(
      '{"pipeArn": <aws.pipes.pipe-arn>, "pipeName": <aws.pipes.pipe-name>, "originalEvent": <aws.pipes.event.json>}',
      sqs('{"key": "value"}'),
      variables,
    );
    expect(JSON.parse(out)).toEqual({
      pipeArn: variables.pipeArn,
      pipeName: 'example',
      originalEvent: { ...sqs('x'), body: { key: 'value' } },
    });
  });

  it('without a template the record passes as JSON, body still a string', () => {
    expect(JSON.parse(transformInput(undefined, sqs('{"a":1}'), variables))).toEqual(sqs('{"a":1}'));
  });
});
