/**
 * sweep-audits: the schedule's target, and an operator's re-run. On the schedule it lists the audits
 * completed in a recent window and hands each to the shared remediation path; audits already handled
 * meet their execution's name and are no-ops. On an "Audit Remediation Requested" event it plans that
 * one audit under a re-run name, within the re-run budget (at most 3 a day unless forced:
 * functions/domain/rerun-budget.ts). Either way the plan is made from DescribeAuditTask's answer
 * (functions/aws/remediate.ts), never from the event. Only the schedule's own input counts as a
 * scheduled sweep (ScheduledSweepRan, which ScheduledSweepMissedAlarm watches).
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { paginateListAuditTasks } from '@aws-sdk/client-iot';
import { FUNCTION_ENVIRONMENTS, readConfig } from '#aws/config';
import { lambdaHandler, rejectInput } from '#aws/handler';
import { logger, metrics } from '#aws/observability';
import { iot, type RemediationOutcome, remediation, tooLarge } from '#aws/remediate';
import { rerunBudget } from '#aws/rerun-budget';
import { jsonBytes, MAX_EVENT_BYTES, TooLargeError } from '#domain/sizes';
import { parseRerunRequest, SCHEDULED_SWEEP_METRIC, sweepWindow } from '#domain/sweep';

const config = readConfig(FUNCTION_ENVIRONMENTS['sweep-audits']);
const remediate = remediation(config, { beforeStart: rerunBudget(config.stateMachineArn) });

/** The IoT client of the remediation path, which the sweep also lists audits with. */
export { iot };

export type SweepResult =
  | {
      readonly kind: 'sweep';
      readonly audits: number;
      readonly outcomes: Readonly<Record<string, number>>;
      readonly failed: number;
    }
  | {
      readonly kind: 'rerun';
      readonly auditTaskId: string;
      readonly result: RemediationOutcome;
    }
  | { readonly kind: 'rerun-invalid'; readonly errors: readonly string[] };

async function sweep(now: Date): Promise<SweepResult> {
  const { startTime, endTime } = sweepWindow(now, config.sweepWindowHours);
  const outcomes: Record<string, number> = {};
  let audits = 0;
  let failed = 0;
  for await (const page of paginateListAuditTasks(
    { client: iot },
    { startTime, endTime, taskStatus: 'COMPLETED' },
  )) {
    for (const task of page.tasks ?? []) {
      if (!task.taskId) continue;
      audits += 1;
      // One audit's failure must not stop the sweep of the others; the next sweep tries it again.
      try {
        const result = await remediate({ auditTaskId: task.taskId });
        outcomes[result.outcome] = (outcomes[result.outcome] ?? 0) + 1;
      } catch (error) {
        failed += 1;
        logger.error('Sweep could not remediate an audit', {
          auditTaskId: task.taskId,
          error: error as Error,
        });
      }
    }
  }
  metrics.addMetric('SweepAudits', MetricUnit.Count, audits);
  if (failed > 0) metrics.addMetric('SweepFailures', MetricUnit.Count, failed);
  logger.info('Sweep done', { audits, outcomes, failed, startTime, endTime });
  if (failed > 0) throw new Error(`the sweep could not remediate ${failed} of ${audits} audits; see the log`);
  return { kind: 'sweep', audits, outcomes, failed };
}

async function sweepAuditsHandler(event: unknown): Promise<SweepResult> {
  const bytes = jsonBytes(event);
  if (bytes > MAX_EVENT_BYTES) {
    const { error } = tooLarge(new TooLargeError('event', bytes, MAX_EVENT_BYTES));
    return { kind: 'rerun-invalid', errors: [`(document): ${error}`] };
  }
  const request = parseRerunRequest(event);
  if (request.kind === 'schedule') {
    // Published at once: a sweep that then fails or times out still ran (SweepErrorsAlarm covers that).
    metrics.addMetric(SCHEDULED_SWEEP_METRIC, MetricUnit.Count, 1);
    metrics.publishStoredMetrics();
    return sweep(new Date());
  }
  if (request.kind === 'sweep') {
    logger.warn('Invoked with neither the schedule input nor a re-run request: sweeping anyway', {
      eventKeys: typeof event === 'object' && event !== null ? Object.keys(event).slice(0, 20) : typeof event,
    });
    return sweep(new Date());
  }
  if (request.kind === 'invalid') {
    const { errors } = rejectInput(request.issues, 'Rejected an invalid re-run request: nothing is started');
    return { kind: 'rerun-invalid', errors };
  }
  logger.setCorrelationId(request.auditTaskId);
  const { auditTaskId, rerun, force, requestedBy } = request;
  // Not authenticated: who asked is what the request says; CloudTrail's PutEvents entry is the record.
  logger.info('Re-run requested', { auditTaskId, rerun, force, requestedBy });
  const result = await remediate({ auditTaskId, rerun: { number: rerun, force, requestedBy } });
  return { kind: 'rerun', auditTaskId, result };
}

export const handler = lambdaHandler(sweepAuditsHandler);
