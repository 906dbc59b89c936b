/**
 * The planner's report of an audit whose every check to mitigate the loop guard left out
 * (functions/domain/loop-guard.ts): no execution starts for it, so the state machine's report would
 * never say what was suppressed. Kept apart from functions/aws/loop-guard.ts so that the sweep, which
 * shares the remediation path but never publishes, does not bundle the SNS client for it.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Audit } from '#domain/audit';
import { loopGuardOnlyReport } from '#domain/loop-guard';
import type { NothingToDo } from '#domain/plan';
import { publishAuditReport } from './held-back-report.ts';
import { metrics } from './observability.ts';

/**
 * Publishes the report of an audit whose every check to mitigate was taken out by the loop guard: no
 * execution starts, so the state machine would never say what was suppressed. The planner only.
 */
export function publishLoopGuardReport(reportsTopicArn: string) {
  return async (plan: NothingToDo, audit: Audit): Promise<void> => {
    await publishAuditReport(
      reportsTopicArn,
      'LoopGuarded',
      audit.auditTaskId,
      loopGuardOnlyReport(plan, audit),
    );
    metrics.addMetric('LoopGuardReports', MetricUnit.Count, 1);
  };
}
