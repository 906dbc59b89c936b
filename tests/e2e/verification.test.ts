// Verification on the local stack (docs/decisions/verification.md): an enforced run of the demo fleet
// ends with a verification audit; that audit's own notification goes through the template's wiring to
// the planner, which refuses it (typed verification-audit) and starts nothing, and the scheduled sweep
// does not remediate it either. One local stack per file: the handlers' SDK clients keep their endpoints.
import { DescribeAccountAuditConfigurationCommand, StartOnDemandAuditTaskCommand } from '@aws-sdk/client-iot';
import {
  type AuditNotification,
  type LocalStack,
  plannerResult,
  startLocalStack,
} from '@device-defender-remediation/local-cloud';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type RemediationReport, summaryFromAttributes } from '#domain/remediation-report';
import type { PlanRemediationResult } from '../../functions/plan-remediation/index.ts';
import type { SweepResult } from '../../functions/sweep-audits/index.ts';
import { readPolicyFile } from '../../local/policy-file.ts';

const demoPolicy = readPolicyFile(new URL('../../local/samples/demo-policy.yaml', import.meta.url));
if (!demoPolicy.ok) throw new Error('the demo policy is invalid');
const REVOKED = 'REVOKED_DEVICE_CERTIFICATE_STILL_ACTIVE_CHECK';

let stack: LocalStack;
let executionName: string;
let report: RemediationReport;

async function notificationOf(taskId: string): Promise<AuditNotification> {
  for (let waited = 0; waited < 3_600_000; waited += 5_000) {
    const notification = stack.notifications.find((n) => n.taskId === taskId);
    if (notification) return notification;
    await stack.clock.sleep(5_000);
  }
  throw new Error(`no notification for audit ${taskId}`);
}

beforeAll(async () => {
  stack = await startLocalStack({ preset: 'demo', switchValue: 'enforce', policy: demoPolicy.policy });
  const { auditCheckConfigurations = {} } = await stack.iot.send(
    new DescribeAccountAuditConfigurationCommand({}),
  );
  const enabled = Object.keys(auditCheckConfigurations).filter((c) => auditCheckConfigurations[c]?.enabled);
  const { taskId } = await stack.iot.send(new StartOnDemandAuditTaskCommand({ targetCheckNames: enabled }));
  const planned = plannerResult<PlanRemediationResult>(
    await stack.publishAuditNotification(await notificationOf(taskId!)),
  );
  if (planned.outcome !== 'started') throw new Error(`nothing started: ${JSON.stringify(planned)}`);
  executionName = planned.executionName;
  const execution = stack.runner.describeExecution(planned.executionArn)!;
  while (execution.status === 'RUNNING') await stack.clock.sleep(5_000);
  const published = stack.runner.snsMessages.find((m) => m.executionArn === execution.executionArn);
  report = summaryFromAttributes(published?.messageAttributes) as RemediationReport;
});
afterAll(() => stack.close());

describe('verification on the local stack', () => {
  it('an enforced run of the demo fleet verifies its fixing checks with an audit of its own, marked', () => {
    expect(report.outcome).toMatchObject({ name: 'Completed', succeeded: true });
    expect(report.verification).toMatchObject({ status: 'completed', notImproved: [] });
    expect(report.verification?.checks.map((c) => [c.checkName, c.before, c.after])).toEqual([
      [REVOKED, 2, 0],
      ['REVOKED_CA_CERTIFICATE_STILL_ACTIVE_CHECK', 1, 0],
    ]);
    const auditTaskId = report.verification!.auditTaskId!;
    expect(
      stack.parameters.values.get(`/${stack.deployed.stackName}/verification-audits/${auditTaskId}`),
    ).toBe(executionName);
  });

  it('its notification goes through the wiring to the planner, which refuses it, typed, and starts nothing', async () => {
    const auditTaskId = report.verification!.auditTaskId!;
    const trace = await stack.publishAuditNotification(await notificationOf(auditTaskId));

    expect(trace.matchedRules).toEqual(['AuditCompletedRule']);
    expect(plannerResult<PlanRemediationResult>(trace)).toEqual({
      outcome: 'verification-audit',
      auditTaskId,
      startedBy: executionName,
      detail: `verification audit, not remediated: execution ${executionName} started it to verify its mitigation`,
    });
    expect(stack.runner.executions.map((e) => e.name)).toEqual([executionName]);
  });

  it('the scheduled sweep does not remediate it either', async () => {
    // The sweep's window ends at the function's own clock: let it read the virtual one, where the
    // audits happened (Date only; timers stay real).
    vi.useFakeTimers({ toFake: ['Date'], now: stack.clock.now() });
    let result: SweepResult;
    try {
      const invocation = await stack.triggerSchedule('SweepSchedule');
      expect(invocation.outcome).toBe('succeeded');
      result = invocation.result as SweepResult;
    } finally {
      vi.useRealTimers();
    }
    // The demo's audit met its execution (duplicate); the verification audit was refused.
    expect(result).toEqual({
      kind: 'sweep',
      audits: 2,
      outcomes: { duplicate: 1, 'verification-audit': 1 },
      failed: 0,
    });
    expect(stack.runner.executions.map((e) => e.name)).toEqual([executionName]);
  });
});
