/**
 * plan-remediation: the target of the "Audit Completed" rule. Parses the audit notification, checks
 * it comes from this account, and hands it to the shared remediation path. Bad input starts nothing.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { FUNCTION_ENVIRONMENTS, readConfig } from '#aws/config';
import { countRejection, type InputRejection, lambdaHandler, rejectInput } from '#aws/handler';
import { logger, metrics } from '#aws/observability';
import { type RemediationOutcome, remediation } from '#aws/remediate';
import { parseAuditEvent } from '#domain/audit';

const config = readConfig(FUNCTION_ENVIRONMENTS['plan-remediation']);
const remediate = remediation(config);

export type PlanRemediationResult =
  | RemediationOutcome
  | InputRejection
  | { readonly outcome: 'foreign-account'; readonly accountId: string };

/** The account of the function itself, from its ARN: arn:aws:lambda:region:ACCOUNT:function:name. */
function ownAccount(context: Context): string | undefined {
  return context.invokedFunctionArn?.split(':')[4];
}

async function planRemediationHandler(event: unknown, context: Context): Promise<PlanRemediationResult> {
  metrics.addMetric('AuditsReceived', MetricUnit.Count, 1);
  const parsed = parseAuditEvent(event);
  if (!parsed.ok) return rejectInput(parsed.issues, 'Rejected an invalid audit event: nothing is started');
  const { audit, warnings } = parsed;
  logger.setCorrelationId(audit.auditTaskId);
  for (const warning of warnings) logger.warn(warning);

  const account = ownAccount(context);
  if (audit.accountId !== account) {
    countRejection('Rejected an audit of another account: nothing is started', {
      accountId: audit.accountId,
      ownAccount: account,
    });
    return { outcome: 'foreign-account', accountId: audit.accountId ?? '' };
  }
  return remediate(audit);
}

export const handler = lambdaHandler(planRemediationHandler);
