// Attack: a forged "Audit Completed" event. An event only names an audit: whoever reaches the bus as
// a principal its policy admits (here the Pipe's role, which anything sent straight to the
// notifications queue, or an archive replay, also reaches it as) can put any notification there. The
// planner must plan from DescribeAuditTask, never from the event's claims:
//   (a) a forged event with a fresh start time and counts of 1 of 1,000,000 for a real audit of the
//       dry-run era changes nothing: the plan has AWS's start time (so no enforcement) and AWS's counts
//       (so the caps hold back what they held back);
//   (b) a forged event for an audit still IN_PROGRESS plans nothing and takes no name: the real
//       notification, once the audit completes, starts the execution under the normal name.
// On the code that planned from the event, (a) started `enf-<audit>` with every check mitigated and
// (b) started `enf-<audit>` before the audit ended, so the real notification met a duplicate.

import { StartOnDemandAuditTaskCommand } from '@aws-sdk/client-iot';
import {
  type AuditNotification,
  deviceCertificateFinding,
  type LocalStack,
  startLocalStack,
} from '@device-defender-remediation/local-cloud';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RemediationPlan } from '#domain/plan';
import type { PlanRemediationResult } from '../../functions/plan-remediation/index.ts';
import { enforcePolicy, REVOKED, SHARED } from '../support/enforce-policy.ts';

const POLICY = enforcePolicy({ maxFindings: 50, maxPercent: 50 });

let stack: LocalStack;
beforeAll(async () => {
  // The switch is set to enforce when the stack is deployed (now, on the virtual clock).
  stack = await startLocalStack({ preset: 'demo', switchValue: 'enforce', policy: POLICY });
});
afterAll(() => stack.close());

/** Puts a notification on the stack's bus as "Audit Completed", as the Pipe's role; the planner's answer. */
async function forge(notification: unknown): Promise<PlanRemediationResult> {
  const pipeRole = String(stack.deployed.getAtt('AuditNotificationsPipeRole', 'Arn'));
  const [put] = await stack.putEvents(
    [
      {
        EventBusName: stack.deployed.stackName,
        Source: 'custom.devicedefender',
        DetailType: 'Audit Completed',
        Detail: { notification },
      },
    ],
    { principalArn: pipeRole },
  );
  expect(put?.errorCode, put?.errorMessage).toBeUndefined();
  expect(put?.matchedRules).toEqual(['AuditCompletedRule']);
  const [invocation] = put!.invocations;
  expect(invocation).toMatchObject({ functionId: 'PlanRemediationFunction', outcome: 'succeeded' });
  return invocation!.result as PlanRemediationResult;
}

const executionsOf = (auditTaskId: string) =>
  stack.runner.executions.filter((e) => e.name.replace(/^(dry|enf)-/, '').startsWith(auditTaskId));

describe('a forged "Audit Completed" event', () => {
  it('(a) cannot change the plan of a real dry-run-era audit: time and counts come from DescribeAuditTask', async () => {
    const auditTaskId = 'forged-dry-era';
    const realStart = stack.clock.now() - 2 * 3_600_000; // before the switch was set to enforce
    const certificates = (from: number, count: number) =>
      Array.from({ length: count }, (_, i) =>
        deviceCertificateFinding(from + i, { findingId: `${auditTaskId}-f${from + i}` }),
      );
    stack.emulator.service.addAudit({
      taskId: auditTaskId,
      taskStartTime: realStart,
      checks: {
        [SHARED]: { totalResourcesCount: 100, findings: certificates(1_000, 60) }, // above maxFindings 50
        [REVOKED]: { totalResourcesCount: 100, findings: certificates(2_000, 2) },
      },
    });

    const forged = {
      accountId: '123456789012',
      taskId: auditTaskId,
      taskStatus: 'COMPLETED',
      taskType: 'ON_DEMAND_AUDIT_TASK',
      failedChecksCount: 0,
      canceledChecksCount: 0,
      nonCompliantChecksCount: 2,
      compliantChecksCount: 0,
      totalChecksCount: 2,
      taskStartTime: stack.clock.now(), // "fresh": after the switch was set to enforce
      auditDetails: [SHARED, REVOKED].map((checkName) => ({
        checkName,
        checkRunStatus: 'COMPLETED_NON_COMPLIANT',
        nonCompliantResourcesCount: 1,
        totalResourcesCount: 1_000_000,
      })),
    };
    const result = await forge(forged);

    expect(result).toMatchObject({
      outcome: 'started',
      executionName: `dry-${auditTaskId}`,
      mode: 'dry-run',
    });
    const executions = executionsOf(auditTaskId);
    expect(executions.map((e) => e.name)).toEqual([`dry-${auditTaskId}`]);
    const plan = executions[0]!.input as RemediationPlan;
    expect(plan.auditStartTime).toBe(new Date(realStart).toISOString());
    expect(plan.mode).toMatchObject({
      effective: 'dry-run',
      reason: expect.stringContaining('before the switch'),
    });
    expect(plan.decisions.find((d) => d.checkName === SHARED)).toMatchObject({
      outcome: 'hold-back',
      nonCompliantResourcesCount: 60,
      totalResourcesCount: 100,
      cap: { name: 'maxFindings', value: 50 },
    });
    expect(plan.decisions.find((d) => d.checkName === REVOKED)).toMatchObject({
      outcome: 'mitigate',
      nonCompliantResourcesCount: 2,
    });
    expect(Object.keys(plan.auditCheckToActionsMapping)).toEqual([REVOKED]);
    await expect(executions[0]!.result).resolves.toMatchObject({ status: 'SUCCEEDED' });
  });

  it('(b) cannot pre-empt an audit in progress: nothing is planned, and the real notification starts it', async () => {
    const { taskId } = await stack.iot.send(
      new StartOnDemandAuditTaskCommand({ targetCheckNames: [SHARED] }),
    );
    const auditTaskId = taskId!;
    const forged = {
      accountId: '123456789012',
      taskId: auditTaskId,
      taskStatus: 'COMPLETED',
      taskType: 'ON_DEMAND_AUDIT_TASK',
      failedChecksCount: 0,
      canceledChecksCount: 0,
      nonCompliantChecksCount: 1,
      compliantChecksCount: 0,
      totalChecksCount: 1,
      taskStartTime: stack.clock.now(),
      auditDetails: [
        {
          checkName: SHARED,
          checkRunStatus: 'COMPLETED_NON_COMPLIANT',
          nonCompliantResourcesCount: 1,
          totalResourcesCount: 100,
        },
      ],
    };
    expect(await forge(forged)).toEqual({
      outcome: 'nothing-to-do',
      reason: 'audit-not-completed',
      detail: expect.stringContaining('IN_PROGRESS'),
    });
    expect(executionsOf(auditTaskId)).toEqual([]);

    // The audit completes and Device Defender announces it: the planner starts it under its name.
    await stack.clock.sleep(120_000);
    const real = stack.notifications.find((n: AuditNotification) => n.taskId === auditTaskId);
    expect(real).toMatchObject({ taskStatus: 'COMPLETED' });
    const trace = await stack.publishAuditNotification(real);
    const [invocation] = trace.invocations;
    expect(invocation?.result).toMatchObject({ outcome: 'started', executionName: `enf-${auditTaskId}` });
    expect(executionsOf(auditTaskId).map((e) => e.name)).toEqual([`enf-${auditTaskId}`]);
    await expect(executionsOf(auditTaskId)[0]!.result).resolves.toMatchObject({ status: 'SUCCEEDED' });
  });
});
