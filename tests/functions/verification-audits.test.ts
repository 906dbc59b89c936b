// The stack never remediates the audits it started itself to verify a remediation
// (docs/decisions/verification.md): the planner and the sweep read the markers under
// /<stack>/verification-audits/ for an on-demand audit, and hold back an unmarked one that started while
// a verification was being started (the notification can come before the marker). AWS mocked.
import {
  DescribeAuditTaskCommand,
  type DescribeAuditTaskCommandOutput,
  DescribeMitigationActionCommand,
  IoTClient,
  ListAuditTasksCommand,
} from '@aws-sdk/client-iot';
import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { metrics } from '#aws/observability';
import { SWEEP_SCHEDULE_INPUT } from '#domain/sweep';
import { VERIFICATION_PENDING_MS, verificationMarkerPath } from '#domain/verification';
import {
  auditCompletedEvent,
  coldStart,
  DEPLOYED_ACTION_TYPES,
  describeAnswerOf,
  lambdaContext,
  STATE_MACHINE_ARN,
  SWITCH_PARAMETER,
  sampleNotification,
} from './support.ts';

const planner = (await coldStart('plan-remediation')).handler;
const sweeper = (await coldStart('sweep-audits')).handler;
const sfn = mockClient(SFNClient);
const ssm = mockClient(SSMClient);
const iot = mockClient(IoTClient);

const MARKERS = verificationMarkerPath(SWITCH_PARAMETER);
const AUDIT_ID = '55eb6fd9a9f9467b7c9582f9c0a1d845';
const EXECUTION = 'enf-4e2bcd1ccbc2a5dd15292a82ab80c380';

/** An on-demand audit that started `agoMs` ago, as its notification and DescribeAuditTask give it. */
function onDemandAudit(agoMs: number) {
  const { scheduledAuditName: _, ...sample } = sampleNotification();
  const notification = {
    ...sample,
    taskId: AUDIT_ID,
    taskType: 'ON_DEMAND_AUDIT_TASK',
    taskStartTime: Date.now() - agoMs,
  };
  iot.on(DescribeAuditTaskCommand).resolves(describeAnswerOf(notification) as DescribeAuditTaskCommandOutput);
  return notification;
}

/** The markers Parameter Store holds: the audit's own (its value: the execution), the starting one. */
function givenMarkers(markers: { audit?: string; startingAgoMs?: number }) {
  const notFound = (name: string) => new ParameterNotFound({ message: `${name} not found`, $metadata: {} });
  ssm.on(GetParameterCommand, { Name: `${MARKERS}/${AUDIT_ID}` }).callsFake(({ Name }) => {
    if (markers.audit === undefined) throw notFound(Name);
    return { Parameter: { Name, Value: markers.audit, LastModifiedDate: new Date() } };
  });
  ssm.on(GetParameterCommand, { Name: `${MARKERS}/_starting` }).callsFake(({ Name }) => {
    if (markers.startingAgoMs === undefined) throw notFound(Name);
    return {
      Parameter: { Name, Value: EXECUTION, LastModifiedDate: new Date(Date.now() - markers.startingAgoMs) },
    };
  });
}

let addMetric: { mock: { calls: unknown[][] }; mockRestore(): void };
const metricCount = (name: string) =>
  addMetric.mock.calls.filter((call) => call[0] === name).reduce((sum, call) => sum + Number(call[2]), 0);
const markerReads = () =>
  ssm
    .commandCalls(GetParameterCommand)
    .map((call) => call.args[0].input.Name)
    .filter((name) => name?.startsWith(`${MARKERS}/`));

beforeEach(() => {
  sfn.reset();
  ssm.reset();
  iot.reset();
  addMetric = vi.spyOn(metrics, 'addMetric');
  ssm
    .on(GetParameterCommand, { Name: SWITCH_PARAMETER })
    .resolves({ Parameter: { Value: 'enforce', LastModifiedDate: new Date(0) } });
  iot.on(DescribeMitigationActionCommand).callsFake(({ actionName }: { actionName: string }) => ({
    actionName,
    actionType: DEPLOYED_ACTION_TYPES[actionName],
  }));
  sfn
    .on(StartExecutionCommand)
    .callsFake(({ name }) => ({ executionArn: `${STATE_MACHINE_ARN}:${name}`, startDate: new Date() }));
  sfn.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'no', $metadata: {} }));
});
afterEach(() => addMetric.mockRestore());

describe('the planner and a verification audit', () => {
  it('refuses a marked on-demand audit, typed, naming the execution that started it; nothing starts', async () => {
    givenMarkers({ audit: EXECUTION, startingAgoMs: 120_000 });
    const result = await planner(auditCompletedEvent(onDemandAudit(60_000)), lambdaContext());

    expect(result).toEqual({
      outcome: 'verification-audit',
      auditTaskId: AUDIT_ID,
      startedBy: EXECUTION,
      detail: `verification audit, not remediated: execution ${EXECUTION} started it to verify its mitigation`,
    });
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 0);
    expect(metricCount('VerificationAuditsIgnored')).toBe(1);
  });

  it('holds back an unmarked one that started after a recent starting marker (notification before marker)', async () => {
    givenMarkers({ startingAgoMs: 90_000 });
    const result = await planner(auditCompletedEvent(onDemandAudit(60_000)), lambdaContext());

    expect(result).toMatchObject({ outcome: 'verification-pending', auditTaskId: AUDIT_ID });
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 0);
    expect(metricCount('VerificationAuditsPending')).toBe(1);
  });

  it("plans an unmarked one as an operator's once the starting marker is older than the pending time", async () => {
    givenMarkers({ startingAgoMs: VERIFICATION_PENDING_MS + 60_000 });
    const result = await planner(
      auditCompletedEvent(onDemandAudit(VERIFICATION_PENDING_MS)),
      lambdaContext(),
    );

    expect(result).toMatchObject({ outcome: 'started' });
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
  });

  it("plans an unmarked one that started well before the last starting marker (an operator's)", async () => {
    givenMarkers({ startingAgoMs: 60_000 });
    const result = await planner(auditCompletedEvent(onDemandAudit(10 * 60_000)), lambdaContext());
    expect(result).toMatchObject({ outcome: 'started' });
  });

  it('reads no marker for a scheduled audit', async () => {
    givenMarkers({ audit: EXECUTION, startingAgoMs: 0 });
    iot.on(DescribeAuditTaskCommand).resolves(describeAnswerOf());
    const result = await planner(auditCompletedEvent(), lambdaContext());

    expect(result).toMatchObject({ outcome: 'started' });
    expect(markerReads()).toEqual([]);
  });

  it('starts nothing when the markers cannot be read (the delivery is retried)', async () => {
    onDemandAudit(60_000);
    ssm.on(GetParameterCommand, { Name: `${MARKERS}/${AUDIT_ID}` }).rejects(new Error('AccessDenied'));
    await expect(planner(auditCompletedEvent(onDemandAudit(60_000)), lambdaContext())).rejects.toThrow(
      'AccessDenied',
    );
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 0);
  });
});

describe('the sweep and a verification audit', () => {
  it('a pending audit is decided by a later sweep, once its marker is written: never remediated', async () => {
    iot.on(ListAuditTasksCommand).resolves({
      tasks: [{ taskId: AUDIT_ID, taskStatus: 'COMPLETED', taskType: 'ON_DEMAND_AUDIT_TASK' }],
    });
    onDemandAudit(60_000);
    givenMarkers({ startingAgoMs: 90_000 });
    const first = await sweeper(SWEEP_SCHEDULE_INPUT, lambdaContext());
    expect(first).toEqual({ kind: 'sweep', audits: 1, outcomes: { 'verification-pending': 1 }, failed: 0 });

    // The state machine wrote the audit's marker right after the start.
    givenMarkers({ audit: EXECUTION, startingAgoMs: 90_000 });
    const second = await sweeper(SWEEP_SCHEDULE_INPUT, lambdaContext());
    expect(second).toEqual({ kind: 'sweep', audits: 1, outcomes: { 'verification-audit': 1 }, failed: 0 });
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 0);
  });
});
