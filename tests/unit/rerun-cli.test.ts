import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { parseRerunRequest } from '#domain/sweep';
import { callerIdentity, putRequest } from '../../cli/operator-request.ts';
import { rerunEntry } from '../../cli/rerun.ts';

const events = mockClient(EventBridgeClient);
const sts = mockClient(STSClient);

describe('npm run rerun', () => {
  it('builds the event the sweep function reads as a re-run request', () => {
    const built = rerunEntry('audit-7', 2, 'my-bus', 'alice');
    expect(built).toEqual({
      ok: true,
      entry: {
        EventBusName: 'my-bus',
        Source: 'custom.devicedefender',
        DetailType: 'Audit Remediation Requested',
        Detail: '{"auditTaskId":"audit-7","rerun":2,"requestedBy":"alice"}',
      },
    });
    const entry = built.ok ? built.entry : undefined;
    const asDelivered = {
      source: entry?.Source,
      'detail-type': entry?.DetailType,
      detail: JSON.parse(entry?.Detail ?? '{}'),
    };
    expect(parseRerunRequest(asDelivered)).toEqual({
      kind: 'rerun',
      auditTaskId: 'audit-7',
      rerun: 2,
      force: false,
      requestedBy: 'alice',
    });
  });

  it('asks for a forced re-run only with --force, and names the caller by its STS identity', async () => {
    const arn = 'arn:aws:sts::123456789012:assumed-role/Operator/alice';
    sts.on(GetCallerIdentityCommand).resolves({ Arn: arn, Account: '123456789012', UserId: 'AROA:alice' });
    const requestedBy = await callerIdentity(new STSClient({}));
    expect(requestedBy).toBe(arn);
    const built = rerunEntry('audit-7', 4, 'bus', requestedBy, true);
    if (!built.ok) throw new Error('unexpected');
    expect(JSON.parse(built.entry.Detail!)).toEqual({
      auditTaskId: 'audit-7',
      rerun: 4,
      requestedBy: arn,
      force: true,
    });
    expect(
      parseRerunRequest({
        source: built.entry.Source,
        'detail-type': built.entry.DetailType,
        detail: JSON.parse(built.entry.Detail!),
      }),
    ).toMatchObject({ force: true, requestedBy: arn });
    sts.on(GetCallerIdentityCommand).resolves({});
    await expect(callerIdentity(new STSClient({}))).rejects.toThrow('STS GetCallerIdentity answered no ARN');
  });

  it('refuses what the sweep would refuse, naming the option', () => {
    expect(rerunEntry('bad_id', 0, 'bus')).toEqual({
      ok: false,
      errors: [
        'detail.auditTaskId: "bad_id" does not match ^[a-zA-Z0-9-]{1,40}$',
        'detail.rerun: expected at least 1, got 0',
      ],
    });
  });

  it('puts the event and reports its id, or the refusal', async () => {
    const built = rerunEntry('audit-7', 1, 'bus');
    if (!built.ok) throw new Error('unexpected');
    events
      .on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 0, Entries: [{ EventId: 'ev-1' }] })
      .resolvesOnce({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'AccessDenied', ErrorMessage: 'no' }] });
    await expect(putRequest(new EventBridgeClient({}), built.entry)).resolves.toBe('ev-1');
    await expect(putRequest(new EventBridgeClient({}), built.entry)).rejects.toThrow(
      'EventBridge refused the request: AccessDenied no',
    );
  });
});
