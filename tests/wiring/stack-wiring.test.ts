// The local stack runs template.yaml's own wiring: a notification published to the topic reaches the
// planner through SQS, the Pipe, the bus and AuditCompletedRule; a failed audit's notification stops
// at the bus; a failed execution reaches cleanup-execution through ExecutionEndedRule; the schedule
// and a re-run request reach the sweep. One stack per file: the handlers' SDK clients keep their
// first endpoint.

import type { AuditNotification, LocalStack } from '@device-defender-remediation/local-cloud';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureAudit, holdClock, reliabilityStack } from '../reliability/support.ts';

let stack: LocalStack;
const notificationOf = (taskId: string) => stack.notifications.find((n) => n.taskId === taskId)!;

beforeAll(async () => {
  // A minute behind real time, so the sweep's real-time window holds the audits (see
  // tests/reliability/lost-notifications.test.ts); the clock moves ahead before anything starts.
  stack = await reliabilityStack({ startMs: Date.now() - 60_000 });
  stack.emulator.service.addAudit(fixtureAudit('wiring-completed'));
  stack.emulator.service.addAudit(fixtureAudit('wiring-paused'));
  await stack.clock.sleep(600_000);
});
afterAll(() => stack.close());

describe("the template's wiring, locally", () => {
  it('takes a COMPLETED notification SNS -> SQS (raw) -> Pipe -> bus -> AuditCompletedRule -> planner', async () => {
    const notification = notificationOf('wiring-completed');
    const trace = await stack.publishAuditNotification(notification);

    expect(trace.deliveries).toEqual([
      expect.objectContaining({
        queue: 'AuditNotificationsQueue',
        outcome: 'consumed',
        receives: 1,
        body: JSON.stringify(notification),
      }),
    ]);
    const [put] = trace.putEvents;
    expect(put?.event).toMatchObject({
      source: 'custom.devicedefender',
      'detail-type': 'Audit Completed',
      account: '123456789012',
      region: 'us-east-1',
      detail: { notification: JSON.parse(JSON.stringify(notification)) },
    });
    expect(trace.matchedRules).toEqual(['AuditCompletedRule']);
    expect(trace.invocations).toEqual([
      expect.objectContaining({
        functionId: 'PlanRemediationFunction',
        trigger: 'AuditCompletedRule',
        attempts: 1,
        outcome: 'succeeded',
        event: put?.event,
        result: expect.objectContaining({ outcome: 'started', executionName: 'enf-wiring-completed' }),
      }),
    ]);
    expect(stack.runner.executions.map((e) => e.name)).toEqual(['enf-wiring-completed']);
    expect(stack.runner.executions[0]?.stateMachineArn).toBe(stack.stateMachineArn);
  });

  it('stops a notification of an audit that did not complete at the bus: no rule, no function, no execution', async () => {
    const failed: AuditNotification = {
      ...notificationOf('wiring-completed'),
      taskId: 'wiring-failed',
      taskStatus: 'FAILED',
    };
    const eventsBefore = stack.busEvents().length;
    const trace = await stack.publishAuditNotification(failed);

    expect(trace.deliveries.map((d) => d.outcome)).toEqual(['consumed']);
    expect(trace.putEvents[0]?.event?.detail).toEqual({ notification: JSON.parse(JSON.stringify(failed)) });
    expect(stack.busEvents()).toHaveLength(eventsBefore + 1);
    expect(trace.matchedRules).toEqual([]);
    expect(trace.invocations).toEqual([]);
    expect(stack.runner.executions).toHaveLength(1);
  });

  it('sends a failed execution, not a succeeded one, to cleanup-execution through ExecutionEndedRule', async () => {
    await stack.runner.executions[0]!.result;
    await stack.idle();
    expect(stack.invocations.filter((i) => i.functionId === 'CleanupExecutionFunction')).toEqual([]);

    // Paused between the planner's start and the state machine's switch check: the execution fails.
    const release = holdClock(stack);
    await stack.publishAuditNotification(notificationOf('wiring-paused'));
    stack.setSwitch('paused');
    await release();
    const paused = stack.runner.executions.find((e) => e.name === 'enf-wiring-paused')!;
    await expect(paused.result).resolves.toMatchObject({ status: 'FAILED', error: 'Paused' });
    await stack.idle();
    stack.setSwitch('enforce');

    const cleanups = stack.invocations.filter((i) => i.functionId === 'CleanupExecutionFunction');
    expect(cleanups).toEqual([
      expect.objectContaining({
        trigger: 'ExecutionEndedRule',
        outcome: 'succeeded',
        event: expect.objectContaining({
          source: 'aws.states',
          'detail-type': 'Step Functions Execution Status Change',
          resources: [paused.executionArn],
          detail: expect.objectContaining({
            executionArn: paused.executionArn,
            stateMachineArn: stack.stateMachineArn,
            name: 'enf-wiring-paused',
            status: 'FAILED',
            error: 'Paused',
          }),
        }),
        result: { outcome: 'never-started', notified: false },
      }),
    ]);
    // Step Functions' events go to the default bus, not the stack's.
    expect(stack.busEvents('default').map((e) => (e.detail as { status: string }).status)).toEqual([
      'RUNNING',
      'SUCCEEDED',
      'RUNNING',
      'FAILED',
    ]);
  });

  it("invokes the sweep with the schedule's Input", async () => {
    const { Input } = stack.deployed.property('SweepSchedule', 'Target') as { Input: string };
    const invocation = await stack.triggerSchedule('SweepSchedule');
    expect(invocation).toMatchObject({
      functionId: 'SweepAuditsFunction',
      trigger: 'SweepSchedule',
      event: JSON.parse(Input),
      outcome: 'succeeded',
      result: { kind: 'sweep', audits: 2, failed: 0 },
    });
    // The switch was set to enforce again after both audits started: no retroactive enforcement, so
    // the sweep plans them as dry runs (names dry-...), which no execution has used yet.
    expect(invocation.result).toMatchObject({ outcomes: { started: 2 } });
    expect(
      stack.runner.executions
        .map((e) => e.name)
        .filter((n) => n.startsWith('dry-'))
        .sort(),
    ).toEqual(['dry-wiring-completed', 'dry-wiring-paused']);
  });

  it('takes a re-run request put on the stack bus to the sweep through RemediationRequestedRule', async () => {
    const [result] = await stack.putEvents([
      {
        EventBusName: stack.deployed.stackName,
        Source: 'custom.devicedefender',
        DetailType: 'Audit Remediation Requested',
        Detail: { auditTaskId: 'wiring-paused', rerun: 1 },
      },
    ]);
    expect(result?.matchedRules).toEqual(['RemediationRequestedRule']);
    expect(result?.invocations).toEqual([
      expect.objectContaining({
        functionId: 'SweepAuditsFunction',
        outcome: 'succeeded',
        result: expect.objectContaining({
          kind: 'rerun',
          auditTaskId: 'wiring-paused',
          result: expect.objectContaining({ outcome: 'started' }),
        }),
      }),
    ]);
  });
});
