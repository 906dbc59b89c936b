/**
 * Publishes the report of an audit whose every check to mitigate was held back by its cap
 * (functions/domain/held-back-report.ts) to the reports topic: no execution starts for such an audit,
 * so the state machine's report would never say so. Only the planner publishes it, once per "Audit
 * Completed" delivery (a redelivered event may publish it again); the sweep only logs, or every sweep
 * of its window would repeat it.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { PublishCommand, PublishCommandInput, PublishCommandOutput } from '@aws-sdk/client-sns';
import type { Audit } from '#domain/audit';
import { heldBackReport } from '#domain/held-back-report';
import type { NothingToDo } from '#domain/plan';
import { logger, metrics } from './observability.ts';

/**
 * The SNS client serves only these rare reports, so the planner loads it (functions/aws/reports-client.ts)
 * through import() on its first publish, not at init: its code (client, protocol, XML) stays out of
 * every cold start (docs/decisions/cold-start.md). Created once, then reused by a warm container.
 */
let client:
  | Promise<{
      sns: { send(command: PublishCommand): Promise<PublishCommandOutput> };
      PublishCommand: typeof PublishCommand;
    }>
  | undefined;
const snsModule = () => {
  client ??= import('./reports-client.ts');
  return client;
};

/** Publishes to SNS with the lazily loaded client (the planner's reports that start no execution). */
async function publishReport(input: PublishCommandInput): Promise<PublishCommandOutput> {
  // The class itself arrives with the client; the name is the SDK's (the IAM tests find the call by it).
  const { sns, PublishCommand } = await snsModule();
  return sns.send(new PublishCommand(input));
}

/** A planner's report of an audit for which no execution starts, with its outcome attribute. */
export function publishAuditReport(
  reportsTopicArn: string,
  outcome: 'HeldBack' | 'LoopGuarded',
  auditTaskId: string,
  { subject, message, report }: { subject: string; message: string; report: string },
): Promise<PublishCommandOutput> {
  return publishReport({
    TopicArn: reportsTopicArn,
    Subject: subject,
    Message: message,
    MessageAttributes: {
      outcome: { DataType: 'String', StringValue: outcome },
      auditTaskId: { DataType: 'String', StringValue: auditTaskId },
      report: { DataType: 'String', StringValue: report },
    },
  });
}

export function publishHeldBackReport(reportsTopicArn: string) {
  return async (plan: NothingToDo, audit: Audit): Promise<void> => {
    const { summary, ...content } = heldBackReport(plan, audit);
    await publishAuditReport(reportsTopicArn, 'HeldBack', audit.auditTaskId, content);
    metrics.addMetric('HeldBackReports', MetricUnit.Count, 1);
    logger.info('Reported an audit whose every check was held back by its cap', {
      heldBack: summary.heldBack.map((check) => `${check.checkName}: ${check.cap.name} ${check.cap.value}`),
    });
  };
}
