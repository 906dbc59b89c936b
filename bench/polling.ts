/**
 * Polling cost and detection lag of the real state machine, for mitigation tasks lasting 10 s, 10 min,
 * 2 h and 24 h, run on the local stack in virtual time; beside the baseline of a fixed 10-second
 * Wait -> Describe -> Choice loop (the Automated Security Response orchestrator's), whose figures
 * follow from its shape: one describe, 3 state transitions and 9 history events per poll. The
 * figures include the reads of the runtime switch (one before the start, then at most 15 minutes
 * apart while the task runs: statemachine/polling.ts).
 */
import { DescribeAuditMitigationActionsTaskCommand } from '@aws-sdk/client-iot';
import { startLocalStack, type TaskProgress } from '@device-defender-remediation/local-cloud';
import type { Audit } from '#domain/audit';
import { planRemediation } from '#domain/plan';
import type { Policy } from '#domain/policy';

export interface PollingRow {
  readonly taskSeconds: number;
  readonly describes: number;
  /** ssm:GetParameter calls on the runtime switch: before the start and while the task ran. */
  readonly switchReads: number;
  readonly transitions: number;
  readonly historyEvents: number;
  readonly lagSeconds: number;
  readonly outcome: string;
  readonly baseline: {
    readonly describes: number;
    readonly transitions: number;
    readonly historyEvents: number;
    readonly worstLagSeconds: number;
  };
}

const CHECK = 'DEVICE_CERTIFICATE_SHARED_CHECK';
const policy: Policy = {
  version: 1,
  mode: 'enforce',
  actions: { PublishFinding: { type: 'PUBLISH_FINDING_TO_SNS' } },
  rules: [{ check: CHECK, actions: ['PublishFinding'] }],
};
/** Step Functions fails an execution past 25,000 history events. */
export const HISTORY_LIMIT = 25_000;

/**
 * The emulated task's pace for a task lasting `seconds` to the millisecond: its findings at 1,000 a
 * second, or faster when that would take more than half of it; the rest is the start delay.
 */
export function lastingTask(seconds: number, findings: number): TaskProgress {
  const workMs = Math.min(findings, seconds * 500);
  return { startDelayMs: seconds * 1000 - workMs, findingsPerSecond: (findings / workMs) * 1000 };
}

/** The baseline's figures for a task of `seconds`: a fixed 10-second Wait -> Describe -> Choice loop. */
export function fixedPollBaseline(seconds: number): PollingRow['baseline'] {
  const polls = Math.ceil(seconds / 10);
  return { describes: polls, transitions: 3 * polls, historyEvents: 9 * polls, worstLagSeconds: 10 };
}

export async function measurePolling(taskSeconds = [10, 600, 7_200, 86_400]): Promise<PollingRow[]> {
  // A deadline beyond the longest task, so the 24-hour task ends on its own.
  const deadline = Math.max(...taskSeconds) + 7_200;
  const stack = await startLocalStack({
    switchValue: 'enforce',
    parameters: { DeadlineSeconds: String(deadline) },
  });
  const service = stack.emulator.service;
  // Counts the state machine's reads of the switch (nothing else reads it here: the plan is made below).
  let switchReads = 0;
  const read = stack.parameters.get.bind(stack.parameters);
  stack.parameters.get = (name) => {
    if (name === stack.switchParameterName) switchReads++;
    return read(name);
  };
  const rows: PollingRow[] = [];
  try {
    for (const seconds of taskSeconds) {
      const auditTaskId = `polling-${seconds}`;
      const startTime = stack.clock.now();
      service.addAudit({
        taskId: auditTaskId,
        taskStartTime: startTime,
        checks: {
          [CHECK]: {
            totalResourcesCount: 100,
            findings: [
              {
                nonCompliantResource: {
                  resourceType: 'DEVICE_CERTIFICATE',
                  resourceIdentifier: { deviceCertificateId: 'a'.repeat(64) },
                },
              },
            ],
          },
        },
      });
      service.setTaskProgress(lastingTask(seconds, 1));
      const audit: Audit = {
        auditTaskId,
        accountId: '123456789012',
        taskStatus: 'COMPLETED',
        taskType: 'ON_DEMAND_AUDIT_TASK',
        taskStartTime: startTime,
        checks: [
          {
            checkName: CHECK,
            known: true,
            checkRunStatus: 'COMPLETED_NON_COMPLIANT',
            nonCompliantResourcesCount: 1,
            totalResourcesCount: 100,
          },
        ],
      };
      // The template's mitigation actions are named <stack name>-<policy action name>.
      const plan = planRemediation(
        audit,
        policy,
        { value: 'enforce', lastModified: 0, version: 1 },
        { actionNamePrefix: stack.deployed.stackName },
      );
      if (plan.kind !== 'plan') throw new Error(`no plan: ${plan.detail}`);
      switchReads = 0;
      const execution = stack.runner.startExecution({
        stateMachineArn: stack.stateMachineArn,
        name: plan.names.executionName,
        input: plan,
      });
      const outcome = await execution.result;
      const task = await stack.iot.send(
        new DescribeAuditMitigationActionsTaskCommand({ taskId: plan.names.mitigationTaskId }),
      );
      const published = stack.runner.snsMessages.find((m) => m.executionArn === execution.executionArn);
      const report = published?.message ?? '';
      // The summary: the report message attribute, or (formerly) the text after the marker.
      const attribute = (published?.messageAttributes as Record<string, { StringValue?: string }> | undefined)
        ?.report?.StringValue;
      const summary = JSON.parse(
        attribute ?? report.slice(report.indexOf('--- JSON ---') + '--- JSON ---'.length),
      ) as { task?: { polls?: number } };
      const lagSeconds =
        ((execution.stopDate?.getTime() ?? Number.NaN) - (task.endTime?.getTime() ?? Number.NaN)) / 1000;
      rows.push({
        taskSeconds: seconds,
        describes: summary.task?.polls ?? Number.NaN,
        switchReads,
        transitions: execution.history.transitions,
        historyEvents: execution.history.historyEvents,
        lagSeconds,
        outcome: outcome.status,
        baseline: fixedPollBaseline(seconds),
      });
    }
  } finally {
    await stack.close();
  }
  return rows;
}
