/**
 * What `npm start -- --json FILE` writes: the run's results as one JSON document, schema version 1
 * (docs/json-output.md). Every figure is one the run produced (DemoResult); nothing is computed here
 * but sums the human output prints too. Within a schema version fields are only ever added; what a run
 * did not produce is null, never left out, so a script can rely on every key.
 */
import type { TaskStatisticsForAuditCheck } from '@aws-sdk/client-iot';
import type { FleetSummary, HistoryCounts } from '@device-defender-remediation/local-cloud';
import { type HeldBackCheck, heldBackChecks } from '#domain/held-back-report';
import type { LoopGuardRecord } from '#domain/loop-guard';
import type { VerificationReport } from '#domain/remediation-report';
import type { PlanRemediationResult } from '../functions/plan-remediation/index.ts';
import type { DemoResult, MitigationTaskAtEnd, Round } from './demo.ts';

export interface StartDocument {
  readonly schemaVersion: 1;
  readonly command: 'npm start';
  /** When the command started, real time (ISO 8601). */
  readonly startedAt: string;
  readonly preset: string;
  readonly switch: string;
  /** The policy file, as given or the default. */
  readonly policyFile: string;
  readonly stackName: string;
  /** How many audits were remediated (`--audits`); the document's other fields are about the last one. */
  readonly audits: number;
  /** The audits before the last (`--audits` above 1), oldest first, one a day; empty for one audit. */
  readonly earlierAudits: readonly {
    readonly auditTaskId: string;
    /** The execution's status, or the planner's outcome when it started none. */
    readonly outcome: string;
    readonly executionName: string | null;
    /** The checks the plan mitigated. */
    readonly checks: readonly string[];
    /** The plan's loop guard record (functions/domain/loop-guard.ts); null when it found nothing. */
    readonly loopGuard: LoopGuardRecord | null;
    /** The audits the execution started to verify its mitigation, and what the planner answered to each. */
    readonly verificationAudits: readonly { readonly auditTaskId: string; readonly planner: string }[];
  }[];
  /** The account's audit suppressions at the end (ListAuditSuppressions); null when not listed (one audit). */
  readonly suppressions:
    | readonly {
        readonly checkName: string;
        readonly resourceIdentifier: Readonly<Record<string, unknown>>;
        /** ISO 8601; null when indefinite. */
        readonly expirationDate: string | null;
        readonly suppressIndefinitely: boolean;
        readonly description: string | null;
      }[]
    | null;
  readonly auditTaskId: string;
  /** As the human output's "Done:" line: the execution's status, or the planner's outcome when it started none. */
  readonly outcome: string;
  /** What the planner answered the "Audit Completed" event. */
  readonly planner: PlanRemediationResult;
  /** The checks the plan mitigates and those it holds back; null when the planner planned none (e.g. paused). */
  readonly plan: {
    readonly executionName: string | null;
    /** The effective mode: enforce only when the policy and the switch both say enforce. */
    readonly mode: string | null;
    readonly checks: readonly {
      readonly checkName: string;
      readonly actions: readonly string[];
      readonly reasonCodes: readonly string[];
      readonly nonCompliantResourcesCount: number;
      readonly totalResourcesCount: number;
    }[];
    readonly heldBack: readonly HeldBackCheck[];
    /** The loop guard's record: the checks it left out and their suppressions; null when it found nothing. */
    readonly loopGuard: LoopGuardRecord | null;
    /** The plan's own counts; null when no execution started (every check held back). */
    readonly summary: {
      readonly checksToMitigate: number;
      readonly findingsToMitigate: number;
      readonly checksHeldBack: number;
      readonly checksSkipped: number;
    } | null;
  } | null;
  /** The state machine's execution; null when none started. */
  readonly execution: {
    readonly name: string;
    readonly status: string;
    readonly error: string | null;
    readonly transitions: number;
    readonly historyEvents: number;
  } | null;
  /** The mitigation task when the execution ended (DescribeAuditMitigationActionsTask); null when none ran (dry-run). */
  readonly mitigationTask: TaskDocument | null;
  /**
   * The wait for an operator's approval of the checks a cap held back (README "Approve what a cap held
   * back"), as the final report's summary has it; null when the execution did not wait.
   */
  readonly approval: {
    /** approved, rejected, timed-out or not-awaited. */
    readonly status: string;
    readonly checks: readonly string[];
    readonly taskId: string;
    /** Who approved, as the request said; null unless approved. */
    readonly requestedBy: string | null;
    /** The report the execution published as it began to wait (with the approve commands). */
    readonly waitingReport: string;
    /** The approved task `<execution>-a1` when the execution ended; null when none ran. */
    readonly task: TaskDocument | null;
  } | null;
  /** The report published to the reports topic (the last one: a waiting execution publishes two); null when none was. */
  readonly report: {
    readonly subject: string | null;
    /** The text a person reads. */
    readonly text: string;
    /** The `report` message attribute: the state machine's summary, or the planner's held-back summary. */
    readonly summary: NonNullable<DemoResult['reportSummary']> | null;
  } | null;
  /**
   * The state machine's verification audit (README "Verification"), as the report's summary has it:
   * status, the audit's id, per check before/after and the resources not fixed; null when none was
   * tried (a dry run, no mitigated check with a fixing action, verify: false, a task that did not complete).
   */
  readonly verification: VerificationReport | null;
  readonly fleet: { readonly before: FleetSummary; readonly after: FleetSummary };
  /**
   * Non-compliant resources per check: the audit, and the verification audit's counts of the checks it
   * audited again (null when no verification completed).
   */
  readonly nonCompliant: {
    readonly before: Readonly<Record<string, number>>;
    readonly after: Readonly<Record<string, number>> | null;
  };
  /** Virtual time from the audit to the execution's end (0 when none started). */
  readonly virtualMs: number;
  readonly realMs: number;
  /** The process's peak resident memory (max RSS), in MB, as the "Done:" line prints it. */
  readonly peakRssMb: number;
}

/** A mitigation task when the execution ended, as DescribeAuditMitigationActionsTask answered. */
export interface TaskDocument {
  readonly taskId: string;
  readonly status: string;
  /** Per check, as AWS names them: totalFindingsCount, succeededFindingsCount, failedFindingsCount, ... */
  readonly statistics: Readonly<Record<string, TaskStatisticsForAuditCheck>>;
  /** Summed over the checks, as the human progress line prints them. */
  readonly findingsHandled: number;
  readonly findingsTotal: number;
}

export interface StartInputs {
  readonly startedAt: Date;
  readonly preset: string;
  readonly switchValue: string;
  readonly policyFile: string;
  readonly peakRssMb: number;
}

/** The outcome the "Done:" line names. */
export function demoOutcome(result: DemoResult): string {
  return result.outcome?.status ?? result.planned.outcome;
}

export function startDocument(result: DemoResult, inputs: StartInputs): StartDocument {
  return {
    schemaVersion: 1,
    command: 'npm start',
    startedAt: inputs.startedAt.toISOString(),
    preset: inputs.preset,
    switch: inputs.switchValue,
    policyFile: inputs.policyFile,
    stackName: result.stackName,
    audits: (result.rounds?.length ?? 0) + 1,
    earlierAudits: (result.rounds ?? []).map(earlierAudit),
    suppressions:
      result.suppressions?.map((s) => ({
        checkName: s.checkName ?? '',
        resourceIdentifier: { ...s.resourceIdentifier },
        expirationDate: s.expirationDate?.toISOString() ?? null,
        suppressIndefinitely: s.suppressIndefinitely ?? false,
        description: s.description ?? null,
      })) ?? null,
    auditTaskId: result.auditTaskId,
    outcome: demoOutcome(result),
    planner: result.planned,
    plan: planOf(result),
    execution: executionOf(result.planned, result.outcome, result.history),
    mitigationTask: taskDocument(result.mitigationTask),
    approval: approvalOf(result),
    report:
      result.report === undefined
        ? null
        : {
            subject: result.reportSubject ?? null,
            text: result.report,
            summary: result.reportSummary ?? null,
          },
    verification:
      result.reportSummary && 'verification' in result.reportSummary
        ? (result.reportSummary.verification ?? null)
        : null,
    fleet: { before: result.fleetBefore, after: result.fleetAfter },
    nonCompliant: { before: result.nonCompliant.before, after: result.nonCompliant.after ?? null },
    virtualMs: result.virtualMs,
    realMs: result.realMs,
    peakRssMb: inputs.peakRssMb,
  };
}

function taskDocument(task: MitigationTaskAtEnd | undefined): TaskDocument | null {
  if (task === undefined) return null;
  return {
    taskId: task.taskId,
    status: task.taskStatus,
    statistics: task.taskStatistics,
    ...findingCounts(task.taskStatistics),
  };
}

function approvalOf(result: DemoResult): StartDocument['approval'] {
  const summary = result.reportSummary;
  const approval = summary && 'approval' in summary ? summary.approval : undefined;
  if (result.approval === undefined || approval === undefined) return null;
  return {
    status: approval.status,
    checks: approval.checks,
    taskId: approval.taskId,
    requestedBy: approval.requestedBy ?? null,
    waitingReport: result.approval.waitingReport,
    task: taskDocument(result.approval.task),
  };
}

function planOf(result: DemoResult): StartDocument['plan'] {
  const { plan, planned } = result;
  if (plan) {
    const checks = plan.decisions.flatMap((decision) =>
      decision.outcome === 'mitigate'
        ? [
            {
              checkName: decision.checkName,
              actions: plan.auditCheckToActionsMapping[decision.checkName] ?? [],
              reasonCodes: plan.target.auditCheckToReasonCodeFilter[decision.checkName] ?? [],
              nonCompliantResourcesCount: decision.nonCompliantResourcesCount,
              totalResourcesCount: decision.totalResourcesCount,
            },
          ]
        : [],
    );
    return {
      executionName: plan.names.executionName,
      mode: plan.mode.effective,
      checks,
      heldBack: heldBackChecks(plan.decisions),
      loopGuard: plan.loopGuard ?? null,
      summary: plan.summary,
    };
  }
  // Every check held back: the planner's answer names them; no plan was started.
  if (planned.outcome === 'nothing-to-do' && planned.heldBack)
    return {
      executionName: null,
      mode: null,
      checks: [],
      heldBack: planned.heldBack,
      loopGuard: null,
      summary: null,
    };
  return null;
}

function earlierAudit(round: Round): StartDocument['earlierAudits'][number] {
  return {
    auditTaskId: round.auditTaskId,
    outcome: round.outcome?.status ?? round.planned.outcome,
    executionName: round.planned.outcome === 'started' ? round.planned.executionName : null,
    checks: Object.keys(round.plan?.auditCheckToActionsMapping ?? {}),
    loopGuard: round.plan?.loopGuard ?? null,
    verificationAudits: round.verifications.map((v) => ({
      auditTaskId: v.auditTaskId,
      planner: v.planned.outcome,
    })),
  };
}

function executionOf(
  planned: PlanRemediationResult,
  outcome: DemoResult['outcome'],
  history: HistoryCounts | undefined,
): StartDocument['execution'] {
  if (planned.outcome !== 'started' || !outcome) return null;
  return {
    name: planned.executionName,
    status: outcome.status,
    error: outcome.error ?? null,
    transitions: history?.transitions ?? 0,
    historyEvents: history?.historyEvents ?? 0,
  };
}

function findingCounts(statistics: Readonly<Record<string, TaskStatisticsForAuditCheck>>): {
  findingsHandled: number;
  findingsTotal: number;
} {
  let findingsHandled = 0;
  let findingsTotal = 0;
  for (const s of Object.values(statistics)) {
    findingsTotal += s.totalFindingsCount ?? 0;
    findingsHandled +=
      (s.succeededFindingsCount ?? 0) +
      (s.failedFindingsCount ?? 0) +
      (s.skippedFindingsCount ?? 0) +
      (s.canceledFindingsCount ?? 0);
  }
  return { findingsHandled, findingsTotal };
}
