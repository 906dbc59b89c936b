/**
 * The local EventBridge and STS endpoints: PutEvents over awsJson1.1 by a caller its SigV4 access key
 * id names, authorised against the bus's resource-based policy entry by entry (a refused entry is a
 * failed entry of a 200 answer, as PutEvents answers); GetCallerIdentity over the Query protocol with
 * the identity that key id stands for; and every request either refuses, in its service's words.
 * Requests are made by hand here (this package's tests have no EventBridge or STS client); the real
 * clients and the AWS CLI meet them in tests/cli/local-stack.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../clock.ts';
import { type LocalEventsEndpoint, startLocalEventsEndpoint } from '../../wiring/events-endpoint.ts';
import { LocalCloud } from '../../wiring/index.ts';
import {
  accessKeyIdOf,
  LocalPrincipals,
  type LocalStsEndpoint,
  startLocalStsEndpoint,
} from '../../wiring/sts-endpoint.ts';
import { DeployedTemplate, parseTemplate } from '../../wiring/template.ts';

const target = { stackName: 'ddr', accountId: '123456789012', region: 'us-east-1', partition: 'aws' };
const OPERATOR_ROLE = 'arn:aws:iam::123456789012:role/ops/remediation-operator';
const BUS_ARN = 'arn:aws:events:us-east-1:123456789012:event-bus/ddr';

const TEMPLATE = `
Resources:
  Bus: { Type: AWS::Events::EventBus, Properties: { Name: !Ref AWS::StackName } }
  OnlyOperators:
    Type: AWS::Events::EventBusPolicy
    Properties:
      EventBusName: !Ref Bus
      StatementId: operators-only
      Statement:
        Effect: Deny
        Principal: '*'
        Action: events:PutEvents
        Resource: !GetAtt Bus.Arn
        Condition:
          ForAnyValue:StringEquals: { events:detail-type: Rerun }
          ArnNotLike: { aws:PrincipalArn: '${OPERATOR_ROLE}' }
  Inbox: { Type: AWS::SQS::Queue }
  RerunRule:
    Type: AWS::Events::Rule
    Properties:
      EventBusName: !Ref Bus
      EventPattern: { detail-type: [Rerun, Note] }
      Targets: [{ Id: inbox, Arn: !GetAtt Inbox.Arn }]
`;

let cloud: LocalCloud;
let events: LocalEventsEndpoint;
let sts: LocalStsEndpoint;
const principals = new LocalPrincipals({ accessKeyId: 'operator', roleArn: OPERATOR_ROLE });

beforeAll(async () => {
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  cloud = new LocalCloud(new DeployedTemplate(parseTemplate(TEMPLATE), target), clock);
  events = await startLocalEventsEndpoint({
    putEvents: (entries, caller) => cloud.putEvents(entries, caller),
    principals,
  });
  sts = await startLocalStsEndpoint(principals);
});
afterAll(async () => {
  await Promise.all([events.close(), sts.close(), cloud.close()]);
});

const signedBy = (accessKeyId: string, service: string) => ({
  authorization: `AWS4-HMAC-SHA256 Credential=${accessKeyId}/20260101/us-east-1/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=0`,
});

async function putEvents(body: unknown, headers: Record<string, string> = signedBy('operator', 'events')) {
  const response = await fetch(events.endpoint, {
    method: 'POST',
    headers: {
      'x-amz-target': 'AWSEvents.PutEvents',
      'content-type': 'application/x-amz-json-1.1',
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const entry = (detailType: string, detail: object = { auditTaskId: 'a1', rerun: 1 }) => ({
  EventBusName: 'ddr',
  Source: 'custom.devicedefender',
  DetailType: detailType,
  Detail: JSON.stringify(detail),
});

const busEvents = () => cloud.busByNameOrArn('ddr')?.events ?? [];

describe('PutEvents on the local EventBridge endpoint', () => {
  it("puts the operator's entry on the bus and answers its EventId", async () => {
    const before = busEvents().length;
    const { status, body } = await putEvents({ Entries: [entry('Rerun')] });
    expect(status).toBe(200);
    expect(body.FailedEntryCount).toBe(0);
    const event = busEvents()[before];
    expect(body.Entries).toEqual([{ EventId: event?.id }]);
    expect(event).toMatchObject({
      'detail-type': 'Rerun',
      source: 'custom.devicedefender',
      detail: { rerun: 1 },
    });
    await cloud.idle();
    expect(cloud.queueMessages('Inbox').some((m) => m.body.includes(event?.id ?? '-'))).toBe(true);
  });

  it("refuses a non-operator's entry as a failed entry, AccessDeniedException, and nothing reaches the bus", async () => {
    const before = busEvents().length;
    const { status, body } = await putEvents({ Entries: [entry('Rerun')] }, signedBy('someone', 'events'));
    expect(status).toBe(200);
    expect(body).toEqual({
      FailedEntryCount: 1,
      Entries: [
        {
          ErrorCode: 'AccessDeniedException',
          ErrorMessage: expect.stringContaining(
            `User: arn:aws:iam::123456789012:user/someone is not authorized to perform: events:PutEvents on resource: ${BUS_ARN} with an explicit deny`,
          ),
        },
      ],
    });
    expect(busEvents().length).toBe(before);
  });

  it('answers each entry in its place: the refused ones fail, the others are put', async () => {
    const { body } = await putEvents(
      {
        Entries: [
          entry('Note', { text: 'hello' }),
          entry('Rerun'),
          { ...entry('Note'), Detail: 'not json' },
          { ...entry('Note'), EventBusName: 'nope' },
          { ...entry('Note'), Time: 1_767_225_600 },
        ],
      },
      signedBy('someone', 'events'),
    );
    const answers = body.Entries as { EventId?: string; ErrorCode?: string }[];
    expect(body.FailedEntryCount).toBe(3);
    expect(answers.map((a) => a.ErrorCode ?? 'ok')).toEqual([
      'ok',
      'AccessDeniedException',
      'MalformedDetail',
      'ResourceNotFoundException',
      'ok',
    ]);
    expect(busEvents().find((e) => e.id === answers[4]?.EventId)?.time).toBe('2026-01-01T00:00:00Z');
  });

  it('refuses what PutEvents refuses as a whole, naming the member', async () => {
    expect(await putEvents({ Entries: [entry('Note')] }, {})).toMatchObject({
      status: 403,
      body: { __type: 'MissingAuthenticationToken' },
    });
    expect(await putEvents('{"Entries": [')).toMatchObject({
      status: 400,
      body: { __type: 'SerializationException' },
    });
    expect(await putEvents({})).toMatchObject({
      status: 400,
      body: { __type: 'ValidationException', message: expect.stringContaining("'entries'") },
    });
    expect(await putEvents({ Entries: [] })).toMatchObject({
      status: 400,
      body: { __type: 'ValidationException', message: expect.stringContaining("'entries'") },
    });
    expect(await putEvents({ Entries: Array.from({ length: 11 }, () => entry('Note')) })).toMatchObject({
      status: 400,
      body: {
        __type: 'ValidationException',
        message: expect.stringContaining('between 1 and 10 (it has 11)'),
      },
    });
    expect(await putEvents({ Entries: ['Note'] })).toMatchObject({
      status: 400,
      body: { __type: 'SerializationException', message: 'Entries[0] is not an object' },
    });
    expect(await putEvents({ Entries: [{ ...entry('Note'), Detail: { text: 'an object' } }] })).toMatchObject(
      {
        status: 400,
        body: { __type: 'SerializationException', message: 'Entries[0].Detail must be a string' },
      },
    );
    expect(await putEvents({ Entries: [{ ...entry('Note'), Resources: [1] }] })).toMatchObject({
      status: 400,
      body: { __type: 'SerializationException', message: 'Entries[0].Resources must be a list of strings' },
    });
    expect(await putEvents({ Entries: [{ ...entry('Note'), Time: 'yesterday' }] })).toMatchObject({
      status: 400,
      body: { __type: 'SerializationException', message: expect.stringContaining('Entries[0].Time') },
    });
    const tooLarge = await fetch(events.endpoint, {
      method: 'POST',
      headers: { 'x-amz-target': 'AWSEvents.PutEvents', ...signedBy('operator', 'events') },
      body: 'x'.repeat(5 * 1024 * 1024),
    }).catch((error: unknown) => ({ status: 'reset', error }));
    // The server answers 413 without reading the rest; a client still sending may see the reset instead.
    expect([413, 'reset']).toContain(tooLarge.status);
    const other = await fetch(events.endpoint, {
      method: 'POST',
      headers: { 'x-amz-target': 'AWSEvents.ListRules', ...signedBy('operator', 'events') },
      body: '{}',
    });
    expect(other.status).toBe(400);
    expect(await other.json()).toMatchObject({ __type: 'UnknownOperationException' });
  });
});

async function callerIdentity(
  headers: Record<string, string>,
  form = 'Action=GetCallerIdentity&Version=2011-06-15',
) {
  const response = await fetch(sts.endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: form,
  });
  const xml = await response.text();
  const tag = (name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
  return {
    status: response.status,
    arn: tag('Arn'),
    userId: tag('UserId'),
    account: tag('Account'),
    code: tag('Code'),
  };
}

describe('GetCallerIdentity on the local STS endpoint', () => {
  it('names the operator as a session of the operator role, and anyone else as an IAM user', async () => {
    expect(await callerIdentity(signedBy('operator', 'sts'))).toMatchObject({
      status: 200,
      arn: 'arn:aws:sts::123456789012:assumed-role/remediation-operator/operator',
      userId: expect.stringMatching(/^AROA[0-9A-F]{17}:operator$/),
      account: '123456789012',
    });
    expect(await callerIdentity(signedBy('someone', 'sts'))).toMatchObject({
      status: 200,
      arn: 'arn:aws:iam::123456789012:user/someone',
      userId: expect.stringMatching(/^AIDA[0-9A-F]{17}$/),
    });
    expect(principals.principalArn('operator')).toBe(OPERATOR_ROLE);
    expect(principals.principalArn('has space')).toBe('arn:aws:iam::123456789012:user/local-user');
  });

  it('refuses an unsigned request and any other action', async () => {
    expect(await callerIdentity({})).toMatchObject({ status: 403, code: 'MissingAuthenticationToken' });
    expect(
      await callerIdentity(signedBy('operator', 'sts'), 'Action=AssumeRole&Version=2011-06-15'),
    ).toMatchObject({
      status: 400,
      code: 'InvalidAction',
    });
  });

  it('reads the access key id from the Authorization header or a presigned URL', () => {
    const request = (headers: Record<string, string>, url = '/') => ({ headers, url }) as never;
    expect(accessKeyIdOf(request(signedBy('AKIDEXAMPLE', 'sts')))).toBe('AKIDEXAMPLE');
    expect(
      accessKeyIdOf(request({}, '/?X-Amz-Credential=AKIDQUERY%2F20260101%2Fus-east-1%2Fsts%2Faws4_request')),
    ).toBe('AKIDQUERY');
    expect(accessKeyIdOf(request({ authorization: 'Basic dXNlcjpwYXNz' }))).toBeUndefined();
  });

  it('refuses an operator that is not a role, or a key id that is no session name', () => {
    expect(
      () => new LocalPrincipals({ accessKeyId: 'operator', roleArn: 'arn:aws:iam::123456789012:user/x' }),
    ).toThrow(/must be an IAM role ARN/);
    expect(() => new LocalPrincipals({ accessKeyId: 'two words', roleArn: OPERATOR_ROLE })).toThrow(
      /session name/,
    );
  });
});
