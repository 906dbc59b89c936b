/**
 * report-remediation: the state machine's last task. Reads the run's state, samples the findings the
 * mitigation task failed on (bounded API calls per check) and returns the summary, the subject and the
 * message the state machine publishes to the reports topic.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { IoTClient } from '@aws-sdk/client-iot';
import middy from '@middy/core';
import {
  DEFAULT_CALL_BUDGET_PER_CHECK,
  iotMitigationRecords,
  type MitigationRecords,
} from '#lib/failed-findings';
import { buildRemediationReport, parseReportRequest } from '#lib/remediation-report';
import { logger, metrics, tracer } from '#shared/observability';

// Adaptive retries pace the List calls (10 TPS per account) instead of failing the report.
export const iot = tracer.captureAWSv3Client(new IoTClient({ retryMode: 'adaptive', maxAttempts: 8 }));

const callBudgetPerCheck = Number(process.env.REPORT_CALL_BUDGET_PER_CHECK ?? DEFAULT_CALL_BUDGET_PER_CHECK);

/** The handler around any source of mitigation records; tests pass one that reads the emulator. */
export function createReportHandler(records: MitigationRecords) {
  return middy(async (event: unknown) => {
    const request = parseReportRequest(event);
    logger.appendKeys({ executionName: request.plan.names.executionName });
    const report = await buildRemediationReport(request, records, { callBudgetPerCheck });
    const { outcome, checks } = report.summary;
    logger.info('Remediation reported', { outcome: outcome.name, checks: checks.length });
    metrics.addDimension('outcome', outcome.name);
    metrics.addMetric('RemediationsReported', MetricUnit.Count, 1);
    const incomplete = checks.filter((c) => c.failedFindings && !c.failedFindings.complete).length;
    if (incomplete > 0) metrics.addMetric('IncompleteFailureSamples', MetricUnit.Count, incomplete);
    return report;
  })
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .use(captureLambdaHandler(tracer));
}

export const handler = createReportHandler(iotMitigationRecords(iot));
