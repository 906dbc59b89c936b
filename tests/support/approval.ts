/**
 * An execution that waits for an operator's approval, on the local stack: the demo fleet's daily audit
 * under an enforce policy whose one rule (REVOKED, capped at 1 finding; the fleet has two) holds back
 * every check it acts on. Shared by tests/e2e/approval.test.ts and tests/cli/approve.test.ts.
 */
import { type LocalStack, plannerResult, startLocalStack } from '@device-defender-remediation/local-cloud';
import { afterAll, beforeAll } from 'vitest';
import type { RemediationPlan } from '#domain/plan';
import { type RemediationReport, summaryFromAttributes } from '#domain/remediation-report';
import type { PlanRemediationResult } from '../../functions/plan-remediation/index.ts';
import { DAILY_AUDIT } from '../../local/demo.ts';
import { enforcePolicy, REVOKED } from './enforce-policy.ts';

function approvalStack(): Promise<LocalStack> {
  const base = enforcePolicy({ maxFindings: 1 });
  const policy = { ...base, rules: base.rules.filter((rule) => rule.check === REVOKED) };
  return startLocalStack({ preset: 'demo', switchValue: 'enforce', policy });
}

/** The test file's one stack (started before its tests, closed after them) and the stack's own bus. */
export function approvalStackOfThisFile(): { readonly stack: LocalStack; readonly bus: string } {
  const local = {} as { stack: LocalStack; bus: string };
  beforeAll(async () => {
    local.stack = await approvalStack();
    local.bus = local.stack.deployed.physicalName(
      local.stack.deployed.resourceIds('AWS::Events::EventBus')[0]!,
    );
  }, 60_000);
  afterAll(() => local.stack?.close());
  return local;
}

/** Where a waiting execution keeps its task token (the template's ApprovalParameterPath). */
export const tokenParameter = (stack: LocalStack, name: string) =>
  `/${stack.deployed.stackName}/approvals/${name}`;

/** The fleet's daily audit through the stack: the execution the planner starts, once it waits. */
export async function waitingExecution(stack: LocalStack) {
  const auditTaskId = stack.emulator.service.runScheduledAudit(DAILY_AUDIT);
  let notification = stack.notifications.find((n) => n.taskId === auditTaskId);
  for (let s = 0; s < 3_600 && notification === undefined; s += 5) {
    await stack.clock.sleep(5_000);
    notification = stack.notifications.find((n) => n.taskId === auditTaskId);
  }
  const planned = plannerResult<PlanRemediationResult>(await stack.publishAuditNotification(notification));
  if (planned.outcome !== 'started') throw new Error(`nothing started: ${JSON.stringify(planned)}`);
  const execution = stack.runner.describeExecution(planned.executionArn)!;
  const name = planned.executionName;
  for (let s = 0; s < 3_600 && stack.parameters.get(tokenParameter(stack, name)) === undefined; s++)
    await stack.clock.sleep(1_000);
  return { name, execution, plan: execution.input as RemediationPlan };
}

/** What the execution published to the reports topic: the texts, and the summaries scripts read. */
export function reportsOf(stack: LocalStack, executionArn: string) {
  const published = stack.runner.snsMessages.filter((m) => m.executionArn === executionArn);
  return {
    texts: published.map((m) => m.message),
    summaries: published.map((m) => summaryFromAttributes(m.messageAttributes) as RemediationReport),
  };
}
