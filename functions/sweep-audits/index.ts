/**
 * sweep-audits: the schedule's target, and an operator's re-run. On the schedule it lists the audits
 * completed in a recent window and hands each to the shared remediation path; audits already handled
 * meet their execution's name and are no-ops. On an "Audit Remediation Requested" event it plans that
 * one audit under a re-run name. Only the schedule's own input counts as a scheduled sweep
 * (ScheduledSweepRan, which ScheduledSweepMissedAlarm watches).
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { DescribeAuditTaskCommand, IoTClient, paginateListAuditTasks } from '@aws-sdk/client-iot';
import { awsClient, IOT_RETRIES } from '#aws/clients';
import { FUNCTION_ENVIRONMENTS, readConfig } from '#aws/config';
import { lambdaHandler, rejectInput } from '#aws/handler';
import { logger, metrics } from '#aws/observability';
import { type RemediationOutcome, remediation } from '#aws/remediate';
import { auditFromDescribeAuditTask } from '#domain/audit';
import { formatIssue } from '#domain/json-schema';
import { parseRerunRequest, SCHEDULED_SWEEP_METRIC, sweepWindow } from '#domain/sweep';

const config = readConfig(FUNCTION_ENVIRONMENTS['sweep-audits']);
const remediate = remediation(config);
export const iot = awsClient(IoTClient, IOT_RETRIES);

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
      readonly result: RemediationOutcome | { outcome: 'audit-invalid'; errors: readonly string[] };
    }
  | { readonly kind: 'rerun-invalid'; readonly errors: readonly string[] };

async function remediateAuditTask(auditTaskId: string, rerun?: number) {
  const response = await iot.send(new DescribeAuditTaskCommand({ taskId: auditTaskId }));
  const parsed = auditFromDescribeAuditTask(auditTaskId, response);
  if (!parsed.ok) {
    const errors = parsed.issues.map(formatIssue);
    logger.error('DescribeAuditTask answered an audit that cannot be planned', { auditTaskId, errors });
    return { outcome: 'audit-invalid' as const, errors };
  }
  for (const warning of parsed.warnings) logger.warn(warning, { auditTaskId });
  return remediate(parsed.audit, rerun === undefined ? {} : { rerun });
}

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
        const result = await remediateAuditTask(task.taskId);
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
  const result = await remediateAuditTask(request.auditTaskId, request.rerun);
  return { kind: 'rerun', auditTaskId: request.auditTaskId, result };
}

export const handler = lambdaHandler(sweepAuditsHandler);
