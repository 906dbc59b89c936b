// approve-held-back: an operator's approval (or rejection) of the checks a cap held back reaches the
// waiting execution through the token only this function reads; every request that cannot be answered
// sends nothing and says why (functions/approve-held-back/index.ts).
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
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { APPROVAL_DETAIL_TYPE } from '#domain/approval';
import { coldStart, lambdaContext, STATE_MACHINE_ARN } from './support.ts';

const { handler } = await coldStart('approve-held-back');
const sfn = mockClient(SFNClient);
const ssm = mockClient(SSMClient);
const context = lambdaContext('approve-held-back');

const NAME = 'enf-audit-1';
const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAd-secret-token';
const OPERATOR = 'arn:aws:sts::123456789012:assumed-role/remediation-operator/alice';
const SHARED = 'DEVICE_CERTIFICATE_SHARED_CHECK';
const REVOKED = 'REVOKED_DEVICE_CERTIFICATE_STILL_ACTIVE_CHECK';
const EXPIRED = 'DEVICE_CERTIFICATE_EXPIRING_CHECK';

const plan = (approval: unknown = heldBack()) => ({
  auditTaskId: 'audit-1',
  names: { executionName: NAME },
  ...(approval === null ? {} : { approval }),
});
const heldBack = () => ({
  checks: [SHARED, REVOKED],
  taskId: `${NAME}-a1`,
  auditCheckToReasonCodeFilter: {
    [SHARED]: ['CERTIFICATE_SHARED_BY_MULTIPLE_DEVICES'],
    [REVOKED]: ['REVOKED_DEVICE_CERTIFICATE_STILL_ACTIVE'],
  },
  auditCheckToActionsMapping: {
    [SHARED]: ['ddr-QuarantineDevice'],
    [REVOKED]: ['ddr-DeactivateDeviceCertificate'],
  },
});

const request = (detail: Record<string, unknown> = {}) => ({
  version: '0',
  id: crypto.randomUUID(),
  source: 'custom.devicedefender',
  'detail-type': APPROVAL_DETAIL_TYPE,
  account: '123456789012',
  region: 'us-east-1',
  time: new Date().toISOString(),
  resources: [],
  detail: { executionName: NAME, checks: [REVOKED], decision: 'approve', requestedBy: OPERATOR, ...detail },
});

function running(input: unknown = plan(), status = 'RUNNING') {
  sfn.on(DescribeExecutionCommand).resolves({ status, input: JSON.stringify(input) } as never);
}
const sent = () => [
  ...sfn.commandCalls(SendTaskSuccessCommand).map((c) => c.args[0].input),
  ...sfn.commandCalls(SendTaskFailureCommand).map((c) => c.args[0].input),
];
const sfnError = <E>(Class: new (o: { message: string; $metadata: object }) => E) =>
  new Class({ message: 'no', $metadata: {} });

beforeEach(() => {
  sfn.reset();
  ssm.reset();
  ssm.on(GetParameterCommand).resolves({ Parameter: { Value: TOKEN } });
  sfn.on(SendTaskSuccessCommand).resolves({});
  sfn.on(SendTaskFailureCommand).resolves({});
});

describe('approve-held-back', () => {
  it("approves: the plan's own reason codes and actions for the named checks go to the waiting state", async () => {
    running();
    const result = await handler(request(), context);
    expect(result).toEqual({ outcome: 'approved', executionName: NAME, checks: [REVOKED] });
    expect(sfn).toHaveReceivedCommandWith(DescribeExecutionCommand, {
      executionArn: `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${NAME}`,
    });
    expect(ssm).toHaveReceivedCommandWith(GetParameterCommand, {
      Name: `/ddr/approvals/${NAME}`,
      WithDecryption: true,
    });
    expect(sent()).toEqual([{ taskToken: TOKEN, output: expect.any(String) }]);
    expect(JSON.parse((sent()[0] as { output: string }).output)).toEqual({
      checks: [REVOKED],
      auditCheckToReasonCodeFilter: { [REVOKED]: ['REVOKED_DEVICE_CERTIFICATE_STILL_ACTIVE'] },
      auditCheckToActionsMapping: { [REVOKED]: ['ddr-DeactivateDeviceCertificate'] },
      requestedBy: OPERATOR,
    });
    // The token is never part of what the function answers.
    expect(JSON.stringify(result)).not.toContain(TOKEN);
  });

  it('approves several checks in the order the plan held them back', async () => {
    running();
    const result = await handler(request({ checks: [REVOKED, SHARED] }), context);
    expect(result).toMatchObject({ outcome: 'approved', checks: [SHARED, REVOKED] });
  });

  it('rejects with SendTaskFailure ApprovalRejected, naming the checks and who rejected', async () => {
    running();
    const result = await handler(request({ decision: 'reject' }), context);
    expect(result).toEqual({ outcome: 'rejected', executionName: NAME, checks: [REVOKED] });
    expect(sfn).not.toHaveReceivedCommand(SendTaskSuccessCommand);
    expect(sent()).toEqual([
      { taskToken: TOKEN, error: 'ApprovalRejected', cause: `${REVOKED} rejected by ${OPERATOR}` },
    ]);
  });

  it('refuses an unknown execution without reading the token', async () => {
    sfn.on(DescribeExecutionCommand).rejects(sfnError(ExecutionDoesNotExist));
    const result = await handler(request(), context);
    expect(result).toMatchObject({ outcome: 'refused', reason: 'unknown-execution', executionName: NAME });
    expect(ssm).not.toHaveReceivedCommand(GetParameterCommand);
    expect(sent()).toEqual([]);
  });

  it.each([
    ['an execution that is not running', () => running(plan(), 'SUCCEEDED'), {}, 'not-running'],
    ['an execution whose plan held nothing back', () => running(plan(null)), {}, 'nothing-held-back'],
    [
      'an execution whose input is not a plan',
      () => sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING', input: 'not json' }),
      {},
      'nothing-held-back',
    ],
    ['a check the plan did not hold back', () => running(), { checks: [EXPIRED] }, 'check-not-held-back'],
  ] as const)('refuses %s, reading no token and sending nothing', async (_label, arrange, detail, reason) => {
    arrange();
    const result = await handler(request(detail), context);
    expect(result).toMatchObject({ outcome: 'refused', reason });
    expect(ssm).not.toHaveReceivedCommand(GetParameterCommand);
    expect(sent()).toEqual([]);
  });

  it('names the check that was not held back, and those that were', async () => {
    running();
    const result = await handler(request({ checks: [REVOKED, EXPIRED] }), context);
    expect(result).toMatchObject({
      reason: 'check-not-held-back',
      detail: `checks: ${EXPIRED} was not held back in execution ${NAME} (held back: ${SHARED}, ${REVOKED})`,
    });
  });

  it('refuses when no token is stored: the execution does not wait yet, or its wait is over', async () => {
    running();
    ssm.on(GetParameterCommand).rejects(new ParameterNotFound({ message: 'no', $metadata: {} }));
    const result = await handler(request(), context);
    expect(result).toMatchObject({ outcome: 'refused', reason: 'not-waiting' });
    expect(sent()).toEqual([]);
  });

  it.each([
    ['TaskTimedOut', TaskTimedOut],
    ['TaskDoesNotExist', TaskDoesNotExist],
    ['InvalidToken', InvalidToken],
  ] as const)('refuses a token Step Functions says is closed (%s)', async (name, ErrorClass) => {
    running();
    sfn.on(SendTaskSuccessCommand).rejects(sfnError(ErrorClass as never));
    const result = await handler(request(), context);
    expect(result).toMatchObject({ outcome: 'refused', reason: 'closed' });
    expect((result as { detail: string }).detail).toContain(name);
    expect(JSON.stringify(result)).not.toContain(TOKEN);
  });

  it('throws what may pass (a throttled call), so that Lambda retries the event', async () => {
    running();
    sfn
      .on(SendTaskSuccessCommand)
      .rejects(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));
    await expect(handler(request(), context)).rejects.toThrow('slow down');
  });

  it.each([
    [{ executionName: 'enf audit' }, 'detail.executionName: "enf audit" does not match'],
    [{ checks: [] }, 'detail.checks: expected at least 1 items, got 0'],
    [{ decision: 'maybe' }, 'detail.decision: "maybe" is not valid; expected one of approve, reject'],
  ])('rejects an invalid request (%j), naming the field, and calls nothing', async (detail, error) => {
    const result = await handler(request(detail), context);
    expect(result).toMatchObject({ outcome: 'event-invalid' });
    expect((result as unknown as { errors: string[] }).errors.join('\n')).toContain(error);
    expect(sfn.calls()).toEqual([]);
    expect(ssm.calls()).toEqual([]);
  });
});
