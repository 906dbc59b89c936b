// Approving what a cap held back, on the local engine: the execution reports its own task, waits on a
// task token it keeps in Parameter Store, and runs the approved checks as task <name>-a1
// (remediation.asl.json WaitForApproval and after; functions/domain/approval.ts builds the answer).
import { describe, expect, it } from 'vitest';
import { answerFor } from '#domain/approval';
import type { RemediationPlan } from '#domain/plan';
import type { RemediationReport } from '#domain/remediation-report';
import { summaryFromAttributes } from '#domain/remediation-report';
import { localSubstitutions } from '../../statemachine/substitutions.ts';
import {
  mitigationTasks,
  PLAN,
  planAudit,
  planFor,
  REVOKED,
  remediationHarness,
  SHARED,
  SWITCH,
} from './support.ts';

type Harness = Awaited<ReturnType<typeof remediationHarness>>;
const OPERATOR = 'arn:aws:iam::123456789012:role/operator';

/** The fixture plan with SHARED mitigated and REVOKED held back (or both held back). */
function planHolding(auditTaskId: string, everything = false): RemediationPlan {
  const base = planFor(auditTaskId);
  const name = base.names.executionName;
  const filter = PLAN.target.auditCheckToReasonCodeFilter;
  const actions = PLAN.auditCheckToActionsMapping;
  const held = everything ? [SHARED, REVOKED] : [REVOKED];
  const pick = <T>(map: Readonly<Record<string, T>>, keys: string[]) =>
    Object.fromEntries(keys.map((k) => [k, map[k]!]));
  return {
    ...base,
    target: { auditTaskId, auditCheckToReasonCodeFilter: everything ? {} : pick(filter, [SHARED]) },
    auditCheckToActionsMapping: everything ? {} : pick(actions, [SHARED]),
    summary: { ...base.summary, checksToMitigate: everything ? 0 : 1, checksHeldBack: held.length },
    approval: {
      checks: held,
      taskId: `${name}-a1`,
      auditCheckToReasonCodeFilter: pick(filter, held),
      auditCheckToActionsMapping: pick(actions, held),
    },
  };
}

const tokenParameter = (name: string) => `${localSubstitutions.ApprovalParameterPath}/${name}`;

/** Starts the plan, waits (in virtual time) until its token is stored, then lets `answer` reply. */
async function runAnswering(
  h: Harness,
  plan: RemediationPlan,
  answer: (token: string) => void,
): Promise<{
  outcome: Awaited<ReturnType<typeof h.run>>['outcome'];
  reports: RemediationReport[];
  texts: string[];
}> {
  const name = plan.names.executionName;
  const running = h.run(plan);
  let token: string | undefined;
  for (let second = 0; second < 3_600 && token === undefined; second++) {
    await h.clock.sleep(1000);
    token = h.switchParameter.get(tokenParameter(name))?.value;
  }
  expect(token, 'the execution stores its token').toBeDefined();
  // Answered in the same turn as the wake-up, before the clock may move on to the wait's timeout.
  answer(token!);
  const { outcome, execution } = await running;
  const published = h.sfn.snsMessages.filter((m) => m.executionArn === execution.executionArn);
  return {
    outcome,
    reports: published.map((m) => summaryFromAttributes(m.messageAttributes) as RemediationReport),
    texts: published.map((m) => m.message),
  };
}

const approve = (h: Harness, plan: RemediationPlan, checks: string[]) => (token: string) => {
  const answer = answerFor(
    { executionName: plan.names.executionName, checks, decision: 'approve', requestedBy: OPERATOR },
    { status: 'RUNNING', approval: plan.approval },
  );
  if (!answer.ok || answer.decision !== 'approve') throw new Error('no approval');
  h.sfn.taskTokens.sendTaskSuccess(token, JSON.stringify(answer.output));
};

describe('approving the checks a cap held back', () => {
  it('reports the task and how to approve, waits, then runs the approved checks as <name>-a1 and reports it', async () => {
    const h = await remediationHarness();
    h.service.addAudit(planAudit('audit-approve'));
    const plan = planHolding('audit-approve');
    const { outcome, reports, texts } = await runAnswering(h, plan, approve(h, plan, [REVOKED]));

    expect(outcome.status).toBe('SUCCEEDED');
    expect(reports).toHaveLength(2);
    expect(reports[0]).toMatchObject({
      outcome: { name: 'Completed' },
      task: { taskId: 'enf-audit-approve', status: 'COMPLETED' },
      approval: {
        status: 'waiting',
        checks: [REVOKED],
        taskId: 'enf-audit-approve-a1',
        timeoutSeconds: 86_400,
      },
    });
    expect(texts[0]).toContain(
      `npm run approve -- --execution enf-audit-approve --check ${REVOKED} --event-bus ${localSubstitutions.EventBusName}`,
    );
    // The AWS CLI line pastes whole: its entries are JSON, its Detail the approval the function reads.
    const putEvents = texts[0]!
      .split('\n')
      .find((line) => line.startsWith('aws events put-events --entries'));
    const [entry] = JSON.parse(/ --entries '(.*)'$/.exec(putEvents ?? '')![1]!);
    expect(JSON.parse(entry.Detail)).toEqual({
      executionName: 'enf-audit-approve',
      checks: [REVOKED],
      decision: 'approve',
    });
    expect(entry.EventBusName).toBe(localSubstitutions.EventBusName);
    expect(reports[1]).toMatchObject({
      outcome: { name: 'Completed' },
      approval: {
        status: 'approved',
        approvedChecks: [REVOKED],
        requestedBy: OPERATOR,
        task: { status: 'COMPLETED' },
        statistics: { [REVOKED]: { total: 2, succeeded: 2 } },
        firstOutcome: { name: 'Completed' },
      },
    });
    expect(mitigationTasks(h.service, h.clock.now())).toMatchObject({
      'enf-audit-approve': 'COMPLETED',
      'enf-audit-approve-a1': 'COMPLETED',
    });
    const approved = h.service.describeAuditMitigationActionsTask({ taskId: 'enf-audit-approve-a1' });
    expect(Object.keys(approved.target?.auditCheckToReasonCodeFilter ?? {})).toEqual([REVOKED]);
    // The token is deleted once used, and no report ever shows it.
    expect(h.switchParameter.get(tokenParameter('enf-audit-approve'))).toBeUndefined();
    expect(JSON.stringify([reports, texts])).not.toMatch(/local1\./);
  });

  it('reports a rejection; nothing more is started and the execution keeps its outcome', async () => {
    const h = await remediationHarness();
    h.service.addAudit(planAudit('audit-reject'));
    const plan = planHolding('audit-reject');
    const { outcome, reports } = await runAnswering(h, plan, (token) =>
      h.sfn.taskTokens.sendTaskFailure(token, 'ApprovalRejected', `${REVOKED} rejected by ${OPERATOR}`),
    );
    expect(outcome.status).toBe('SUCCEEDED');
    expect(reports[1]).toMatchObject({
      outcome: { name: 'Completed' },
      approval: { status: 'rejected', cause: `${REVOKED} rejected by ${OPERATOR}` },
    });
    expect(Object.keys(mitigationTasks(h.service, h.clock.now()))).toEqual(['enf-audit-reject']);
  });

  it('reports a wait that timed out after ApprovalTimeoutSeconds', async () => {
    const h = await remediationHarness({ substitutions: { ApprovalTimeoutSeconds: '600' } });
    h.service.addAudit(planAudit('audit-late'));
    const plan = planHolding('audit-late');
    const { outcome, reports } = await runAnswering(h, plan, () => {});
    expect(outcome.status).toBe('SUCCEEDED');
    expect(reports[1]).toMatchObject({ approval: { status: 'timed-out', checks: [REVOKED] } });
    expect(Object.keys(mitigationTasks(h.service, h.clock.now()))).toEqual(['enf-audit-late']);
    expect(h.switchParameter.get(tokenParameter('enf-audit-late'))).toBeUndefined();
  });

  it('starts nothing when the switch was paused while the execution waited: Paused', async () => {
    const h = await remediationHarness();
    h.service.addAudit(planAudit('audit-paused'));
    const plan = planHolding('audit-paused');
    const { outcome, reports } = await runAnswering(h, plan, (token) => {
      h.switchParameter.set(SWITCH, 'paused');
      approve(h, plan, [REVOKED])(token);
    });
    expect(outcome).toMatchObject({ status: 'FAILED', error: 'Paused' });
    expect(reports[1]).toMatchObject({ outcome: { name: 'Paused' }, approval: { status: 'approved' } });
    expect(Object.keys(mitigationTasks(h.service, h.clock.now()))).toEqual(['enf-audit-paused']);
  });

  it('waits without a task of its own when every check was held back, and runs what is approved', async () => {
    const h = await remediationHarness();
    h.service.addAudit(planAudit('audit-all'));
    const plan = planHolding('audit-all', true);
    const { outcome, reports } = await runAnswering(h, plan, approve(h, plan, [SHARED]));
    expect(reports[0]).toMatchObject({
      outcome: { name: 'HeldBack' },
      approval: { status: 'waiting', checks: [SHARED, REVOKED] },
    });
    expect(reports[0]?.task).toBeUndefined();
    expect(outcome.status).toBe('SUCCEEDED');
    expect(reports[1]).toMatchObject({
      outcome: { name: 'Completed' },
      approval: { approvedChecks: [SHARED], firstOutcome: { name: 'HeldBack' } },
    });
    expect(mitigationTasks(h.service, h.clock.now())).toEqual({ 'enf-audit-all-a1': 'COMPLETED' });
  });

  it('refuses an answer that widens the plan (a check, reason code or action not held back): nothing starts', async () => {
    const h = await remediationHarness();
    h.service.addAudit(planAudit('audit-forged'));
    const plan = planHolding('audit-forged');
    const forged = {
      checks: [SHARED],
      auditCheckToReasonCodeFilter: PLAN.target.auditCheckToReasonCodeFilter,
      auditCheckToActionsMapping: PLAN.auditCheckToActionsMapping,
      requestedBy: 'someone',
    };
    const { outcome, reports } = await runAnswering(h, plan, (token) =>
      h.sfn.taskTokens.sendTaskSuccess(token, JSON.stringify(forged)),
    );
    expect(outcome).toMatchObject({ status: 'FAILED', error: 'PlanRefused' });
    expect(reports[1]?.outcome.name).toBe('PlanRefused');
    expect(Object.keys(mitigationTasks(h.service, h.clock.now()))).toEqual(['enf-audit-forged']);
  });
});
