// Operators are principals (issue #15, item 5), on the local stack: the event bus's policy is
// evaluated on every PutEvents with the caller's principal, as EventBridge does. A re-run request
// ("Audit Remediation Requested") may enforce an audit older than the switch: from anyone but an
// operator it is refused (AccessDeniedException, a failed entry) and nothing starts; from an operator
// it runs. Only the Pipe's role completes audits; nobody puts other detail-types under the stack's
// source. One stack per file: the handlers' SDK clients keep their first endpoint.

import {
  type LocalStack,
  OPERATOR_ROLE_ARN,
  type PutEventsEntry,
} from '@device-defender-remediation/local-cloud';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureAudit, reliabilityStack } from '../reliability/support.ts';

const ACCOUNT = '123456789012';
const DEVELOPER = `arn:aws:iam::${ACCOUNT}:role/developer`;
const AUDIT = 'forged-rerun-audit';

let stack: LocalStack;
const rerun = (auditTaskId = AUDIT, n = 1): PutEventsEntry => ({
  EventBusName: stack.deployed.stackName,
  Source: 'custom.devicedefender',
  DetailType: 'Audit Remediation Requested',
  Detail: { auditTaskId, rerun: n, requestedBy: 'mallory' },
});
const sweeps = () => stack.invocations.filter((i) => i.functionId === 'SweepAuditsFunction');
const planners = () => stack.invocations.filter((i) => i.functionId === 'PlanRemediationFunction');
const pipeRole = () => String(stack.deployed.getAtt('AuditNotificationsPipeRole', 'Arn'));

beforeAll(async () => {
  // A minute behind real time, so the sweep's real-time window holds the audit (as in
  // tests/wiring/stack-wiring.test.ts); the clock moves ahead before anything starts.
  stack = await reliabilityStack({ startMs: Date.now() - 60_000 });
  stack.emulator.service.addAudit(fixtureAudit(AUDIT));
  await stack.clock.sleep(600_000);
});
afterAll(() => stack.close());

describe('a forged re-run request is refused: nothing starts', () => {
  it.each([
    ['a principal of the account that is not an operator', () => DEVELOPER],
    ['the account root', () => `arn:aws:iam::${ACCOUNT}:root`],
    ["the Pipe's role (a component of the stack)", pipeRole],
    ['a principal of another account', () => 'arn:aws:iam::999999999999:role/Admin'],
  ])('from %s', async (_, principal) => {
    const eventsBefore = stack.busEvents().length;
    const [result] = await stack.putEvents([rerun()], { principalArn: principal() });
    expect(result).toMatchObject({ errorCode: 'AccessDeniedException', matchedRules: [], invocations: [] });
    expect(result?.errorMessage).toContain(principal());
    expect(stack.busEvents()).toHaveLength(eventsBefore);
    expect(sweeps()).toEqual([]);
    expect(stack.runner.executions).toEqual([]);
  });

  it('under another source too, and mixed into a batch with an allowed entry', async () => {
    const other: PutEventsEntry = { ...rerun(), Source: 'my.tooling' };
    const harmless: PutEventsEntry = { ...rerun(), Source: 'com.example', DetailType: 'Deployed' };
    const results = await stack.putEvents([other, harmless], { principalArn: DEVELOPER });
    expect(results.map((r) => r.errorCode)).toEqual(['AccessDeniedException', undefined]);
    expect(sweeps()).toEqual([]);
    expect(stack.runner.executions).toEqual([]);
  });
});

describe('nobody but the Pipe completes an audit, and nobody invents a detail-type of the stack', () => {
  it('a forged "Audit Completed" from an operator is refused: the planner does not run', async () => {
    const notification = stack.notifications.find((n) => n.taskId === AUDIT)!;
    const [result] = await stack.putEvents([
      {
        EventBusName: stack.deployed.stackName,
        Source: 'custom.devicedefender',
        DetailType: 'Audit Completed',
        Detail: { notification },
      },
    ]);
    expect(result).toMatchObject({ errorCode: 'AccessDeniedException' });
    expect(planners()).toEqual([]);
  });

  it('an unknown detail-type under custom.devicedefender is refused, even to an operator', async () => {
    const [result] = await stack.putEvents([{ ...rerun(), DetailType: 'Audit Remediation Forced' }], {
      principalArn: OPERATOR_ROLE_ARN,
    });
    expect(result).toMatchObject({ errorCode: 'AccessDeniedException' });
  });
});

describe("an operator's re-run request runs", () => {
  it('the sweep re-runs the audit and an execution starts', async () => {
    const [result] = await stack.putEvents([rerun()], { principalArn: OPERATOR_ROLE_ARN });
    expect(result?.errorCode).toBeUndefined();
    expect(result?.matchedRules).toEqual(['RemediationRequestedRule']);
    expect(result?.invocations).toEqual([
      expect.objectContaining({
        functionId: 'SweepAuditsFunction',
        outcome: 'succeeded',
        result: expect.objectContaining({ kind: 'rerun', auditTaskId: AUDIT }),
      }),
    ]);
    expect(stack.runner.executions.map((e) => e.name)).toEqual([expect.stringContaining(AUDIT)]);
  });

  it("and the Pipe still completes audits: Device Defender's notification reaches the planner", async () => {
    const trace = await stack.publishAuditNotification(stack.notifications.find((n) => n.taskId === AUDIT)!);
    expect(trace.putEvents.map((p) => p.errorCode)).toEqual([undefined]);
    expect(trace.matchedRules).toEqual(['AuditCompletedRule']);
    expect(planners()).toHaveLength(1);
  });
});
