/**
 * plan-remediation: the target of the "Audit Completed" rule. Parses the audit notification, checks
 * it comes from this account, and hands it to the shared remediation path. Bad input starts nothing.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { parseAuditEvent } from '#lib/audit';
import { formatIssue } from '#lib/json-schema';
import { logger, metrics, tracer } from '#shared/observability';
import { type RemediationOutcome, remediate } from '#shared/remediate';

export type PlanRemediationResult =
  | RemediationOutcome
  | { readonly outcome: 'event-invalid'; readonly errors: readonly string[] }
  | { readonly outcome: 'foreign-account'; readonly accountId: string };

/** The account of the function itself, from its ARN: arn:aws:lambda:region:ACCOUNT:function:name. */
function ownAccount(context: Context): string | undefined {
  return context.invokedFunctionArn?.split(':')[4];
}

async function planRemediationHandler(event: unknown, context: Context): Promise<PlanRemediationResult> {
  metrics.addMetric('AuditsReceived', MetricUnit.Count, 1);
  const parsed = parseAuditEvent(event);
  if (!parsed.ok) {
    const errors = parsed.issues.map(formatIssue);
    // Not retried: the same event would fail the same way. The bus archive keeps it for replay.
    logger.error('Rejected an invalid audit event: nothing is started', { errors });
    metrics.addMetric('EventsRejected', MetricUnit.Count, 1);
    return { outcome: 'event-invalid', errors };
  }
  const { audit, warnings } = parsed;
  logger.setCorrelationId(audit.auditTaskId);
  for (const warning of warnings) logger.warn(warning);

  const account = ownAccount(context);
  if (audit.accountId !== account) {
    logger.error('Rejected an audit of another account: nothing is started', {
      accountId: audit.accountId,
      ownAccount: account,
    });
    metrics.addMetric('EventsRejected', MetricUnit.Count, 1);
    return { outcome: 'foreign-account', accountId: audit.accountId ?? '' };
  }
  return remediate(audit);
}

export const handler = middy(planRemediationHandler)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics, { captureColdStartMetric: true }));
