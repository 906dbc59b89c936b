// The remediation path's reads that depend on no other answer run at once (issue #18 item 2): the
// verification markers, the policy and the switch together once DescribeAuditTask has answered, the
// mitigation actions a few at a time. Each awaited in the path's order, so outcomes and errors are the
// ones the sequential path gave. AWS mocked.
import {
  DescribeAuditTaskCommand,
  type DescribeAuditTaskCommandOutput,
  DescribeMitigationActionCommand,
  IoTClient,
} from '@aws-sdk/client-iot';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { MAX_ACTIONS_DESCRIBED_AT_ONCE, mapConcurrently } from '#aws/remediate';
import { verificationMarkerPath } from '#domain/verification';
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

const { handler } = await coldStart('plan-remediation');
const sfn = mockClient(SFNClient);
const ssm = mockClient(SSMClient);
const iot = mockClient(IoTClient);

const MARKERS = verificationMarkerPath(SWITCH_PARAMETER);
const AUDIT_ID = '55eb6fd9a9f9467b7c9582f9c0a1d845';
const EXECUTION = 'enf-4e2bcd1ccbc2a5dd15292a82ab80c380';

/** A promise settled from outside, to hold a mocked call in flight. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise, resolve, reject };
}
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

/** An on-demand audit that started a minute ago (so the markers are read). */
function onDemandNotification() {
  const { scheduledAuditName: _, ...sample } = sampleNotification();
  return {
    ...sample,
    taskId: AUDIT_ID,
    taskType: 'ON_DEMAND_AUDIT_TASK',
    taskStartTime: Date.now() - 60_000,
  };
}
const notFound = (name: string | undefined) =>
  new ParameterNotFound({ message: `${name} not found`, $metadata: {} });

beforeEach(() => {
  sfn.reset();
  ssm.reset();
  iot.reset();
  iot.on(DescribeMitigationActionCommand).callsFake(({ actionName }: { actionName: string }) => ({
    actionName,
    actionType: DEPLOYED_ACTION_TYPES[actionName],
  }));
  sfn
    .on(StartExecutionCommand)
    .callsFake(({ name }) => ({ executionArn: `${STATE_MACHINE_ARN}:${name}`, startDate: new Date() }));
});

describe('the remediation path reads at once what depends on no other answer', () => {
  it('reads the markers, the policy and the switch together, only once DescribeAuditTask has answered', async () => {
    const notification = onDemandNotification();
    const described = deferred<DescribeAuditTaskCommandOutput>();
    iot.on(DescribeAuditTaskCommand).callsFake(() => described.promise);
    const reads = new Map<string, ReturnType<typeof deferred<unknown>>>();
    ssm.on(GetParameterCommand).callsFake(({ Name }: { Name: string }) => {
      const read = deferred<unknown>();
      reads.set(Name, read);
      return read.promise;
    });

    const result = handler(auditCompletedEvent(notification), lambdaContext());
    await tick();
    expect(ssm).not.toHaveReceivedCommand(GetParameterCommand);

    described.resolve(describeAnswerOf(notification));
    await tick();
    // All three in flight before any has answered.
    expect([...reads.keys()].sort()).toEqual(
      [`${MARKERS}/${AUDIT_ID}`, `${MARKERS}/_starting`, SWITCH_PARAMETER].sort(),
    );
    reads.get(`${MARKERS}/${AUDIT_ID}`)!.reject(notFound(`${MARKERS}/${AUDIT_ID}`));
    reads.get(`${MARKERS}/_starting`)!.reject(notFound(`${MARKERS}/_starting`));
    reads
      .get(SWITCH_PARAMETER)!
      .resolve({ Parameter: { Value: 'enforce', LastModifiedDate: new Date(0), Version: 1 } });
    expect(await result).toMatchObject({ outcome: 'started' });
  });

  it('a verification audit still plans nothing when the switch read it no longer needs fails', async () => {
    const notification = onDemandNotification();
    iot.on(DescribeAuditTaskCommand).resolves(describeAnswerOf(notification));
    ssm
      .on(GetParameterCommand, { Name: `${MARKERS}/${AUDIT_ID}` })
      .resolves({ Parameter: { Value: EXECUTION, LastModifiedDate: new Date() } });
    ssm.on(GetParameterCommand, { Name: `${MARKERS}/_starting` }).callsFake(({ Name }) => {
      throw notFound(Name);
    });
    ssm.on(GetParameterCommand, { Name: SWITCH_PARAMETER }).rejects(new Error('ThrottlingException'));

    // An unhandled rejection of the switch read would fail this test file (vitest reports it).
    expect(await handler(auditCompletedEvent(notification), lambdaContext())).toMatchObject({
      outcome: 'verification-audit',
      startedBy: EXECUTION,
    });
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it("fails with the markers' error, as the sequential path did, when the switch read fails too", async () => {
    const notification = onDemandNotification();
    iot.on(DescribeAuditTaskCommand).resolves(describeAnswerOf(notification));
    // The switch fails first in time; the path still surfaces the markers' error, which it needs first.
    ssm.on(GetParameterCommand, { Name: SWITCH_PARAMETER }).rejects(new Error('switch read failed'));
    ssm.on(GetParameterCommand, { Name: `${MARKERS}/_starting` }).callsFake(async () => {
      await tick();
      throw new Error('marker read failed');
    });
    ssm.on(GetParameterCommand, { Name: `${MARKERS}/${AUDIT_ID}` }).callsFake(async ({ Name }) => {
      await tick();
      throw notFound(Name);
    });

    await expect(handler(auditCompletedEvent(notification), lambdaContext())).rejects.toThrow(
      'marker read failed',
    );
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it("fails with the switch's error when the markers said the audit is the operator's", async () => {
    const notification = onDemandNotification();
    iot.on(DescribeAuditTaskCommand).resolves(describeAnswerOf(notification));
    ssm.on(GetParameterCommand).callsFake(({ Name }: { Name: string }) => {
      if (Name === SWITCH_PARAMETER) throw new Error('switch read failed');
      throw notFound(Name);
    });

    await expect(handler(auditCompletedEvent(notification), lambdaContext())).rejects.toThrow(
      'switch read failed',
    );
    expect(iot).not.toHaveReceivedCommand(DescribeMitigationActionCommand);
  });
});

describe('mapConcurrently (the mitigation actions described a few at a time)', () => {
  it(`keeps at most ${MAX_ACTIONS_DESCRIBED_AT_ONCE} calls in flight and answers in the items' order`, async () => {
    const items = Array.from({ length: 10 }, (_, index) => index);
    const pending: ReturnType<typeof deferred<string>>[] = [];
    let inFlight = 0;
    let most = 0;
    const answers = mapConcurrently(items, MAX_ACTIONS_DESCRIBED_AT_ONCE, async (item) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      const call = deferred<string>();
      pending[item] = call;
      try {
        return await call.promise;
      } finally {
        inFlight -= 1;
      }
    });
    await tick();
    expect(pending.filter(Boolean)).toHaveLength(MAX_ACTIONS_DESCRIBED_AT_ONCE);
    // Answered last to first, as far as the calls in flight allow.
    for (let settled = 0; settled < items.length; settled += 1) {
      const open = pending.flatMap((call, index) => (call ? [index] : []));
      const last = open[open.length - 1]!;
      pending[last]!.resolve(`answer ${last}`);
      delete pending[last];
      await tick();
    }
    expect(await answers).toEqual(items.map((item) => `answer ${item}`));
    expect(most).toBe(MAX_ACTIONS_DESCRIBED_AT_ONCE);
  });

  it('rejects with the first failure and starts no call after it', async () => {
    const started: number[] = [];
    const result = mapConcurrently([0, 1, 2, 3, 4, 5, 6], 2, async (item) => {
      started.push(item);
      await tick();
      if (item === 1) throw new Error(`action ${item} failed`);
      return item;
    });
    await expect(result).rejects.toThrow('action 1 failed');
    await tick();
    await tick();
    // 0 and 1 at once; 2 started as 0 finished, just before 1 failed; none after the failure.
    expect(started).toEqual([0, 1, 2]);
  });

  it('calls nothing for no items', async () => {
    expect(await mapConcurrently([], 4, async () => 'never')).toEqual([]);
  });
});
