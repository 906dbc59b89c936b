/**
 * plan-remediation: the target of the "Audit Completed" rule. The event only names the audit: the
 * planner bounds its size, checks its shape, takes the audit id and checks the account and region it
 * claims are the function's own, then hands the id to the shared remediation path, which reads the
 * audit itself with DescribeAuditTask and plans from AWS's answer (functions/aws/remediate.ts). An
 * audit whose every check is held back by its cap is reported to the reports topic. Bad input starts
 * nothing.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { FUNCTION_ENVIRONMENTS, readConfig } from '#aws/config';
import { countRejection, type InputRejection, lambdaHandler, rejectInput } from '#aws/handler';
import { publishHeldBackReport } from '#aws/held-back-report';
import { loopGuard } from '#aws/loop-guard';
import { publishLoopGuardReport } from '#aws/loop-guard-report';
import { logger, metrics } from '#aws/observability';
import { iot, type RemediationOutcome, remediation, type TooLarge, tooLarge } from '#aws/remediate';
import { parseAuditEvent } from '#domain/audit';
import { jsonBytes, MAX_EVENT_BYTES, TooLargeError } from '#domain/sizes';

const config = readConfig(FUNCTION_ENVIRONMENTS['plan-remediation']);
const remediate = remediation(config, {
  everyCheckHeldBack: publishHeldBackReport(config.reportsTopicArn),
  // The loop guard runs in the planner only (its role holds the grants); the sweep plans without it.
  loopGuard: loopGuard(iot),
  everyCheckLoopGuarded: publishLoopGuardReport(config.reportsTopicArn),
});

export type PlanRemediationResult =
  | RemediationOutcome
  | InputRejection
  | TooLarge
  | { readonly outcome: 'foreign-account'; readonly accountId: string }
  | { readonly outcome: 'foreign-region'; readonly region: string };

/** The function's own account and region, from its ARN: arn:aws:lambda:REGION:ACCOUNT:function:name. */
function own(context: Context): { account: string | undefined; region: string | undefined } {
  const parts = context.invokedFunctionArn?.split(':') ?? [];
  return { region: parts[3], account: parts[4] };
}

async function planRemediationHandler(event: unknown, context: Context): Promise<PlanRemediationResult> {
  metrics.addMetric('AuditsReceived', MetricUnit.Count, 1);
  const bytes = jsonBytes(event);
  if (bytes > MAX_EVENT_BYTES) return tooLarge(new TooLargeError('event', bytes, MAX_EVENT_BYTES));
  const parsed = parseAuditEvent(event);
  if (!parsed.ok) return rejectInput(parsed.issues, 'Rejected an invalid audit event: nothing is started');
  const claimed = parsed.audit;
  logger.setCorrelationId(claimed.auditTaskId);

  const { account, region } = own(context);
  if (claimed.accountId !== account) {
    countRejection('Rejected an audit of another account: nothing is started', {
      accountId: claimed.accountId,
      ownAccount: account,
    });
    return { outcome: 'foreign-account', accountId: claimed.accountId ?? '' };
  }
  // The envelope's region is EventBridge's (the bus that received the event); a test harness may omit it.
  const eventRegion = (event as { region?: unknown }).region;
  if (typeof eventRegion === 'string' && eventRegion !== region) {
    countRejection('Rejected an event of another region: nothing is started', {
      region: eventRegion,
      ownRegion: region,
    });
    return { outcome: 'foreign-region', region: eventRegion };
  }
  // Only the id is taken from the event; status, start time and counts come from DescribeAuditTask.
  return remediate({ auditTaskId: claimed.auditTaskId, accountId: account, claimed });
}

export const handler = lambdaHandler(planRemediationHandler);
