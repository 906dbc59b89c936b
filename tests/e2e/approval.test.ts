// Approving what a cap held back, on the local stack (README "Approve what a cap held back"): the demo
// fleet's daily audit under an enforce policy whose one rule's cap holds its check back
// (tests/support/approval.ts). The planner starts an execution that reports how to approve and waits
// on a token kept in Parameter Store; the operator's "Held-Back Check Approval Requested" event goes
// through the bus policy and the template's rule to the approve-held-back function, which answers the
// wait; the approved checks run as <name>-a1. A rejection and a timeout are reported, a non-operator's
// request is refused by the bus and answers nothing. One local stack per file.
import { OPERATOR_ROLE_ARN } from '@device-defender-remediation/local-cloud';
import { describe, expect, it } from 'vitest';
import { APPROVAL_DETAIL_TYPE } from '#domain/approval';
import {
  approvalStackOfThisFile,
  reportsOf as published,
  tokenParameter as tokenOf,
  waitingExecution as waiting,
} from '../support/approval.ts';
import { REVOKED } from '../support/enforce-policy.ts';

const SOMEONE = 'arn:aws:iam::123456789012:user/someone';
const local = approvalStackOfThisFile();

const tokenParameter = (name: string) => tokenOf(local.stack, name);
const waitingExecution = () => waiting(local.stack);
const reportsOf = (executionArn: string) => published(local.stack, executionArn);

const request = (executionName: string, checks: string[], decision: 'approve' | 'reject' = 'approve') => ({
  EventBusName: local.bus,
  Source: 'custom.devicedefender',
  DetailType: APPROVAL_DETAIL_TYPE,
  Detail: { executionName, checks, decision, requestedBy: OPERATOR_ROLE_ARN },
});

/**
 * PutEvents as the operator (or `principalArn`), delivered while virtual time stands still: an answer
 * takes no time, so the wait cannot time out while the function answers it.
 */
const put = (entry: ReturnType<typeof request>, principalArn?: string) =>
  local.stack.clock.work(() => local.stack.putEvents([entry], principalArn ? { principalArn } : undefined));

const approvals = () => local.stack.invocations.filter((i) => i.functionId === 'ApproveHeldBackFunction');

describe('approving what a cap held back, on the local stack', () => {
  it('reports a rejection: the checks stay held back, no task starts', async () => {
    const { name, execution } = await waitingExecution();
    const [rejected] = await put(request(name, [REVOKED], 'reject'));
    expect(rejected?.invocations[0]?.result).toMatchObject({ outcome: 'rejected' });
    expect(await execution.result).toMatchObject({ status: 'SUCCEEDED' });
    const { summaries, texts } = reportsOf(execution.executionArn);
    expect(summaries[1]).toMatchObject({
      outcome: { name: 'HeldBack' },
      approval: { status: 'rejected', cause: `${REVOKED} rejected by ${OPERATOR_ROLE_ARN}` },
    });
    expect(texts[1]).toContain('REJECTED: the checks stay held back');
    expect(() =>
      local.stack.emulator.service.describeAuditMitigationActionsTask({ taskId: `${name}-a1` }),
    ).toThrow();
    expect(local.stack.parameters.get(tokenParameter(name))).toBeUndefined();
  }, 60_000);

  it('reports a wait nobody answered within ApprovalTimeoutSeconds (24 hours)', async () => {
    const { name, execution } = await waitingExecution();
    const waitingSince = local.stack.clock.now();
    expect(await execution.result).toMatchObject({ status: 'SUCCEEDED' });
    expect(local.stack.clock.now() - waitingSince).toBeGreaterThanOrEqual(86_400_000 - 60_000);
    const { summaries, texts } = reportsOf(execution.executionArn);
    expect(summaries[1]).toMatchObject({ approval: { status: 'timed-out', checks: [REVOKED] } });
    expect(texts[1]).toContain('NOT APPROVED IN TIME');
    expect(local.stack.parameters.get(tokenParameter(name))).toBeUndefined();
    const [late] = await put(request(name, [REVOKED]));
    expect(late?.invocations[0]?.result).toMatchObject({ outcome: 'refused', reason: 'not-running' });
  }, 60_000);
  it('reports how to approve and waits; a non-operator is refused by the bus, the operator approves, <name>-a1 runs', async () => {
    const { name, execution, plan } = await waitingExecution();
    expect(plan.approval?.checks).toEqual([REVOKED]);
    expect(execution.status).toBe('RUNNING');
    const waiting = reportsOf(execution.executionArn);
    expect(waiting.summaries).toHaveLength(1);
    expect(waiting.summaries[0]).toMatchObject({
      outcome: { name: 'HeldBack' },
      approval: {
        status: 'waiting',
        checks: [REVOKED],
        taskId: `${name}-a1`,
        timeoutSeconds: 86_400,
      },
    });
    expect(waiting.texts[0]).toContain(
      `npm run approve -- --execution ${name} --check ${REVOKED} --event-bus ${local.bus}`,
    );

    // Someone who is not an operator: the bus policy refuses the entry, no function runs, the wait goes on.
    const answered = approvals().length;
    const [refused] = await put(request(name, [REVOKED]), SOMEONE);
    expect(refused).toMatchObject({ errorCode: 'AccessDeniedException', invocations: [] });
    expect(approvals()).toHaveLength(answered);
    expect(local.stack.parameters.get(tokenParameter(name))).toBeDefined();

    // An operator naming a check that was not held back: the function refuses, nothing is answered.
    const [notHeld] = await put(request(name, ['LOGGING_DISABLED_CHECK']));
    expect(notHeld?.invocations[0]?.result).toMatchObject({
      outcome: 'refused',
      reason: 'check-not-held-back',
    });
    expect(execution.status).toBe('RUNNING');

    const [approved] = await put(request(name, [REVOKED]));
    expect(approved?.invocations[0]).toMatchObject({
      functionId: 'ApproveHeldBackFunction',
      outcome: 'succeeded',
      result: { outcome: 'approved', executionName: name, checks: [REVOKED] },
    });
    const outcome = await execution.result;
    expect(outcome.status).toBe('SUCCEEDED');
    const { summaries, texts } = reportsOf(execution.executionArn);
    expect(summaries).toHaveLength(2);
    expect(summaries[1]).toMatchObject({
      outcome: { name: 'Completed' },
      approval: {
        status: 'approved',
        approvedChecks: [REVOKED],
        requestedBy: OPERATOR_ROLE_ARN,
        taskId: `${name}-a1`,
        task: { status: 'COMPLETED' },
        firstOutcome: { name: 'HeldBack' },
      },
    });
    expect(texts[1]).toContain(`Approved task: ${name}-a1, COMPLETED`);
    const task = local.stack.emulator.service.describeAuditMitigationActionsTask({ taskId: `${name}-a1` });
    expect(Object.keys(task.target?.auditCheckToReasonCodeFilter ?? {})).toEqual([REVOKED]);
    // The token is gone once used, and was never in a report.
    expect(local.stack.parameters.get(tokenParameter(name))).toBeUndefined();

    // Too late: the wait is over, the function refuses and sends nothing.
    const [late] = await put(request(name, [REVOKED]));
    expect(late?.invocations[0]?.result).toMatchObject({ outcome: 'refused', reason: 'not-running' });
  }, 60_000);
});
