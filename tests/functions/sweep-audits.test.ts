import {
  DescribeAuditTaskCommand,
  type DescribeAuditTaskCommandOutput,
  DescribeMitigationActionCommand,
  IoTClient,
  ListAuditTasksCommand,
  ThrottlingException,
} from '@aws-sdk/client-iot';
import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { metrics } from '#aws/observability';
import {
  isSweepScheduleInput,
  parseRerunRequest,
  SCHEDULED_SWEEP_METRIC,
  SWEEP_SCHEDULE_INPUT,
  sweepWindow,
} from '#domain/sweep';
import { resources } from '../template/support.ts';
import {
  coldStart,
  DEPLOYED_ACTION_TYPES,
  lambdaContext,
  STATE_MACHINE_ARN,
  SWITCH_PARAMETER,
} from './support.ts';

const { handler, iot: sweepIotClient } = await coldStart('sweep-audits');
const iot = mockClient(IoTClient);
const sfn = mockClient(SFNClient);
const ssm = mockClient(SSMClient);

const describeAnswer = (overrides: Record<string, unknown> = {}): DescribeAuditTaskCommandOutput =>
  ({
    taskStatus: 'COMPLETED',
    taskType: 'SCHEDULED_AUDIT_TASK',
    scheduledAuditName: 'Daily',
    taskStartTime: new Date(Date.now() - 3_600_000),
    auditDetails: {
      DEVICE_CERTIFICATE_SHARED_CHECK: {
        checkRunStatus: 'COMPLETED_NON_COMPLIANT',
        nonCompliantResourcesCount: 2,
        totalResourcesCount: 500,
      },
    },
    ...overrides,
    $metadata: {},
  }) as DescribeAuditTaskCommandOutput;
const rerunEvent = (detail: unknown, source = 'custom.devicedefender') => ({
  source,
  'detail-type': 'Audit Remediation Requested',
  detail,
});
const started = () => sfn.commandCalls(StartExecutionCommand).map((call) => call.args[0].input.name);
/** What EventBridge Scheduler delivers: the template's SweepSchedule Input, parsed. */
const scheduleInput = () =>
  JSON.parse((resources.SweepSchedule!.Properties!.Target as { Input: string }).Input) as unknown;

let addMetric: { mock: { calls: unknown[][] }; mockRestore(): void };
let publishStoredMetrics: { mock: { calls: unknown[][] }; mockRestore(): void };
const metricCount = (name: string) =>
  addMetric.mock.calls.filter((call) => call[0] === name).reduce((sum, call) => sum + Number(call[2]), 0);

afterEach(() => {
  addMetric.mockRestore();
  publishStoredMetrics.mockRestore();
});

beforeEach(() => {
  addMetric = vi.spyOn(metrics, 'addMetric');
  publishStoredMetrics = vi.spyOn(metrics, 'publishStoredMetrics');
  iot.reset();
  sfn.reset();
  ssm.reset();
  ssm
    .on(GetParameterCommand, { Name: SWITCH_PARAMETER })
    .resolves({ Parameter: { Value: 'enforce', LastModifiedDate: new Date(0) } });
  sfn.on(StartExecutionCommand).callsFake(() => ({ executionArn: 'arn', startDate: new Date() }));
  iot.on(DescribeAuditTaskCommand).resolves(describeAnswer());
  iot.on(DescribeMitigationActionCommand).callsFake(({ actionName }: { actionName: string }) => ({
    actionName,
    actionType: DEPLOYED_ACTION_TYPES[actionName],
  }));
  givenExecutions({});
});

/** The state machine's executions by name, with when they started (DescribeExecution answers them). */
function givenExecutions(startedAt: Readonly<Record<string, Date>>) {
  sfn.on(DescribeExecutionCommand).callsFake(({ executionArn }: { executionArn: string }) => {
    const name = executionArn.split(':').at(-1)!;
    const startDate = startedAt[name];
    if (!startDate)
      throw new ExecutionDoesNotExist({
        message: `Execution Does Not Exist: '${executionArn}'`,
        $metadata: {},
      });
    return { executionArn, name, status: 'SUCCEEDED', startDate, stateMachineArn: STATE_MACHINE_ARN };
  });
}

describe('sweep-audits on the schedule', () => {
  it('pages through the completed audits of the window and starts one execution per audit', async () => {
    iot
      .on(ListAuditTasksCommand)
      .resolvesOnce({ tasks: [{ taskId: 'audit-1' }, { taskId: 'audit-2' }], nextToken: 'page-2' })
      .resolvesOnce({ tasks: [{ taskId: 'audit-3' }, {}] });
    const result = await handler({ source: 'aws.scheduler' }, lambdaContext('sweep-audits'));
    expect(result).toEqual({ kind: 'sweep', audits: 3, outcomes: { started: 3 }, failed: 0 });
    expect(started()).toEqual(['dry-audit-1', 'dry-audit-2', 'dry-audit-3']);
    const list = iot.commandCalls(ListAuditTasksCommand);
    expect(list).toHaveLength(2);
    expect(list[1]!.args[0].input).toMatchObject({ taskStatus: 'COMPLETED', nextToken: 'page-2' });
    const { startTime, endTime } = list[0]!.args[0].input;
    expect(endTime!.getTime() - startTime!.getTime()).toBe(48 * 3_600_000);
  });

  it('audits already handled are no-ops by name', async () => {
    iot.on(ListAuditTasksCommand).resolves({ tasks: [{ taskId: 'audit-1' }] });
    sfn
      .on(StartExecutionCommand)
      .resolves({ executionArn: 'arn', startDate: new Date(Date.now() - 3_600_000) });
    expect(await handler({}, lambdaContext('sweep-audits'))).toMatchObject({ outcomes: { duplicate: 1 } });
  });

  it('retries throttled IoT calls patiently (the SDK retries; a throttle that outlasts them fails the sweep)', async () => {
    expect(await sweepIotClient.config.maxAttempts()).toBe(8);
    iot
      .on(ListAuditTasksCommand)
      .rejects(new ThrottlingException({ message: 'Rate exceeded', $metadata: {} }));
    await expect(handler({}, lambdaContext('sweep-audits'))).rejects.toThrow('Rate exceeded');
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('goes on past an audit it cannot remediate, then fails the invocation so it is retried and alarmed', async () => {
    iot.on(ListAuditTasksCommand).resolves({ tasks: [{ taskId: 'audit-1' }, { taskId: 'audit-2' }] });
    iot.on(DescribeAuditTaskCommand).resolves(describeAnswer());
    iot.on(DescribeAuditTaskCommand, { taskId: 'audit-1' }).rejects(new Error('boom'));
    await expect(handler({}, lambdaContext('sweep-audits'))).rejects.toThrow(
      'could not remediate 1 of 2 audits',
    );
    expect(started()).toEqual(['dry-audit-2']);
  });

  it('skips an audit whose description cannot be planned, naming the fields', async () => {
    iot.on(ListAuditTasksCommand).resolves({ tasks: [{ taskId: 'audit-1' }] });
    iot.on(DescribeAuditTaskCommand).resolves(describeAnswer({ taskStartTime: undefined }));
    expect(await handler({}, lambdaContext('sweep-audits'))).toMatchObject({
      outcomes: { 'audit-invalid': 1 },
    });
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });
});

describe('sweep-audits on an operator re-run', () => {
  it('plans that audit under the re-run name, enforcing even an audit older than the switch', async () => {
    ssm
      .on(GetParameterCommand, { Name: SWITCH_PARAMETER })
      .resolves({ Parameter: { Value: 'enforce', LastModifiedDate: new Date() } });
    // A stack with a policy parameter.
    const { handler } = await coldStart('sweep-audits', { POLICY_PARAMETER_NAME: '/ddr/rerun-policy' });
    ssm.on(GetParameterCommand, { Name: '/ddr/rerun-policy' }).resolves({
      Parameter: {
        Value: JSON.stringify({
          version: 1,
          mode: 'enforce',
          actions: { PublishFinding: { type: 'PUBLISH_FINDING_TO_SNS' } },
          rules: [{ check: 'DEVICE_CERTIFICATE_SHARED_CHECK', actions: ['PublishFinding'] }],
        }),
      },
    });
    givenExecutions({ 'dry-audit-7-r1': new Date(Date.now() - 3_600_000) });
    const result = await handler(
      rerunEvent({ auditTaskId: 'audit-7', rerun: 2, requestedBy: 'arn:aws:iam::123456789012:user/alice' }),
      lambdaContext('sweep-audits'),
    );
    expect(result).toMatchObject({
      kind: 'rerun',
      auditTaskId: 'audit-7',
      result: { outcome: 'started', executionName: 'enf-audit-7-r2' },
    });
    expect(iot).toHaveReceivedCommandWith(DescribeAuditTaskCommand, { taskId: 'audit-7' });
    expect(iot).not.toHaveReceivedCommand(ListAuditTasksCommand);
    const plan = JSON.parse(sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input.input!);
    expect(plan).toMatchObject({ rerun: 2, requestedBy: 'arn:aws:iam::123456789012:user/alice' });
    expect(plan.rerunForced).toBeUndefined();
    // Re-runs 2, 1 (both modes) looked up on the stack's state machine.
    expect(
      sfn
        .commandCalls(DescribeExecutionCommand)
        .map((call) => call.args[0].input.executionArn)
        .sort(),
    ).toEqual(
      ['dry-audit-7-r1', 'dry-audit-7-r2', 'enf-audit-7-r1', 'enf-audit-7-r2'].map(
        (name) => `arn:aws:states:us-east-1:123456789012:execution:remediation:${name}`,
      ),
    );
  });

  it('refuses a fourth re-run within 24 hours, unless forced; a forced one is recorded in the plan', async () => {
    const recently = (hoursAgo: number) => new Date(Date.now() - hoursAgo * 3_600_000);
    givenExecutions({
      'dry-audit-7-r1': recently(5),
      'dry-audit-7-r2': recently(3),
      'enf-audit-7-r3': recently(1),
    });
    const refused = await handler(
      rerunEvent({ auditTaskId: 'audit-7', rerun: 4 }),
      lambdaContext('sweep-audits'),
    );
    expect(refused).toMatchObject({
      kind: 'rerun',
      result: { outcome: 'rerun-refused', reason: 'rerun-limit', detail: expect.stringContaining('--force') },
    });
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
    expect(metricCount('EventsRejected')).toBe(1);

    const forced = await handler(
      rerunEvent({ auditTaskId: 'audit-7', rerun: 4, force: true, requestedBy: 'alice' }),
      lambdaContext('sweep-audits'),
    );
    expect(forced).toMatchObject({ result: { outcome: 'started', executionName: 'dry-audit-7-r4' } });
    const plan = JSON.parse(sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input.input!);
    expect(plan).toMatchObject({ rerun: 4, rerunForced: true, requestedBy: 'alice' });
    expect(metricCount('RerunsForced')).toBe(1);
  });

  it('refuses a re-run whose previous number never ran', async () => {
    const result = await handler(
      rerunEvent({ auditTaskId: 'audit-7', rerun: 10 }),
      lambdaContext('sweep-audits'),
    );
    expect(result).toMatchObject({ result: { outcome: 'rerun-refused', reason: 'rerun-out-of-sequence' } });
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('rejects an invalid request, naming the fields, and starts nothing', async () => {
    const result = await handler(
      rerunEvent({ auditTaskId: 'bad_id', rerun: 0, extra: 1 }, 'someone.else'),
      lambdaContext('sweep-audits'),
    );
    expect(result).toEqual({
      kind: 'rerun-invalid',
      errors: [
        'source: expected "custom.devicedefender", got "someone.else"',
        'detail.auditTaskId: "bad_id" does not match ^[a-zA-Z0-9-]{1,40}$',
        'detail.rerun: expected at least 1, got 0',
        'detail.extra: unknown key; expected one of auditTaskId, rerun, requestedBy, force',
      ],
    });
    expect(iot).not.toHaveReceivedCommand(DescribeAuditTaskCommand);
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });
});

describe('sweep helpers', () => {
  it('keeps the window within what ListAuditTasks accepts', () => {
    const now = new Date('2026-11-27T00:00:00Z');
    expect(sweepWindow(now, 5000).startTime.toISOString()).toBe('2026-08-30T00:00:00.000Z');
    expect(sweepWindow(now, 0).startTime.toISOString()).toBe('2026-11-26T23:00:00.000Z');
    expect(sweepWindow(now, Number.NaN).startTime.toISOString()).toBe('2026-11-25T00:00:00.000Z');
  });

  it("reads only the schedule's own input as the schedule, anything else but a re-run as a plain sweep", () => {
    expect(parseRerunRequest(scheduleInput())).toEqual({ kind: 'schedule' });
    expect(parseRerunRequest({ trigger: 'sweep-schedule' })).toEqual({ kind: 'schedule' });
    expect(parseRerunRequest(null)).toEqual({ kind: 'sweep' });
    expect(parseRerunRequest({ 'detail-type': 'Scheduled Event' })).toEqual({ kind: 'sweep' });
    expect(parseRerunRequest({ trigger: 'something-else' })).toEqual({ kind: 'sweep' });
    expect(parseRerunRequest({ trigger: 'sweep-schedule', extra: 1 })).toEqual({ kind: 'sweep' });
    expect(parseRerunRequest(['sweep-schedule'])).toEqual({ kind: 'sweep' });
  });

  it("SWEEP_SCHEDULE_INPUT is the template's SweepSchedule Input", () => {
    expect(scheduleInput()).toEqual(SWEEP_SCHEDULE_INPUT);
    expect(isSweepScheduleInput(scheduleInput())).toBe(true);
  });
});

describe('the scheduled-sweep metric (ScheduledSweepMissedAlarm watches it)', () => {
  beforeEach(() => {
    iot.on(ListAuditTasksCommand).resolves({ tasks: [{ taskId: 'audit-1' }] });
  });

  it("is emitted once, and published at once, for the schedule's Input", async () => {
    // Flushed before the sweep's first IoT call: a sweep that then times out still counts as run.
    let emittedAndPublishedBeforeListing = false;
    iot.on(ListAuditTasksCommand).callsFake(() => {
      emittedAndPublishedBeforeListing =
        metricCount(SCHEDULED_SWEEP_METRIC) === 1 && publishStoredMetrics.mock.calls.length === 1;
      return { tasks: [{ taskId: 'audit-1' }] };
    });
    const result = await handler(scheduleInput(), lambdaContext('sweep-audits'));
    expect(result).toMatchObject({ kind: 'sweep', audits: 1 });
    expect(SCHEDULED_SWEEP_METRIC).toBe('ScheduledSweepRan');
    expect(metricCount(SCHEDULED_SWEEP_METRIC)).toBe(1);
    expect(emittedAndPublishedBeforeListing).toBe(true);
  });

  it('is emitted even when the scheduled sweep then fails (its failure has its own alarm)', async () => {
    iot.on(ListAuditTasksCommand).rejects(new Error('boom'));
    await expect(handler(scheduleInput(), lambdaContext('sweep-audits'))).rejects.toThrow('boom');
    expect(metricCount(SCHEDULED_SWEEP_METRIC)).toBe(1);
  });

  it('is not emitted for a re-run request', async () => {
    const result = await handler(
      rerunEvent({ auditTaskId: 'audit-7', rerun: 2 }),
      lambdaContext('sweep-audits'),
    );
    expect(result).toMatchObject({ kind: 'rerun', auditTaskId: 'audit-7' });
    expect(metricCount(SCHEDULED_SWEEP_METRIC)).toBe(0);
  });

  it('is not emitted for an invalid re-run request', async () => {
    await handler(rerunEvent({ auditTaskId: 'bad_id', rerun: 0 }), lambdaContext('sweep-audits'));
    expect(metricCount(SCHEDULED_SWEEP_METRIC)).toBe(0);
  });

  it('is not emitted for any other event, which is still swept', async () => {
    for (const event of [{}, { source: 'aws.scheduler' }, { trigger: 'sweep-schedule', extra: 1 }, null]) {
      const result = await handler(event, lambdaContext('sweep-audits'));
      expect(result).toMatchObject({ kind: 'sweep', audits: 1 });
    }
    expect(metricCount(SCHEDULED_SWEEP_METRIC)).toBe(0);
  });
});
