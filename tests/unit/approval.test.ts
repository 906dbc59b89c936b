// Approving what a cap held back: the plan's approval section, the request and the answer
// (functions/domain/approval.ts, functions/domain/plan.ts).
import { describe, expect, it } from 'vitest';
import { APPROVAL_DETAIL_TYPE, answerFor, parseApprovalRequest } from '#domain/approval';
import { AUDIT_EVENT_SOURCE, type Audit } from '#domain/audit';
import { approvedTaskName, NAME_LIMITS, runName } from '#domain/names';
import { type NothingToDo, planRemediation, type RemediationPlan } from '#domain/plan';
import type { Policy } from '#domain/policy';

const policy: Policy = {
  version: 1,
  mode: 'enforce',
  actions: { Publish: { type: 'PUBLISH_FINDING_TO_SNS' }, Quarantine: { type: 'ADD_THINGS_TO_THING_GROUP' } },
  defaults: { maxFindings: 100 },
  rules: [
    { check: 'DEVICE_CERTIFICATE_SHARED_CHECK', actions: ['Publish', 'Quarantine'] },
    {
      check: 'DEVICE_CERTIFICATE_KEY_QUALITY_CHECK',
      actions: ['Quarantine'],
      reasonCodes: ['DEVICE_CERTIFICATE_KEY_QUALITY_CHECK_RSA'],
    },
  ],
} as Policy;
const nonCompliant = (checkName: string, count: number) => ({
  checkName,
  known: true,
  checkRunStatus: 'COMPLETED_NON_COMPLIANT' as const,
  nonCompliantResourcesCount: count,
  totalResourcesCount: 100_000,
});
const audit = (checks: Audit['checks']): Audit => ({
  auditTaskId: 'audit-1',
  taskStatus: 'COMPLETED',
  taskType: 'ON_DEMAND_AUDIT_TASK',
  taskStartTime: Date.parse('2026-11-26T02:00:00Z'),
  checks,
});
const enforce = { value: 'enforce', lastModified: 0, version: 1 };
const event = (detail: unknown, extra: Record<string, unknown> = {}) => ({
  source: AUDIT_EVENT_SOURCE,
  'detail-type': APPROVAL_DETAIL_TYPE,
  detail,
  ...extra,
});

describe('the plan of an audit with checks held back', () => {
  it('under enforce, carries what an approval may start: the held-back checks, their reason codes and actions, and the task name', () => {
    const plan = planRemediation(
      audit([
        nonCompliant('DEVICE_CERTIFICATE_SHARED_CHECK', 5),
        nonCompliant('DEVICE_CERTIFICATE_KEY_QUALITY_CHECK', 500),
      ]),
      policy,
      enforce,
      { actionNamePrefix: 'ddr' },
    ) as RemediationPlan;
    expect(plan.kind).toBe('plan');
    expect(Object.keys(plan.auditCheckToActionsMapping)).toEqual(['DEVICE_CERTIFICATE_SHARED_CHECK']);
    expect(plan.approval).toEqual({
      checks: ['DEVICE_CERTIFICATE_KEY_QUALITY_CHECK'],
      taskId: 'enf-audit-1-a1',
      auditCheckToReasonCodeFilter: {
        DEVICE_CERTIFICATE_KEY_QUALITY_CHECK: ['DEVICE_CERTIFICATE_KEY_QUALITY_CHECK_RSA'],
      },
      auditCheckToActionsMapping: { DEVICE_CERTIFICATE_KEY_QUALITY_CHECK: ['ddr-Quarantine'] },
    });
  });

  it('under enforce, starts an execution even when every check is held back, so that there is something to approve', () => {
    const plan = planRemediation(
      audit([nonCompliant('DEVICE_CERTIFICATE_SHARED_CHECK', 500)]),
      policy,
      enforce,
    ) as RemediationPlan;
    expect(plan.kind).toBe('plan');
    expect(plan.target.auditCheckToReasonCodeFilter).toEqual({});
    expect(plan.auditCheckToActionsMapping).toEqual({});
    expect(plan.summary).toMatchObject({ checksToMitigate: 0, checksHeldBack: 1 });
    expect(plan.approval?.checks).toEqual(['DEVICE_CERTIFICATE_SHARED_CHECK']);
  });

  it('in a dry run, plans nothing to approve: every check held back stays a nothing-to-do with its report', () => {
    const dry = { ...policy, mode: 'dry-run' } as Policy;
    const plan = planRemediation(
      audit([nonCompliant('DEVICE_CERTIFICATE_SHARED_CHECK', 500)]),
      dry,
      enforce,
    ) as NothingToDo;
    expect(plan.kind).toBe('nothing-to-do');
    const some = planRemediation(
      audit([
        nonCompliant('DEVICE_CERTIFICATE_SHARED_CHECK', 5),
        nonCompliant('DEVICE_CERTIFICATE_KEY_QUALITY_CHECK', 500),
      ]),
      dry,
      enforce,
    ) as RemediationPlan;
    expect(some.approval).toBeUndefined();
  });

  it('names the approved task <execution>-a1, within the client token limit for the longest name', () => {
    const longest = runName('enforce', 'a'.repeat(40), 999_999);
    expect(approvedTaskName(longest)).toMatch(NAME_LIMITS.clientRequestToken.pattern);
    expect(approvedTaskName(longest)).toHaveLength(55);
  });
});

describe('the approval request', () => {
  it('reads an approval and a rejection', () => {
    expect(
      parseApprovalRequest(
        event({
          executionName: 'enf-audit-1',
          checks: ['A_CHECK'],
          decision: 'approve',
          requestedBy: 'arn:aws:iam::1:user/o',
        }),
      ),
    ).toEqual({
      ok: true,
      request: {
        executionName: 'enf-audit-1',
        checks: ['A_CHECK'],
        decision: 'approve',
        requestedBy: 'arn:aws:iam::1:user/o',
      },
    });
    expect(
      parseApprovalRequest(event({ executionName: 'enf-audit-1', checks: ['A_CHECK'], decision: 'reject' })),
    ).toMatchObject({
      ok: true,
      request: { decision: 'reject' },
    });
  });

  it.each([
    [
      'an execution name Step Functions would refuse',
      { executionName: 'enf audit', checks: ['A'], decision: 'approve' },
      'detail.executionName',
    ],
    ['no checks', { executionName: 'enf-a', checks: [], decision: 'approve' }, 'detail.checks'],
    [
      'a check name that is not one',
      { executionName: 'enf-a', checks: ['a check'], decision: 'approve' },
      'detail.checks[0]',
    ],
    [
      'a check twice',
      { executionName: 'enf-a', checks: ['A', 'A'], decision: 'approve' },
      'detail.checks[1]',
    ],
    ['another decision', { executionName: 'enf-a', checks: ['A'], decision: 'maybe' }, 'detail.decision'],
    [
      'a field of its own',
      { executionName: 'enf-a', checks: ['A'], decision: 'approve', token: 'x' },
      'detail.token',
    ],
    ['no execution', { checks: ['A'], decision: 'approve' }, 'detail.executionName'],
  ])('refuses %s, naming the field', (_, detail, path) => {
    const parsed = parseApprovalRequest(event(detail));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.issues.map((i) => i.path)).toContain(path);
  });

  it('refuses another source or detail type, naming them', () => {
    const parsed = parseApprovalRequest(
      event(
        { executionName: 'enf-a', checks: ['A'], decision: 'approve' },
        { source: 'forged', 'detail-type': 'Audit Completed' },
      ),
    );
    expect(parsed.ok ? [] : parsed.issues.map((i) => i.path)).toEqual(['source', 'detail-type']);
  });
});

describe('the answer to a waiting execution', () => {
  const approval = {
    checks: ['B_CHECK', 'A_CHECK'],
    taskId: 'enf-audit-1-a1',
    auditCheckToReasonCodeFilter: { A_CHECK: ['A1'], B_CHECK: ['B1'] },
    auditCheckToActionsMapping: { A_CHECK: ['ddr-Publish'], B_CHECK: ['ddr-Quarantine'] },
  };
  const request = (checks: string[], decision: 'approve' | 'reject' = 'approve') => ({
    executionName: 'enf-audit-1',
    checks,
    decision,
    requestedBy: 'arn:aws:iam::1:role/operator',
  });

  it("approves exactly the plan's reason codes and actions of the checks named, in the plan's order", () => {
    expect(answerFor(request(['A_CHECK', 'B_CHECK']), { status: 'RUNNING', approval })).toEqual({
      ok: true,
      decision: 'approve',
      output: {
        checks: ['B_CHECK', 'A_CHECK'],
        auditCheckToReasonCodeFilter: { B_CHECK: ['B1'], A_CHECK: ['A1'] },
        auditCheckToActionsMapping: { B_CHECK: ['ddr-Quarantine'], A_CHECK: ['ddr-Publish'] },
        requestedBy: 'arn:aws:iam::1:role/operator',
      },
    });
  });

  it('rejects with the error the state machine catches, saying who', () => {
    expect(answerFor(request(['A_CHECK'], 'reject'), { status: 'RUNNING', approval })).toEqual({
      ok: true,
      decision: 'reject',
      error: 'ApprovalRejected',
      cause: 'A_CHECK rejected by arn:aws:iam::1:role/operator',
    });
  });

  it.each([
    ['an execution that ended', { status: 'SUCCEEDED', approval }, ['A_CHECK'], 'not-running'],
    [
      'an execution with nothing held back',
      { status: 'RUNNING', approval: undefined },
      ['A_CHECK'],
      'nothing-held-back',
    ],
    [
      'a check that was not held back',
      { status: 'RUNNING', approval },
      ['A_CHECK', 'C_CHECK'],
      'check-not-held-back',
    ],
  ])('refuses %s', (_, execution, checks, reason) => {
    const answer = answerFor(request(checks), execution);
    expect(answer).toMatchObject({ ok: false, refusal: { reason } });
    if (reason === 'check-not-held-back' && !answer.ok)
      expect(answer.refusal.detail).toMatch(/^checks: C_CHECK was not held back/);
  });
});
