/**
 * The reliability suite's shared pieces: a policy whose caps admit the fixtures (its actions are the
 * template's mitigation actions, which the local stack deploys as `<stack>-<name>`), fixture audits,
 * deliveries through the template's wiring, and readers for what the stack did (executions,
 * mitigation tasks, reports).
 * Each scenario file starts its own local stack: the handlers' SDK clients keep their first endpoint.
 */
import type { TaskStatisticsForAuditCheck } from '@aws-sdk/client-iot';
import {
  type AuditFixture,
  type AuditNotification,
  type ExecutionOutcome,
  type FindingFixture,
  type LocalExecution,
  type LocalStack,
  type LocalStackOptions,
  plannerResult,
  startLocalStack,
} from '@device-defender-remediation/local-cloud';
import { expect } from 'vitest';
import { type RemediationReport, summaryFromAttributes } from '#domain/remediation-report';
import type { PlanRemediationResult } from '../../functions/plan-remediation/index.ts';
import type { SweepResult } from '../../functions/sweep-audits/index.ts';
import { enforcePolicy, REVOKED, SHARED } from '../support/enforce-policy.ts';

export { REVOKED, SHARED };

/** Enforce, with caps well above the fixtures (3 of 100 and 2 of 100 resources). */
export const POLICY = enforcePolicy({ maxFindings: 50, maxPercent: 50 });

/** A local stack in enforce (policy and switch); the policy's actions are the template's. */
export function reliabilityStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  return startLocalStack({ switchValue: 'enforce', policy: POLICY, ...options });
}

/** Device Defender delivers the notification to the stack's topic; the planner's answer, through the wiring. */
export async function deliver(stack: LocalStack, notification: unknown): Promise<PlanRemediationResult> {
  return plannerResult<PlanRemediationResult>(await stack.publishAuditNotification(notification));
}

/** The sweep schedule fires; the sweep's answer (it failing its every attempt fails the test). */
export async function sweep(stack: LocalStack): Promise<SweepResult> {
  const invocation = await stack.triggerSchedule();
  if (invocation.outcome === 'failed')
    throw new Error(`the sweep failed: ${invocation.error?.errorType}: ${invocation.error?.errorMessage}`);
  return invocation.result as SweepResult;
}

/** Findings per check of every fixture audit: 3 shared certificates, 2 revoked ones. */
export const FINDINGS_PER_AUDIT = { [SHARED]: 3, [REVOKED]: 2 } as const;
export const TOTAL_FINDINGS_PER_AUDIT = 5;

function certificate(auditTaskId: string, n: number): FindingFixture {
  return {
    findingId: `${auditTaskId}-f${n}`,
    nonCompliantResource: {
      resourceType: 'DEVICE_CERTIFICATE',
      resourceIdentifier: { deviceCertificateId: `${auditTaskId}-${n}`.padStart(64, '0').slice(-64) },
    },
  };
}

/** An audit that has ended when added (its notification is announced at the next clock move). */
export function fixtureAudit(auditTaskId: string): AuditFixture {
  return {
    taskId: auditTaskId,
    checks: {
      [SHARED]: { totalResourcesCount: 100, findings: [1, 2, 3].map((n) => certificate(auditTaskId, n)) },
      [REVOKED]: { totalResourcesCount: 100, findings: [4, 5].map((n) => certificate(auditTaskId, n)) },
    },
  };
}

export const auditIds = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, i) => `${prefix}-${String(i + 1).padStart(2, '0')}`);

/** Lets virtual time pass until the audits' notifications were announced (those not lost). */
export async function announced(stack: LocalStack, waitMs = 5_000): Promise<AuditNotification[]> {
  await stack.clock.sleep(waitMs);
  return [...stack.notifications];
}

/** Every mitigation task the emulator holds, with its status and statistics, as the API answers. */
export function mitigationTasks(stack: LocalStack) {
  const service = stack.emulator.service;
  const now = stack.clock.now();
  const window = { startTime: new Date(now - 30 * 86_400_000), endTime: new Date(now + 86_400_000) };
  const tasks: { taskId: string; auditTaskId: string; status: string; statistics: Statistics }[] = [];
  let nextToken: string | undefined;
  do {
    const page = service.listAuditMitigationActionsTasks({ ...window, maxResults: 250, nextToken });
    for (const { taskId } of page.tasks ?? []) {
      const task = service.describeAuditMitigationActionsTask({ taskId: taskId! });
      tasks.push({
        taskId: taskId!,
        auditTaskId: task.target?.auditTaskId ?? '',
        status: task.taskStatus ?? '',
        statistics: task.taskStatistics ?? {},
      });
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return tasks;
}

type Statistics = Record<string, TaskStatisticsForAuditCheck>;

/** "Nothing lost": every finding of every check is succeeded, failed, skipped or canceled. */
export function expectEveryFindingAccountedFor(
  statistics: Statistics,
  findingsPerCheck = FINDINGS_PER_AUDIT,
) {
  expect(Object.keys(statistics).sort()).toEqual(Object.keys(findingsPerCheck).sort());
  for (const [checkName, s] of Object.entries(statistics)) {
    expect(s.totalFindingsCount, checkName).toBe(
      findingsPerCheck[checkName as keyof typeof findingsPerCheck],
    );
    const handled =
      (s.succeededFindingsCount ?? 0) +
      (s.failedFindingsCount ?? 0) +
      (s.skippedFindingsCount ?? 0) +
      (s.canceledFindingsCount ?? 0);
    expect(handled, checkName).toBe(s.totalFindingsCount);
  }
}

/** The JSON summary of the report the execution published (exactly one per execution). */
export function reportOf(stack: LocalStack, execution: LocalExecution): RemediationReport {
  const published = stack.runner.snsMessages.filter((m) => m.executionArn === execution.executionArn);
  expect(published, `reports of ${execution.name}`).toHaveLength(1);
  // The summary travels apart from the text, as the `report` message attribute.
  const summary = summaryFromAttributes(published[0]!.messageAttributes);
  expect(summary, `the report of ${execution.name} has its summary in the report attribute`).toBeDefined();
  return summary!;
}

/**
 * Holds virtual time still (time cannot move while work is pending) until the returned function is
 * called: what happens meanwhile happens at one virtual instant, whatever the machine's speed.
 */
export function holdClock(stack: LocalStack): () => Promise<void> {
  let release = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const held = stack.clock.work(() => gate);
  return () => {
    release();
    return held;
  };
}

/** Waits (in virtual time) for every execution the runner holds to stop. */
export async function settled(stack: LocalStack): Promise<Map<string, ExecutionOutcome>> {
  const executions = stack.runner.executions;
  const outcomes = await Promise.all(executions.map((e) => e.result));
  return new Map(executions.map((e, i) => [e.name, outcomes[i]!]));
}

/** Executions per audit id (their names are `<mode>-<auditTaskId>`). */
export function executionsByAudit(stack: LocalStack): Map<string, LocalExecution[]> {
  const byAudit = new Map<string, LocalExecution[]>();
  for (const execution of stack.runner.executions) {
    const auditTaskId = execution.name.replace(/^(enf|dry)-/, '');
    byAudit.set(auditTaskId, [...(byAudit.get(auditTaskId) ?? []), execution]);
  }
  return byAudit;
}

/** Each audit has exactly one execution and one COMPLETED mitigation task that accounts for every finding. */
export function expectEachAuditRemediatedOnce(stack: LocalStack, audits: readonly string[]): void {
  const byAudit = executionsByAudit(stack);
  const tasks = mitigationTasks(stack);
  expect(tasks.map((t) => t.auditTaskId).sort()).toEqual([...audits].sort());
  for (const id of audits) {
    expect(byAudit.get(id), id).toHaveLength(1);
    const task = tasks.find((t) => t.auditTaskId === id)!;
    expect(task).toMatchObject({ taskId: `enf-${id}`, status: 'COMPLETED' });
    expectEveryFindingAccountedFor(task.statistics);
  }
}
