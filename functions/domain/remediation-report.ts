/**
 * The report of one remediation run: what the state machine hands the report function (its state), and
 * what goes to the reports topic: a bounded JSON summary and a text for a person. Every outcome is
 * reported, a dry run included; the summary's size never depends on the number of findings.
 */
import {
  DEFAULT_SAMPLE_SIZE,
  type FailedFindingsSample,
  type MitigationRecords,
  sampleFailedFindings,
} from './failed-findings.ts';
import type { RemediationPlan } from './plan.ts';

/** How an execution ends (DESIGN "Outcomes and error names"); the first two succeed. */
export const OUTCOME_NAMES = [
  'Completed',
  'DryRun',
  'TaskFailed',
  'TaskCanceled',
  'DeadlineExceeded',
  'StartRejected',
  'Paused',
  'Unexpected',
] as const;
export type OutcomeName = (typeof OUTCOME_NAMES)[number];

/** Step Functions' PascalCase copy of a check's TaskStatisticsForAuditCheck. */
export interface CheckStatisticsResult {
  readonly TotalFindingsCount?: number;
  readonly SucceededFindingsCount?: number;
  readonly FailedFindingsCount?: number;
  readonly SkippedFindingsCount?: number;
  readonly CanceledFindingsCount?: number;
}

/** The state machine's state when it reports (remediation.asl.json); only `plan` and `outcome` are sure. */
export interface ReportRequest {
  readonly plan: RemediationPlan;
  readonly outcome: { readonly name: OutcomeName; readonly cause: string; readonly error?: string };
  readonly config?: { readonly deadlineSeconds?: number };
  readonly start?: { readonly taskId: string };
  readonly task?: {
    readonly TaskStatus: string;
    readonly TaskStatistics?: Readonly<Record<string, CheckStatisticsResult>>;
  };
  readonly poll?: { readonly count: number; readonly remainingSeconds: number };
  readonly capacity?: { readonly waits: number; readonly waitedSeconds: number };
  readonly switch?: { readonly value: string };
}

export interface CheckStatistics {
  readonly total: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly skipped: number;
  readonly canceled: number;
}

export interface CheckReport {
  readonly checkName: string;
  readonly actions: readonly string[];
  readonly reasonCodes: readonly string[];
  /** Non-compliant, unsuppressed findings when the plan was made. */
  readonly plannedFindings: number;
  readonly statistics?: CheckStatistics;
  readonly failedFindings?: FailedFindingsSample & { readonly trimmedForSize?: true };
}

export interface RemediationReport {
  readonly auditTaskId: string;
  readonly executionName: string;
  readonly mitigationTaskId: string;
  readonly mode: {
    readonly effective: string;
    readonly policy: string;
    readonly switchWhenPlanned: string;
    readonly switchBeforeStart?: string;
    readonly reason: string;
  };
  readonly outcome: {
    readonly name: OutcomeName;
    readonly succeeded: boolean;
    readonly error?: string;
    readonly cause: string;
  };
  /** Present once a task was started. */
  readonly task?: {
    readonly taskId: string;
    readonly status?: string;
    readonly polls: number;
    readonly polledForSeconds?: number;
  };
  readonly capacity?: { readonly waits: number; readonly waitedSeconds: number };
  readonly checks: readonly CheckReport[];
  readonly heldBack: readonly {
    readonly checkName: string;
    readonly reason: string;
    readonly detail: string;
  }[];
  readonly skippedChecks: number;
}

export interface ReportMessage {
  readonly summary: RemediationReport;
  /** At most 100 printable ASCII characters, as SNS requires. */
  readonly subject: string;
  /** The text for a person, then the summary as JSON. */
  readonly message: string;
}

export interface ReportOptions {
  readonly callBudgetPerCheck?: number | undefined;
  readonly sampleSize?: number;
  /** The summary's JSON is kept under this many characters by trimming samples (payloads cap at 256 KB). */
  readonly maxSummaryLength?: number;
}

export const MAX_SUMMARY_LENGTH = 60_000;

export class InvalidReportRequest extends Error {
  override readonly name = 'InvalidReportRequest';
}

/** Checks the little the report relies on; anything else in the state is read defensively. */
export function parseReportRequest(input: unknown): ReportRequest {
  const request = input as Partial<ReportRequest> | null;
  const plan = request?.plan;
  if (plan?.kind !== 'plan' || typeof plan.names?.mitigationTaskId !== 'string')
    throw new InvalidReportRequest('plan: expected a RemediationPlan with names');
  const name = request?.outcome?.name;
  if (!(OUTCOME_NAMES as readonly unknown[]).includes(name))
    throw new InvalidReportRequest(
      `outcome.name: expected one of ${OUTCOME_NAMES.join(', ')}, got ${String(name)}`,
    );
  return request as ReportRequest;
}

export async function buildRemediationReport(
  request: ReportRequest,
  records: MitigationRecords,
  options: ReportOptions = {},
): Promise<ReportMessage> {
  const { plan, outcome } = request;
  const taskId = request.start?.taskId;
  const statistics = request.task?.TaskStatistics ?? {};
  const checks: CheckReport[] = [];
  for (const [checkName, actions] of Object.entries(plan.auditCheckToActionsMapping)) {
    const reasonCodes = plan.target.auditCheckToReasonCodeFilter[checkName] ?? [];
    const stats = statistics[checkName] && checkStatistics(statistics[checkName]);
    const failedFindings =
      taskId !== undefined && stats && stats.failed > 0
        ? await sampleFailedFindings(records, {
            auditTaskId: plan.target.auditTaskId,
            mitigationTaskId: taskId,
            checkName,
            reasonCodes,
            failedFindingsCount: stats.failed,
            ...(options.callBudgetPerCheck === undefined ? {} : { callBudget: options.callBudgetPerCheck }),
            ...(options.sampleSize === undefined ? {} : { sampleSize: options.sampleSize }),
          })
        : undefined;
    checks.push({
      checkName,
      actions,
      reasonCodes,
      plannedFindings: plannedFindings(plan, checkName),
      ...(stats && { statistics: stats }),
      ...(failedFindings && { failedFindings }),
    });
  }

  const summary = fitToLength(
    {
      auditTaskId: plan.auditTaskId,
      executionName: plan.names.executionName,
      mitigationTaskId: plan.names.mitigationTaskId,
      mode: {
        effective: plan.mode.effective,
        policy: plan.mode.policy,
        switchWhenPlanned: plan.mode.switch.value,
        ...(request.switch && { switchBeforeStart: request.switch.value }),
        reason: plan.mode.reason,
      },
      outcome: {
        name: outcome.name,
        succeeded: outcome.name === 'Completed' || outcome.name === 'DryRun',
        ...(outcome.error === undefined ? {} : { error: outcome.error }),
        cause: outcome.cause,
      },
      ...(taskId !== undefined && { task: taskSummary(request, taskId) }),
      ...(request.capacity &&
        request.capacity.waits > 0 && {
          capacity: { waits: request.capacity.waits, waitedSeconds: request.capacity.waitedSeconds },
        }),
      checks,
      heldBack: plan.decisions.flatMap((d) =>
        d.outcome === 'hold-back' ? [{ checkName: d.checkName, reason: d.reason, detail: d.detail }] : [],
      ),
      skippedChecks: plan.decisions.filter((d) => d.outcome === 'skip').length,
    },
    options.maxSummaryLength ?? MAX_SUMMARY_LENGTH,
  );
  return {
    summary,
    subject: subjectOf(summary),
    message: `${reportText(summary)}\n\n--- JSON ---\n${JSON.stringify(summary)}`,
  };
}

function checkStatistics(result: CheckStatisticsResult): CheckStatistics {
  return {
    total: result.TotalFindingsCount ?? 0,
    succeeded: result.SucceededFindingsCount ?? 0,
    failed: result.FailedFindingsCount ?? 0,
    skipped: result.SkippedFindingsCount ?? 0,
    canceled: result.CanceledFindingsCount ?? 0,
  };
}

function plannedFindings(plan: RemediationPlan, checkName: string): number {
  const decision = plan.decisions.find((d) => d.checkName === checkName);
  if (!decision) return 0;
  return Math.max(
    0,
    decision.nonCompliantResourcesCount - (decision.suppressedNonCompliantResourcesCount ?? 0),
  );
}

function taskSummary(request: ReportRequest, taskId: string): NonNullable<RemediationReport['task']> {
  const deadline = request.config?.deadlineSeconds;
  const remaining = request.poll?.remainingSeconds;
  return {
    taskId,
    ...(request.task && { status: request.task.TaskStatus }),
    polls: request.poll?.count ?? 0,
    // The waits are what moves the poll counter, so this is the time followed, give or take retries.
    ...(deadline !== undefined && remaining !== undefined && { polledForSeconds: deadline - remaining }),
  };
}

/** Drops samples from the longest lists until the JSON fits: a report must always be deliverable. */
function fitToLength(report: RemediationReport, maxLength: number): RemediationReport {
  let fitted = report;
  for (let keep = DEFAULT_SAMPLE_SIZE; JSON.stringify(fitted).length > maxLength && keep >= 0; keep--) {
    fitted = {
      ...report,
      checks: report.checks.map((check) =>
        check.failedFindings && check.failedFindings.findings.length > keep
          ? {
              ...check,
              failedFindings: {
                ...check.failedFindings,
                findings: check.failedFindings.findings.slice(0, keep),
                trimmedForSize: true,
              },
            }
          : check,
      ),
    };
  }
  return fitted;
}

const HEADLINES: Readonly<Record<OutcomeName, string>> = {
  Completed: 'completed',
  DryRun: 'dry run, nothing started',
  TaskFailed: 'TASK FAILED',
  TaskCanceled: 'TASK CANCELED',
  DeadlineExceeded: 'DEADLINE EXCEEDED, task canceled',
  StartRejected: 'START REJECTED, nothing started',
  Paused: 'PAUSED, nothing started',
  Unexpected: 'UNEXPECTED ERROR',
};

function subjectOf(report: RemediationReport): string {
  const subject = `Device Defender remediation ${report.executionName}: ${HEADLINES[report.outcome.name]}`;
  // SNS subjects: ASCII without control characters, at most 100 characters.
  return subject.replace(/[^\x20-\x7e]/g, '?').slice(0, 100);
}

/** The report as a person reads it in an e-mail. */
export function reportText(report: RemediationReport): string {
  const { mode, outcome, task } = report;
  const lines = [
    `Device Defender remediation of audit ${report.auditTaskId}: ${HEADLINES[outcome.name]}`,
    '',
    outcome.cause,
    '',
    `Mode: ${mode.effective} (policy ${mode.policy}, switch ${mode.switchWhenPlanned} when planned${
      mode.switchBeforeStart === undefined ? '' : `, ${mode.switchBeforeStart} before the start`
    }): ${mode.reason}.`,
  ];
  if (task)
    lines.push(
      `Mitigation task: ${task.taskId}, ${task.status ?? 'status unknown'}, ${task.polls} polls${
        task.polledForSeconds === undefined ? '' : ` over ${duration(task.polledForSeconds)}`
      }.`,
    );
  else lines.push(`Mitigation task: ${report.mitigationTaskId}, not started.`);
  if (report.capacity)
    lines.push(
      `Waited ${duration(report.capacity.waitedSeconds)} for capacity in ${report.capacity.waits} waits: 10 tasks were running.`,
    );

  lines.push('', outcome.name === 'DryRun' || !task ? 'Checks planned:' : 'Checks:');
  for (const check of report.checks) {
    lines.push(
      `- ${check.checkName}: ${check.actions.join(', ')} (reason codes ${check.reasonCodes.join(', ')})`,
    );
    const stats = check.statistics;
    if (stats)
      lines.push(
        `    ${stats.succeeded} succeeded, ${stats.failed} failed, ${stats.skipped} skipped, ${stats.canceled} canceled of ${stats.total} findings`,
      );
    else lines.push(`    ${check.plannedFindings} findings ${task ? 'planned' : 'would be mitigated'}`);
    const failed = check.failedFindings;
    if (failed) {
      const shown = failed.findings.length;
      const note = failed.trimmedForSize
        ? ', trimmed to fit the message'
        : failed.complete
          ? ''
          : `; the search stopped after its budget of ${failed.apiCalls} API calls, so the sample is incomplete`;
      lines.push(`    Failed findings (${shown} of ${stats?.failed ?? shown} shown${note}):`);
      for (const f of failed.findings)
        lines.push(
          `      ${f.findingId} ${f.resource}: ${f.actionName} failed, ${f.errorCode}: ${f.message}`,
        );
    }
  }
  if (report.heldBack.length > 0) {
    lines.push('', 'Held back (above a cap, not mitigated):');
    for (const held of report.heldBack) lines.push(`- ${held.checkName}: ${held.detail}`);
  }
  if (report.skippedChecks > 0)
    lines.push('', `${report.skippedChecks} checks skipped (see the plan's decisions).`);
  return lines.join('\n');
}

function duration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return [h > 0 ? `${h} h` : '', m > 0 ? `${m} min` : '', s > 0 || seconds === 0 ? `${s} s` : '']
    .filter(Boolean)
    .join(' ');
}
