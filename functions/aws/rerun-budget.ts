/**
 * The re-run budget, read from Step Functions: before re-run n of an audit starts, DescribeExecution
 * looks up the executions of re-runs n .. n-3 (both modes' names) on the stack's state machine, and
 * functions/domain/rerun-budget.ts decides (at most 3 re-runs of an audit in 24 hours unless forced;
 * numbers one at a time). Only the sweep, which takes re-run requests, uses it.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { DescribeExecutionCommand, ExecutionDoesNotExist } from '@aws-sdk/client-sfn';
import type { RemediationPlan } from '#domain/plan';
import { decideRerun, rerunNamesToLookUp } from '#domain/rerun-budget';
import { logger, metrics } from './observability.ts';
import { type AuditRequest, type RerunRefused, sfn } from './remediate.ts';

/** An execution's ARN: the state machine's, with `:execution:` and the name (the IAM resource type `execution`). */
export function executionArn(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

/** When the execution of that name started (epoch ms), or undefined when there is none. */
async function startedAt(stateMachineArn: string, name: string): Promise<number | undefined> {
  try {
    const { startDate } = await sfn.send(
      new DescribeExecutionCommand({ executionArn: executionArn(stateMachineArn, name) }),
    );
    return startDate?.getTime() ?? Number.NaN;
  } catch (error) {
    if (error instanceof ExecutionDoesNotExist) return undefined;
    throw error;
  }
}

/** The sweep's last word before a re-run starts: a refusal, or undefined to go on. */
export function rerunBudget(stateMachineArn: string, now: () => number = Date.now) {
  return async (plan: RemediationPlan, request: AuditRequest): Promise<RerunRefused | undefined> => {
    const { rerun } = request;
    if (rerun === undefined) return undefined;
    const names = rerunNamesToLookUp(request.auditTaskId, rerun.number);
    const starts = await Promise.all(names.map((name) => startedAt(stateMachineArn, name)));
    const decision = decideRerun({
      auditTaskId: request.auditTaskId,
      rerun: rerun.number,
      executionName: plan.names.executionName,
      force: rerun.force,
      now: now(),
      startedAt: new Map(
        names.flatMap((name, i) => (starts[i] === undefined ? [] : [[name, starts[i]] as [string, number]])),
      ),
    });
    if (!decision.allowed)
      return { outcome: 'rerun-refused', reason: decision.reason, detail: decision.detail };
    if (rerun.force) {
      metrics.addMetric('RerunsForced', MetricUnit.Count, 1);
      logger.warn('A forced re-run: the limit of re-runs a day does not apply', {
        executionName: plan.names.executionName,
        requestedBy: rerun.requestedBy,
        limitLifted: decision.limitLifted,
      });
    }
    return undefined;
  };
}
