/**
 * cleanup-execution: the target of the rule on FAILED / TIMED_OUT / ABORTED remediation executions.
 * Cancels the execution's mitigation task if it is still running (task id = execution name), so no
 * task acts on the fleet unobserved, and tells the reports topic.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import {
  CancelAuditMitigationActionsTaskCommand,
  DescribeAuditMitigationActionsTaskCommand,
  InvalidRequestException,
  IoTClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-iot';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import middy from '@middy/core';
import {
  cleanupNotice,
  type EndedExecution,
  needsNotice,
  parseEndedExecution,
  type TaskCleanup,
  taskToLookFor,
} from '#lib/execution-cleanup';
import { formatIssue } from '#lib/json-schema';
import { logger, metrics, tracer } from '#shared/observability';

export const iot = new IoTClient({ maxAttempts: 8 });
export const sns = new SNSClient({});

async function cancelTaskIfRunning(execution: EndedExecution): Promise<TaskCleanup> {
  const look = taskToLookFor(execution);
  if (look !== 'look') return look;
  const taskId = execution.name;
  try {
    const { taskStatus } = await iot.send(new DescribeAuditMitigationActionsTaskCommand({ taskId }));
    if (taskStatus !== 'IN_PROGRESS') return 'already-ended';
    await iot.send(new CancelAuditMitigationActionsTaskCommand({ taskId }));
    return 'canceled';
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return 'never-started';
    // The task ended between the describe and the cancel.
    if (error instanceof InvalidRequestException) return 'already-ended';
    throw error;
  }
}

async function cleanupExecutionHandler(event: unknown) {
  const parsed = parseEndedExecution(event);
  if (!parsed.ok) {
    const errors = parsed.issues.map(formatIssue);
    logger.error('Rejected an invalid execution status event', { errors });
    metrics.addMetric('EventsRejected', MetricUnit.Count, 1);
    return { outcome: 'event-invalid' as const, errors };
  }
  const { execution } = parsed;
  logger.setCorrelationId(execution.name);
  const cleanup = await cancelTaskIfRunning(execution);
  if (cleanup === 'canceled') metrics.addMetric('TasksCanceled', MetricUnit.Count, 1);
  logger.info('Execution cleaned up', { execution, cleanup });

  const notify = needsNotice(execution, cleanup);
  if (notify) {
    const { subject, message } = cleanupNotice(execution, cleanup);
    await sns.send(
      new PublishCommand({ TopicArn: process.env.REPORTS_TOPIC_ARN, Subject: subject, Message: message }),
    );
  }
  return { outcome: cleanup, notified: notify };
}

export const handler = middy(cleanupExecutionHandler)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics, { captureColdStartMetric: true }));
