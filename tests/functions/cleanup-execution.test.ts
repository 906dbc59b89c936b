import {
  CancelAuditMitigationActionsTaskCommand,
  DescribeAuditMitigationActionsTaskCommand,
  InvalidRequestException,
  IoTClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-iot';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { cleanupNotice, MAX_CAUSE_ATTRIBUTE_BYTES, noticeBytes } from '#domain/execution-cleanup';
import { coldStart, lambdaContext, STATE_MACHINE_ARN } from './support.ts';

const { handler } = await coldStart('cleanup-execution');

const iot = mockClient(IoTClient);
const sns = mockClient(SNSClient);

const statusChange = (name: string, status: string, extra: Record<string, unknown> = {}) => ({
  source: 'aws.states',
  'detail-type': 'Step Functions Execution Status Change',
  detail: {
    executionArn: `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${name}`,
    stateMachineArn: STATE_MACHINE_ARN,
    name,
    status,
    startDate: 1_795_658_400_000,
    stopDate: 1_795_744_800_000,
    input: '{}',
    output: null,
    error: null,
    cause: null,
    ...extra,
  },
});
const published = () => sns.commandCalls(PublishCommand).map((call) => call.args[0].input);
const context = lambdaContext('cleanup-execution');

beforeEach(() => {
  iot.reset();
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'm' });
});

describe('cleanup-execution', () => {
  it('cancels a mitigation task still running after its execution timed out, and says so', async () => {
    iot.on(DescribeAuditMitigationActionsTaskCommand).resolves({ taskStatus: 'IN_PROGRESS' });
    iot.on(CancelAuditMitigationActionsTaskCommand).resolves({});
    const result = await handler(statusChange('enf-audit-1', 'TIMED_OUT'), context);
    expect(result).toEqual({ outcome: 'canceled', notified: true });
    expect(iot).toHaveReceivedCommandWith(CancelAuditMitigationActionsTaskCommand, { taskId: 'enf-audit-1' });
    expect(published()).toEqual([
      expect.objectContaining({
        TopicArn: 'arn:aws:sns:us-east-1:123456789012:reports',
        Subject: 'Remediation TIMED_OUT: enf-audit-1',
        Message: expect.stringContaining('was still running and has been canceled'),
        MessageAttributes: {
          notice: { DataType: 'String', StringValue: expect.any(String) },
          status: { DataType: 'String', StringValue: 'TIMED_OUT' },
          executionName: { DataType: 'String', StringValue: 'enf-audit-1' },
        },
      }),
    ]);
    const notice = JSON.parse(published()[0]!.MessageAttributes!.notice!.StringValue!);
    expect(notice).toEqual({
      execution: {
        executionArn: `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:enf-audit-1`,
        name: 'enf-audit-1',
        status: 'TIMED_OUT',
      },
      cleanup: 'canceled',
    });
    expect(published()[0]?.Message).not.toContain('{');
  });

  it('cancels the approved task <name>-a1 still running when its execution was stopped, and says so', async () => {
    iot
      .on(DescribeAuditMitigationActionsTaskCommand, { taskId: 'enf-audit-2' })
      .resolves({ taskStatus: 'COMPLETED' })
      .on(DescribeAuditMitigationActionsTaskCommand, { taskId: 'enf-audit-2-a1' })
      .resolves({ taskStatus: 'IN_PROGRESS' });
    iot.on(CancelAuditMitigationActionsTaskCommand).resolves({});
    const result = await handler(statusChange('enf-audit-2', 'ABORTED'), context);
    expect(result).toEqual({ outcome: 'canceled', notified: true });
    expect(iot.commandCalls(CancelAuditMitigationActionsTaskCommand).map((c) => c.args[0].input)).toEqual([
      { taskId: 'enf-audit-2-a1' },
    ]);
  });

  it('leaves an execution without an approved task as before: never started', async () => {
    iot
      .on(DescribeAuditMitigationActionsTaskCommand, { taskId: 'enf-audit-3' })
      .resolves({ taskStatus: 'IN_PROGRESS' })
      .on(DescribeAuditMitigationActionsTaskCommand, { taskId: 'enf-audit-3-a1' })
      .rejects(new ResourceNotFoundException({ message: 'no such task', $metadata: {} }));
    iot.on(CancelAuditMitigationActionsTaskCommand).resolves({});
    const result = await handler(statusChange('enf-audit-3', 'ABORTED'), context);
    expect(result).toEqual({ outcome: 'canceled', notified: true });
    expect(iot.commandCalls(CancelAuditMitigationActionsTaskCommand).map((c) => c.args[0].input)).toEqual([
      { taskId: 'enf-audit-3' },
    ]);
  });

  it('leaves a finished task alone and notifies about an unexpected failure', async () => {
    iot.on(DescribeAuditMitigationActionsTaskCommand).resolves({ taskStatus: 'COMPLETED' });
    const result = await handler(statusChange('enf-audit-2', 'ABORTED'), context);
    expect(result).toEqual({ outcome: 'already-ended', notified: true });
    expect(iot).not.toHaveReceivedCommand(CancelAuditMitigationActionsTaskCommand);
    expect(published()[0]?.Message).toContain('had already ended; nothing was canceled');
  });

  it('stays quiet about failures the state machine already reported', async () => {
    iot.on(DescribeAuditMitigationActionsTaskCommand).resolves({ taskStatus: 'FAILED' });
    const result = await handler(
      statusChange('enf-audit-3', 'FAILED', { error: 'TaskFailed', cause: '2 findings failed' }),
      context,
    );
    expect(result).toEqual({ outcome: 'already-ended', notified: false });
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
  });

  it('knows a task that was never started', async () => {
    iot
      .on(DescribeAuditMitigationActionsTaskCommand)
      .rejects(new ResourceNotFoundException({ message: 'no task', $metadata: {} }));
    const result = await handler(
      statusChange('enf-audit-4', 'FAILED', { error: 'States.Runtime', cause: 'boom' }),
      context,
    );
    expect(result).toEqual({ outcome: 'never-started', notified: true });
    expect(published()[0]?.Message).toMatch(
      /No mitigation task had been started\.\nError: States\.Runtime\nCause: boom/,
    );
  });

  it('treats a cancel that loses the race with completion as already ended', async () => {
    iot.on(DescribeAuditMitigationActionsTaskCommand).resolves({ taskStatus: 'IN_PROGRESS' });
    iot
      .on(CancelAuditMitigationActionsTaskCommand)
      .rejects(new InvalidRequestException({ message: 'not in progress', $metadata: {} }));
    expect(await handler(statusChange('enf-audit-5', 'TIMED_OUT'), context)).toEqual({
      outcome: 'already-ended',
      notified: true,
    });
  });

  it('does not look for a task behind a dry run', async () => {
    const result = await handler(statusChange('dry-audit-6', 'ABORTED'), context);
    expect(result).toEqual({ outcome: 'not-applicable', notified: true });
    expect(iot).not.toHaveReceivedCommand(DescribeAuditMitigationActionsTaskCommand);
  });

  it("never cancels a task behind a StartRejected execution: it is not the execution's own", async () => {
    iot.on(DescribeAuditMitigationActionsTaskCommand).resolves({ taskStatus: 'IN_PROGRESS' });
    const result = await handler(
      statusChange('enf-audit-8', 'FAILED', {
        error: 'StartRejected',
        cause: 'a task of this id exists for another audit',
      }),
      context,
    );
    expect(result).toEqual({ outcome: 'not-ours', notified: false });
    expect(iot).not.toHaveReceivedCommand(DescribeAuditMitigationActionsTaskCommand);
    expect(iot).not.toHaveReceivedCommand(CancelAuditMitigationActionsTaskCommand);
    expect(
      cleanupNotice(statusChange('enf-audit-8', 'FAILED').detail as never, 'not-ours').message,
    ).toContain('is not its own and was left alone');
  });

  it('never cancels a task behind a PlanRefused execution: it refused its plan before any start', async () => {
    iot.on(DescribeAuditMitigationActionsTaskCommand).resolves({ taskStatus: 'IN_PROGRESS' });
    const result = await handler(
      statusChange('enf-audit-9', 'FAILED', {
        error: 'PlanRefused',
        cause: 'the plan names an action the stack does not deploy',
      }),
      context,
    );
    expect(result).toEqual({ outcome: 'not-ours', notified: false });
    expect(iot).not.toHaveReceivedCommand(CancelAuditMitigationActionsTaskCommand);
  });

  it('lets IoT errors fail the invocation so it is retried', async () => {
    iot.on(DescribeAuditMitigationActionsTaskCommand).rejects(new Error('InternalFailure'));
    await expect(handler(statusChange('enf-audit-7', 'TIMED_OUT'), context)).rejects.toThrow(
      'InternalFailure',
    );
  });

  it('rejects an event that is not an execution status change', async () => {
    const result = await handler({ detail: { name: 'x y', status: 'SUCCEEDED' } }, context);
    expect(result).toMatchObject({
      outcome: 'event-invalid',
      errors: [
        'detail.executionArn: is required',
        expect.stringMatching(/^detail\.name: /),
        expect.stringMatching(/^detail\.status: /),
      ],
    });
  });

  it('keeps the notice subject printable ASCII under the 100 characters SNS allows', () => {
    const notice = cleanupNotice(
      { executionArn: 'a', name: `enf-${'a'.repeat(80)}-r999999`, status: 'TIMED_OUT' },
      'canceled',
    );
    expect(notice.subject.length).toBeLessThanOrEqual(99);
    expect(notice.subject).toMatch(/^[\x20-\x7e]+\.\.\.$/);
  });

  it('keeps a notice with the longest cause within the bytes SNS allows, and says the cause was cut', () => {
    const cause = '\u0001\u{1F600}'.repeat(16_384); // 32,768 characters, each escaped or 4 bytes
    const notice = cleanupNotice(
      { executionArn: 'a', name: 'enf-audit-9', status: 'FAILED', error: 'States.Runtime', cause },
      'already-ended',
    );
    expect(noticeBytes(notice)).toBeLessThanOrEqual(262_144);
    const recorded = JSON.parse(notice.attributes.notice!.StringValue).execution;
    expect(recorded.causeTruncated).toBe(true);
    expect(Buffer.byteLength(recorded.cause)).toBeLessThanOrEqual(MAX_CAUSE_ATTRIBUTE_BYTES);
    expect(Buffer.byteLength(notice.message.split('\n')[3]!)).toBeLessThanOrEqual(2_000 + 'Cause: '.length);
  });
});
