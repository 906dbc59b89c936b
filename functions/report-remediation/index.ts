/**
 * report-remediation: the state machine's last task. Reads the run's state, samples the findings the
 * mitigation task failed on (bounded API calls per check) and returns the summary, the subject and the
 * message the state machine publishes to the reports topic: the message is text for a person (every
 * value escaped), the summary goes as the `report` message attribute. All three keep within SNS's and
 * Step Functions' byte limits (functions/domain/remediation-report.ts).
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { IoTClient } from '@aws-sdk/client-iot';
import { awsClient, IOT_PACED_RETRIES } from '#aws/clients';
import { FUNCTION_ENVIRONMENTS, readConfig } from '#aws/config';
import { lambdaHandler } from '#aws/handler';
import { iotAuditFindings } from '#aws/iot-audit-findings';
import { iotMitigationRecords } from '#aws/iot-mitigation-records';
import { logger, metrics } from '#aws/observability';
import type { MitigationRecords } from '#domain/failed-findings';
import { buildRemediationReport, parseReportRequest } from '#domain/remediation-report';
import type { AuditFindingsSource } from '#domain/verification';

const { callBudgetPerCheck } = readConfig(FUNCTION_ENVIRONMENTS['report-remediation']);
export const iot = awsClient(IoTClient, IOT_PACED_RETRIES);

/**
 * The handler around any source of mitigation records and of audit findings (the verification's
 * comparison); tests pass ones that read the emulator.
 */
export function createReportHandler(
  records: MitigationRecords,
  auditFindings: AuditFindingsSource = iotAuditFindings(iot),
) {
  return lambdaHandler(async (event: unknown) => {
    const request = parseReportRequest(event);
    logger.appendKeys({ executionName: request.plan.names.executionName });
    const report = await buildRemediationReport(request, records, { callBudgetPerCheck, auditFindings });
    const { outcome, checks } = report.summary;
    logger.info('Remediation reported', { outcome: outcome.name, checks: checks.length });
    metrics.addDimension('outcome', outcome.name);
    metrics.addMetric('RemediationsReported', MetricUnit.Count, 1);
    const incomplete = checks.filter((c) => c.failedFindings && !c.failedFindings.complete).length;
    if (incomplete > 0) metrics.addMetric('IncompleteFailureSamples', MetricUnit.Count, incomplete);
    if (report.summary.truncatedForSize) {
      logger.warn('Report cut to fit the size limits', { truncatedForSize: report.summary.truncatedForSize });
      metrics.addMetric('ReportsTruncated', MetricUnit.Count, 1);
    }
    const { verification } = report.summary;
    if (verification?.status === 'completed') {
      // Its own metric, with the service dimension only: ChecksNotImprovedAlarm watches it.
      const notImproved = metrics.singleMetric();
      notImproved.addMetric('ChecksNotImproved', MetricUnit.Count, verification.notImproved.length);
      if (verification.notImproved.length > 0)
        logger.warn('Checks not improved by their mitigation', { checks: verification.notImproved });
    } else if (verification) metrics.addMetric('VerificationsSkipped', MetricUnit.Count, 1);
    return report;
  });
}

export const handler = createReportHandler(iotMitigationRecords(iot));
