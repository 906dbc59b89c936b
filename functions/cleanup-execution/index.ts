/**
 * cleanup-execution: the target of the rule on FAILED / TIMED_OUT / ABORTED remediation executions.
 * Cancels the execution's mitigation tasks if they still run (task id = execution name, and
 * `<name>-a1` for the checks an operator approved: functions/domain/names.ts), so no task acts on the
 * fleet unobserved, and tells the reports topic: a text for a person (every value
 * escaped) and, as the message attribute `notice`, the same for machines.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import {
  CancelAuditMitigationActionsTaskCommand,
  DescribeAuditMitigationActionsTaskCommand,
  InvalidRequestException,
  IoTClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-iot';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { awsClient, DEFAULT_RETRIES, IOT_RETRIES } from '#aws/clients';
import { FUNCTION_ENVIRONMENTS, readConfig } from '#aws/config';
import { type InputRejection, lambdaHandler, rejectInput } from '#aws/handler';
import { logger, metrics } from '#aws/observability';
import {
  cleanupNotice,
  type EndedExecution,
  needsNotice,
  parseEndedExecution,
  type TaskCleanup,
  taskToLookFor,
} from '#domain/execution-cleanup';
import { approvedTaskName } from '#domain/names';

const config = readConfig(FUNCTION_ENVIRONMENTS['cleanup-execution']);
export const iot = awsClient(IoTClient, IOT_RETRIES);
export const sns = awsClient(SNSClient, DEFAULT_RETRIES);

export type CleanupExecutionResult =
  | InputRejection
  | { readonly outcome: TaskCleanup; readonly notified: boolean };

async function cancelTasksIfRunning(execution: EndedExecution): Promise<TaskCleanup> {
  const look = taskToLookFor(execution);
  if (look !== 'look') return look;
  const own = await cancelIfRunning(execution.name);
  const approved = await cancelIfRunning(approvedTaskName(execution.name));
  // The notice reports the own task, unless the approved one was the one left running.
  return approved === 'canceled' ? 'canceled' : own;
}

async function cancelIfRunning(taskId: string): Promise<TaskCleanup> {
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

async function cleanupExecutionHandler(event: unknown): Promise<CleanupExecutionResult> {
  const parsed = parseEndedExecution(event);
  if (!parsed.ok) return rejectInput(parsed.issues, 'Rejected an invalid execution status event');
  const { execution } = parsed;
  logger.setCorrelationId(execution.name);
  const cleanup = await cancelTasksIfRunning(execution);
  if (cleanup === 'canceled') metrics.addMetric('TasksCanceled', MetricUnit.Count, 1);
  logger.info('Execution cleaned up', { execution, cleanup });

  const notify = needsNotice(execution, cleanup);
  if (notify) {
    const { subject, message, attributes } = cleanupNotice(execution, cleanup);
    await sns.send(
      new PublishCommand({
        TopicArn: config.reportsTopicArn,
        Subject: subject,
        Message: message,
        MessageAttributes: attributes,
      }),
    );
  }
  return { outcome: cleanup, notified: notify };
}

export const handler = lambdaHandler(cleanupExecutionHandler);
