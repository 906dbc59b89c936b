/**
 * approve-held-back: the target of the "Held-Back Check Approval Requested" rule (operators only, by the
 * bus policy, like re-runs). It answers an execution that waits for an approval of the checks a cap held
 * back (README "Approve what a cap held back"; docs/decisions/approval.md): DescribeExecution (is it
 * running, what did its plan hold back), functions/domain/approval.ts decides the answer, then the task
 * token the execution keeps as the SecureString <APPROVAL_PARAMETER_PATH>/<name> is read and used with
 * SendTaskSuccess (approve) or SendTaskFailure (reject, error ApprovalRejected). The token never leaves
 * this function: it is neither logged nor answered.
 *
 * A request that cannot be answered (unknown execution, not running, nothing or not that check held
 * back, no token stored, token already closed) sends nothing, is logged and counted (EventsRejected,
 * whose alarm notifies the reports topic) and answered, never thrown: the same event would fail again.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  InvalidToken,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import { awsClient, DEFAULT_RETRIES } from '#aws/clients';
import { FUNCTION_ENVIRONMENTS, readConfig } from '#aws/config';
import { countRejection, type InputRejection, lambdaHandler, rejectInput } from '#aws/handler';
import { logger, metrics } from '#aws/observability';
import {
  type ApprovalRefusal,
  type ApprovalRequest,
  answerFor,
  approvalTokenParameter,
  parseApprovalRequest,
  waitingApprovalOf,
} from '#domain/approval';

const config = readConfig(FUNCTION_ENVIRONMENTS['approve-held-back']);
export const sfn = awsClient(SFNClient, DEFAULT_RETRIES);
export const ssm = awsClient(SSMClient, DEFAULT_RETRIES);

export type ApproveResult =
  | InputRejection
  | {
      readonly outcome: 'approved' | 'rejected';
      readonly executionName: string;
      readonly checks: readonly string[];
    }
  | ({ readonly outcome: 'refused'; readonly executionName: string } & ApprovalRefusal);

/** The execution's status and what its plan (its input) held back, or undefined when there is none. */
async function describeWaiting(name: string) {
  const executionArn = `${config.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  try {
    const { status, input } = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    return { status: status ?? 'UNKNOWN', approval: waitingApprovalOf(input) };
  } catch (error) {
    if (error instanceof ExecutionDoesNotExist) return undefined;
    throw error;
  }
}

/** The waiting state's token, or undefined when none is stored (not waiting yet, or the wait ended). */
async function storedToken(name: string): Promise<string | undefined> {
  try {
    const { Parameter } = await ssm.send(
      new GetParameterCommand({
        Name: approvalTokenParameter(config.approvalParameterPath, name),
        WithDecryption: true,
      }),
    );
    return Parameter?.Value || undefined;
  } catch (error) {
    if (error instanceof ParameterNotFound) return undefined;
    throw error;
  }
}

function refused(request: ApprovalRequest, refusal: ApprovalRefusal): ApproveResult {
  countRejection('Refused an approval request: nothing was sent', {
    executionName: request.executionName,
    checks: request.checks,
    decision: request.decision,
    requestedBy: request.requestedBy,
    ...refusal,
  });
  return { outcome: 'refused', executionName: request.executionName, ...refusal };
}

async function approveHeldBackHandler(event: unknown): Promise<ApproveResult> {
  const parsed = parseApprovalRequest(event);
  if (!parsed.ok) return rejectInput(parsed.issues, 'Rejected an invalid approval request: nothing is sent');
  const { request } = parsed;
  const name = request.executionName;
  logger.setCorrelationId(name);
  // Not authenticated: who asked is what the request says; CloudTrail's PutEvents entry is the record.
  logger.info('Approval requested', {
    checks: request.checks,
    decision: request.decision,
    requestedBy: request.requestedBy,
  });

  const execution = await describeWaiting(name);
  if (execution === undefined)
    return refused(request, {
      reason: 'unknown-execution',
      detail: `no execution ${name} of the remediation state machine`,
    });
  const answer = answerFor(request, execution);
  if (!answer.ok) return refused(request, answer.refusal);

  const token = await storedToken(name);
  if (token === undefined)
    return refused(request, {
      reason: 'not-waiting',
      detail: `execution ${name} keeps no approval token: it does not wait for an approval yet, or its wait already ended`,
    });
  try {
    if (answer.decision === 'approve')
      await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(answer.output) }));
    else
      await sfn.send(
        new SendTaskFailureCommand({ taskToken: token, error: answer.error, cause: answer.cause }),
      );
  } catch (error) {
    // The wait ended between the read and the answer (answered, timed out, execution stopped).
    if (error instanceof TaskTimedOut || error instanceof TaskDoesNotExist || error instanceof InvalidToken)
      return refused(request, {
        reason: 'closed',
        detail: `the wait of execution ${name} is over (${error.name}): approved, rejected or timed out already`,
      });
    throw error;
  }
  const outcome = answer.decision === 'approve' ? 'approved' : 'rejected';
  const checks = answer.decision === 'approve' ? answer.output.checks : request.checks;
  logger.info(`Held-back checks ${outcome}`, { checks, requestedBy: request.requestedBy });
  metrics.addMetric(
    outcome === 'approved' ? 'HeldBackChecksApproved' : 'HeldBackChecksRejected',
    MetricUnit.Count,
    checks.length,
  );
  return { outcome, executionName: name, checks };
}

export const handler = lambdaHandler(approveHeldBackHandler);
