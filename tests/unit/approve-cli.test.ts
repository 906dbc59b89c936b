import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { describe, expect, it } from 'vitest';
import { answerFor, approvalCommands, parseApprovalRequest } from '#domain/approval';
import { approvalEntry, checkList } from '../../cli/approve.ts';
import { withOptionNames } from '../../cli/operator-request.ts';

const REVOKED = 'REVOKED_DEVICE_CERTIFICATE_STILL_ACTIVE_CHECK';
const SHARED = 'DEVICE_CERTIFICATE_SHARED_CHECK';
const delivered = (entry: PutEventsRequestEntry) => ({
  source: entry.Source,
  'detail-type': entry.DetailType,
  detail: JSON.parse(entry.Detail ?? '{}'),
});

describe('npm run approve', () => {
  it('builds the event the approve function reads, with who asked', () => {
    const built = approvalEntry('enf-audit-7', [SHARED, REVOKED], 'approve', 'my-bus', 'alice');
    if (!built.ok) throw new Error(built.errors.join('; '));
    expect(built.entry).toEqual({
      EventBusName: 'my-bus',
      Source: 'custom.devicedefender',
      DetailType: 'Held-Back Check Approval Requested',
      Detail: JSON.stringify({
        executionName: 'enf-audit-7',
        checks: [SHARED, REVOKED],
        decision: 'approve',
        requestedBy: 'alice',
      }),
    });
    expect(parseApprovalRequest(delivered(built.entry))).toEqual({
      ok: true,
      request: {
        executionName: 'enf-audit-7',
        checks: [SHARED, REVOKED],
        decision: 'approve',
        requestedBy: 'alice',
      },
    });
  });

  it('sends the detail the report prints in its aws events put-events command', () => {
    const built = approvalEntry('enf-audit-7', [REVOKED], 'approve', 'bus');
    if (!built.ok) throw new Error('unexpected');
    const printed = JSON.parse(
      /'(.*)'$/.exec(approvalCommands('enf-audit-7', [REVOKED], 'bus').putEvents)![1]!,
    );
    expect(printed).toEqual([built.entry]);
  });

  it('--reject asks for a rejection, which the function answers with ApprovalRejected', () => {
    const built = approvalEntry('enf-audit-7', [REVOKED], 'reject', 'bus', 'bob');
    if (!built.ok) throw new Error('unexpected');
    const parsed = parseApprovalRequest(delivered(built.entry));
    if (!parsed.ok) throw new Error('unexpected');
    const approval = {
      checks: [REVOKED],
      taskId: 'enf-audit-7-a1',
      auditCheckToReasonCodeFilter: { [REVOKED]: ['R'] },
      auditCheckToActionsMapping: { [REVOKED]: ['A'] },
    };
    expect(answerFor(parsed.request, { status: 'RUNNING', approval })).toEqual({
      ok: true,
      decision: 'reject',
      error: 'ApprovalRejected',
      cause: `${REVOKED} rejected by bob`,
    });
  });

  it('refuses what the function would refuse, naming the options', () => {
    const built = withOptionNames(approvalEntry('enf audit', checkList(`${REVOKED}, ,x`), 'approve', 'bus'), {
      'detail.executionName': '--execution',
      'detail.checks': '--check',
    });
    expect(built).toEqual({
      ok: false,
      errors: [
        '--execution: "enf audit" does not match ^[a-zA-Z0-9_-]{1,80}$',
        '--check[1]: "" does not match ^[A-Z][A-Z0-9_]{0,127}$',
        '--check[2]: "x" does not match ^[A-Z][A-Z0-9_]{0,127}$',
      ],
    });
    expect(checkList(` ${SHARED} ,${REVOKED}`)).toEqual([SHARED, REVOKED]);
  });
});
