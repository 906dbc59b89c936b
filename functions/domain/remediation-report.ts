/**
 * The report of one remediation run: what the state machine hands the report function (its state), and
 * what goes to the reports topic: a text for a person (the SNS message) and a bounded JSON summary for
 * machines, which travels apart from the text, as the message attribute `report` (the Publish state
 * sends `message.text` as the message and `message.report`, the summary's JSON, as the attribute).
 * Every outcome is reported, a dry run included; the summary's size never depends on the number of
 * findings.
 *
 * Resource names and service messages are untrusted: every value in the text and the subject is
 * escaped (functions/domain/text.ts), so none can start a line or forge a part of the report. Every
 * bound is in UTF-8 bytes, as SNS and Step Functions count them (docs/aws-facts/sns-sqs.md).
 */

import { approvalCommands } from './approval.ts';
import {
  describeResource,
  type FailedFindingsSample,
  type MitigationRecords,
  sampleFailedFindings,
} from './failed-findings.ts';
import {
  cliInputCommand,
  HAND_OVER_CLI_INPUT_HEADING,
  HAND_OVER_HEADING,
  type HandOverCliInput,
  planHandOver,
} from './hand-over.ts';
import { type LoopGuardRecord, loopGuardLines } from './loop-guard.ts';
import type { RemediationPlan } from './plan.ts';
import { asciiJson, byteLength, capped, joinLinesWithin, safe, snsSubject, truncateUtf8 } from './text.ts';
import {
  type AuditFindingsSource,
  type CheckVerification,
  compareAudits,
  type VerificationAuditAnswer,
} from './verification.ts';

/** How an execution ends (README "The remediation state machine", Outcomes); the first two succeed. */
export const OUTCOME_NAMES = [
  'Completed',
  'DryRun',
  'TaskFailed',
  'TaskCanceled',
  'DeadlineExceeded',
  'StartRejected',
  'Paused',
  'PlanRefused',
  'Unexpected',
  // Every check to act on was held back by a cap: the execution waited for an approval (approval.ts).
  'HeldBack',
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
  /** The wait for an approval of held-back checks and what came of it (remediation.asl.json, AwaitApproval and after). */
  readonly approval?: ApprovalState;
  /** The verification audit (remediation.asl.json, VerificationPlanned and after), once one was tried. */
  readonly verification?: {
    readonly checks?: readonly string[];
    readonly start?: { readonly TaskId?: string };
    readonly audit?: VerificationAuditAnswer;
    readonly outcome?: { readonly status: 'completed' | 'skipped'; readonly cause: string };
  };
}

/** The state machine's `$.approval`: written when the execution starts to wait, completed as it ends. */
export interface ApprovalState {
  readonly status: 'waiting' | 'approved' | 'rejected' | 'timed-out' | 'not-awaited';
  readonly checks?: readonly string[];
  readonly taskId?: string;
  readonly timeoutSeconds?: number;
  readonly eventBusName?: string;
  readonly decision?: { readonly checks?: readonly string[]; readonly requestedBy?: string };
  readonly error?: { readonly Error?: string; readonly Cause?: string };
  readonly outcome?: { readonly name: OutcomeName; readonly cause: string };
  readonly firstOutcome?: { readonly name: OutcomeName; readonly cause: string };
  readonly task?: {
    readonly TaskStatus?: string;
    readonly TaskStatistics?: Readonly<Record<string, CheckStatisticsResult>>;
  };
  readonly poll?: { readonly count: number };
}

/** What the report says of the approval (README "Approve what a cap held back"). */
export interface ApprovalReport {
  readonly status: ApprovalState['status'];
  readonly checks: readonly string[];
  readonly taskId: string;
  /** While waiting: how long, and the exact commands that approve (the token is never in a report). */
  readonly timeoutSeconds?: number;
  readonly howTo?: { readonly npm: string; readonly putEvents: string };
  /** Approved: which checks, by whom (the request's own word), and the approved task. */
  readonly approvedChecks?: readonly string[];
  readonly requestedBy?: string;
  /** Rejected: the rejection's cause (who, as the request said). */
  readonly cause?: string;
  readonly task?: { readonly status?: string; readonly polls: number };
  readonly statistics?: Readonly<Record<string, CheckStatistics>>;
  /** The execution's own task's outcome, once the approved task's decided the execution's. */
  readonly firstOutcome?: { readonly name: OutcomeName; readonly cause: string };
}

/** What the report says of the verification audit (README "Verification"). */
export interface VerificationReport {
  /** completed: the two audits were compared; skipped: why not is the cause. The remediation succeeded either way. */
  readonly status: 'completed' | 'skipped';
  readonly auditTaskId?: string;
  readonly cause: string;
  readonly checks: readonly CheckVerification[];
  /** The checks whose non-compliant count did not go down (metric ChecksNotImproved). */
  readonly notImproved: readonly string[];
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
  /**
   * An operator's re-run: its number, who asked (as the request said: untrusted text; CloudTrail's
   * PutEvents record is the authority) and whether the daily limit of re-runs was lifted.
   */
  readonly rerun?: { readonly n: number; readonly requestedBy?: string; readonly forced?: true };
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
  /** The loop guard's finding: resources suppressed instead of mitigated again, and until when. */
  readonly loopGuard?: LoopGuardRecord;
  /** After an enforced task COMPLETED, when the plan asked for it (functions/domain/verification.ts). */
  readonly verification?: VerificationReport;
  /** The wait for an approval of the checks a cap held back, and what came of it. */
  readonly approval?: ApprovalReport;
  /**
   * The same task as the AWS CLI call a person would type to run or adapt it, under a task id of its
   * own (functions/domain/hand-over.ts): the shorthand command and the `--cli-input-json` document; or
   * why the plan has none.
   */
  readonly handOver?:
    | { readonly command: string; readonly cliInput: HandOverCliInput }
    | { readonly unavailable: string };
  /** Present when something was cut to keep within the byte limits below, and what. */
  readonly truncatedForSize?: {
    /** Samples of failed findings were dropped (the checks concerned say `trimmedForSize`). */
    readonly failedFindings?: true;
    /**
     * Long texts (the cause, the mode's reason, held-back details) were cut, each ending with `…`, and
     * the hand-over left out (its `unavailable` says so).
     */
    readonly fields?: true;
    /** The message's last lines were left out; its last line says how many. */
    readonly text?: true;
  };
}

export interface ReportMessage {
  /** For machines: the execution's output, and (as `message.report`) the `report` attribute. */
  readonly summary: RemediationReport;
  /** Printable ASCII, fewer than 100 characters, as SNS requires. */
  readonly subject: string;
  /** What the Publish state sends to the reports topic. */
  readonly message: {
    /** The SNS message: text for a person and nothing else; every value in it is escaped. */
    readonly text: string;
    /**
     * The `report` attribute: `summary`'s JSON, printable ASCII (`asciiJson`). The function writes it,
     * not the state machine: its bytes are known exactly, and no intrinsic touches it (the local engine,
     * aws-local-stepfunctions 3.0.0, strips every backslash from an intrinsic's result).
     */
    readonly report: string;
  };
}

export interface ReportOptions {
  readonly callBudgetPerCheck?: number | undefined;
  readonly sampleSize?: number;
  /** The report attribute (the summary's JSON, ASCII) is kept within this many bytes, samples first. */
  readonly maxSummaryBytes?: number;
  /** ListAuditFindings for the verification's comparison; without it, counts only. */
  readonly auditFindings?: AuditFindingsSource | undefined;
}

/** The summary's own bound: a quarter of what SNS admits, the text takes the rest. */
export const MAX_SUMMARY_BYTES = 65_536;

/**
 * SNS: a message, with all its attributes (each one's name, type and value), is at most 262,144
 * bytes (https://docs.aws.amazon.com/sns/latest/api/API_MessageAttributeValue.html). Step Functions: a
 * task's parameters and result and a state's input and output are at most 262,144 bytes of UTF-8
 * (https://docs.aws.amazon.com/step-functions/latest/dg/limits.html). docs/aws-facts/sns-sqs.md.
 */
export const SNS_MESSAGE_LIMIT_BYTES = 262_144;
export const STATE_PAYLOAD_LIMIT_BYTES = 262_144;
/**
 * Kept free below each limit: the Lambda invoke result's metadata around its Payload (status code,
 * executed version, HTTP headers, request id), which the state holds beside the answer.
 */
export const HEADROOM_BYTES = 4_096;

/** The UTF-8 bytes of a value's JSON: how Step Functions measures a payload. */
const jsonBytes = (value: unknown) => byteLength(JSON.stringify(value));

/** The SNS message attribute that carries the summary's JSON (set by the Publish state). */
export const REPORT_ATTRIBUTE = 'report';

/** A cause may be 32,768 characters; the text shows its first 8 KiB, the summary keeps it whole. */
const MAX_CAUSE_TEXT_BYTES = 8_192;
/** When nothing else fits, each long text of the summary is cut to this. */
const MAX_FIELD_BYTES_WHEN_CUT = 2_048;

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

  const whole: RemediationReport = {
    auditTaskId: plan.auditTaskId,
    executionName: plan.names.executionName,
    mitigationTaskId: plan.names.mitigationTaskId,
    ...(plan.rerun !== undefined && {
      rerun: {
        n: plan.rerun,
        ...(plan.requestedBy !== undefined && { requestedBy: plan.requestedBy }),
        ...(plan.rerunForced && { forced: true as const }),
      },
    }),
    mode: {
      effective: plan.mode.effective,
      policy: plan.mode.policy,
      switchWhenPlanned: plan.mode.switch.value,
      ...(request.switch && { switchBeforeStart: request.switch.value }),
      reason: plan.mode.reason,
    },
    outcome: {
      name: outcome.name,
      succeeded: outcome.name === 'Completed' || outcome.name === 'DryRun' || outcome.name === 'HeldBack',
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
    ...(plan.loopGuard && { loopGuard: plan.loopGuard }),
    ...(request.approval && { approval: approvalReport(request, request.approval) }),
    ...(request.verification?.outcome && {
      verification: await verificationReport(request, options.auditFindings),
    }),
    handOver: handOverSummary(plan),
  };
  return fitToLimits(request, whole, options.maxSummaryBytes ?? MAX_SUMMARY_BYTES);
}

/** The approval: how to give it while the execution waits, what came of it once the wait ended. */
function approvalReport(request: ReportRequest, approval: ApprovalState): ApprovalReport {
  const { plan } = request;
  const checks = approval.checks ?? plan.approval?.checks ?? [];
  const taskId = approval.taskId ?? plan.approval?.taskId ?? '';
  const stats = approval.task?.TaskStatistics;
  return {
    status: approval.status,
    checks,
    taskId,
    ...(approval.status === 'waiting' && {
      ...(approval.timeoutSeconds === undefined ? {} : { timeoutSeconds: approval.timeoutSeconds }),
      ...(commandNames([plan.names.executionName, ...checks, approval.eventBusName ?? '']) && {
        howTo: approvalCommands(plan.names.executionName, checks, approval.eventBusName ?? ''),
      }),
    }),
    ...(approval.decision?.checks && { approvedChecks: approval.decision.checks }),
    ...(approval.decision?.requestedBy !== undefined && { requestedBy: approval.decision.requestedBy }),
    ...(approval.status === 'rejected' &&
      approval.error?.Cause !== undefined && { cause: approval.error.Cause }),
    ...(approval.poll && {
      task: {
        ...(approval.task?.TaskStatus === undefined ? {} : { status: approval.task.TaskStatus }),
        polls: approval.poll.count,
      },
    }),
    ...(stats && {
      statistics: Object.fromEntries(Object.entries(stats).map(([check, s]) => [check, checkStatistics(s)])),
    }),
    ...(approval.firstOutcome && { firstOutcome: approval.firstOutcome }),
  };
}

const APPROVAL_STATUS_TEXT: Readonly<Record<ApprovalState['status'], string>> = {
  waiting: 'waiting for an operator',
  approved: 'approved',
  rejected: 'REJECTED: the checks stay held back',
  'timed-out': 'NOT APPROVED IN TIME: the checks stay held back',
  'not-awaited': 'NOT AWAITED (the wait could not start): the checks stay held back',
};

/**
 * Names a person may paste into a shell as they are: an execution name, a check or a bus name never
 * holds anything else, so a plan that says otherwise gets no command to copy (quotes would break out).
 */
const COMMAND_NAME = /^[A-Za-z0-9_.-]{1,256}$/;
const commandNames = (names: readonly string[]) => names.every((name) => COMMAND_NAME.test(name));

function approvalLines(approval: ApprovalReport | undefined): string[] {
  if (!approval) return [];
  const lines = [
    '',
    safe`Approval of ${approval.checks.join(', ')} (task ${approval.taskId}): ${{ escaped: APPROVAL_STATUS_TEXT[approval.status] }}.`,
  ];
  if (approval.howTo) {
    lines.push(
      `This execution waits ${duration(approval.timeoutSeconds ?? 0)} for an operator (one of the stack's OperatorPrincipalArns) to approve; approving runs the checks as task ${approval.taskId}. To approve (name fewer checks to approve fewer; add --reject to reject):`,
      // Made of plain names (commandNames) and JSON: written as they are, so they paste whole (escaping
      // would double the backslashes of the Detail's JSON string).
      approval.howTo.npm,
      'or, with the AWS CLI:',
      approval.howTo.putEvents,
    );
  }
  if (approval.approvedChecks)
    lines.push(
      safe`Approved: ${approval.approvedChecks.join(', ')}, by ${approval.requestedBy ?? 'an unnamed operator'} (the request's own word; CloudTrail's PutEvents record says who asked).`,
    );
  if (approval.cause) lines.push(safe`${capped(approval.cause, MAX_CAUSE_TEXT_BYTES)}`);
  if (approval.task)
    lines.push(
      safe`Approved task: ${approval.taskId}, ${approval.task.status ?? 'status unknown'}, ${String(approval.task.polls)} polls.`,
    );
  for (const [check, stats] of Object.entries(approval.statistics ?? {}))
    lines.push(
      safe`- ${check}: ${String(stats.succeeded)} succeeded, ${String(stats.failed)} failed, ${String(stats.skipped)} skipped, ${String(stats.canceled)} canceled of ${String(stats.total)}`,
    );
  if (approval.firstOutcome) lines.push(safe`The execution's own task: ${approval.firstOutcome.name}.`);
  return lines;
}

/** The verification audit against the remediated one, check by check; a skipped one says why. */
async function verificationReport(
  request: ReportRequest,
  source: AuditFindingsSource | undefined,
): Promise<VerificationReport> {
  const { plan } = request;
  const verification = request.verification!;
  const outcome = verification.outcome!;
  const auditTaskId = verification.start?.TaskId;
  const base = { cause: outcome.cause, ...(auditTaskId === undefined ? {} : { auditTaskId }) };
  if (outcome.status !== 'completed' || auditTaskId === undefined || verification.audit === undefined)
    return { status: 'skipped', ...base, checks: [], notImproved: [] };
  const checks = (verification.checks ?? plan.verification?.checks ?? []).map((checkName) => ({
    checkName,
    before: plannedFindings(plan, checkName),
    reasonCodes: plan.target.auditCheckToReasonCodeFilter[checkName] ?? [],
  }));
  const noFindings: AuditFindingsSource = { page: async () => ({ findings: [] }) };
  const compared = await compareAudits(
    {
      auditTaskId: plan.target.auditTaskId,
      verificationAuditTaskId: auditTaskId,
      checks,
      verificationAudit: verification.audit,
    },
    source ?? noFindings,
    { describe: (r) => describeResource(r.resourceType, r.resourceIdentifier) },
  );
  return {
    status: 'completed',
    ...base,
    checks: compared,
    notImproved: compared.filter((c) => !c.improved).map((c) => c.checkName),
  };
}

function handOverSummary(plan: RemediationPlan): NonNullable<RemediationReport['handOver']> {
  const result = planHandOver(plan);
  return result.ok
    ? { command: result.handOver.command, cliInput: result.handOver.cliInput }
    : { unavailable: `${result.field}: ${result.error}` };
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

/**
 * The report within every byte limit it meets on its way: its summary within `maxSummaryBytes`, the
 * SNS message with its attributes, the Publish state's parameters and the state after Report within
 * 262,144 bytes each (less HEADROOM_BYTES). Samples go first, from the longest lists; then long texts
 * are cut; then the text's last lines. A report must always be deliverable: when even that fails, the
 * function fails and the state machine publishes its report without details.
 */
function fitToLimits(
  request: ReportRequest,
  whole: RemediationReport,
  maxSummaryBytes: number,
): ReportMessage {
  const subject = subjectOf(whole);
  const largest = Math.max(0, ...whole.checks.map((c) => c.failedFindings?.findings.length ?? 0));
  for (let keep = largest; keep >= 0; keep--) {
    const summary = keepSamples(whole, keep);
    if (asciiJson(summary).length > maxSummaryBytes) continue;
    const report = reportMessage(summary, subject, reportText(summary));
    if (withinLimits(request, report)) return report;
  }
  const cut = cutFields(keepSamples(whole, 0));
  const withCutFields = reportMessage(cut, subject, reportText(cut));
  if (withinLimits(request, withCutFields)) return withCutFields;
  const summary = addTruncated(cut, { text: true });
  const { text, omitted } = joinLinesWithin(
    reportLines(summary),
    (candidate) => withinLimits(request, reportMessage(summary, subject, candidate)),
    (omitted) =>
      `[${omitted} more lines left out to fit the SNS message limit (${SNS_MESSAGE_LIMIT_BYTES} bytes with its attributes); the summary is in the ${REPORT_ATTRIBUTE} attribute]`,
  );
  if (omitted === reportLines(summary).length && text === '')
    throw new Error(
      `the report does not fit in ${SNS_MESSAGE_LIMIT_BYTES} bytes even without its text (state ${jsonBytes(request)} bytes)`,
    );
  return reportMessage(summary, subject, text);
}

function reportMessage(summary: RemediationReport, subject: string, text: string): ReportMessage {
  return { summary, subject, message: { text, report: asciiJson(summary) } };
}

/** The report with at most `keep` samples per check, marked where some were dropped. */
function keepSamples(report: RemediationReport, keep: number): RemediationReport {
  let dropped = false;
  const checks = report.checks.map((check) => {
    if (!check.failedFindings || check.failedFindings.findings.length <= keep) return check;
    dropped = true;
    return {
      ...check,
      failedFindings: {
        ...check.failedFindings,
        findings: check.failedFindings.findings.slice(0, keep),
        trimmedForSize: true as const,
      },
    };
  });
  return dropped ? addTruncated({ ...report, checks }, { failedFindings: true }) : report;
}

const HAND_OVER_LEFT_OUT = 'left out to fit the size limits';

/** Every long text of the summary cut to MAX_FIELD_BYTES_WHEN_CUT and the hand-over left out, marked if any was. */
function cutFields(report: RemediationReport): RemediationReport {
  const cut = (text: string) => truncateUtf8(text, MAX_FIELD_BYTES_WHEN_CUT);
  const fitted: RemediationReport = {
    ...report,
    mode: { ...report.mode, reason: cut(report.mode.reason) },
    outcome: { ...report.outcome, cause: cut(report.outcome.cause) },
    heldBack: report.heldBack.map((held) => ({ ...held, detail: cut(held.detail) })),
    // The hand-over goes with the long texts: `npm run plan` prints it again from the plan.
    ...(report.handOver && 'command' in report.handOver && { handOver: { unavailable: HAND_OVER_LEFT_OUT } }),
  };
  return asciiJson(fitted) === asciiJson(report) ? report : addTruncated(fitted, { fields: true });
}

function addTruncated(
  report: RemediationReport,
  what: NonNullable<RemediationReport['truncatedForSize']>,
): RemediationReport {
  return { ...report, truncatedForSize: { ...report.truncatedForSize, ...what } };
}

/**
 * Whether the report keeps within SNS's and Step Functions' limits, less HEADROOM_BYTES: the SNS
 * message (text, subject and every attribute's name, type and value), the Publish state's parameters
 * and the state after Report (its input and the function's answer), each in UTF-8 bytes of its JSON.
 */
export function withinLimits(request: ReportRequest, report: ReportMessage): boolean {
  const attributes = reportAttributes(report);
  const sns =
    byteLength(report.message.text) +
    byteLength(report.subject) +
    Object.entries(attributes).reduce(
      (sum, [name, value]) =>
        sum + byteLength(name) + byteLength(value.DataType) + byteLength(value.StringValue),
      0,
    );
  const parameters = jsonBytes({
    TopicArn: 'x'.repeat(256),
    Subject: report.subject,
    Message: report.message.text,
    MessageAttributes: attributes,
  });
  const state = jsonBytes(request) + jsonBytes({ report: { Payload: report } });
  const limit = (bytes: number, max: number) => bytes + HEADROOM_BYTES <= max;
  return (
    limit(sns, SNS_MESSAGE_LIMIT_BYTES) &&
    limit(parameters, STATE_PAYLOAD_LIMIT_BYTES) &&
    limit(state, STATE_PAYLOAD_LIMIT_BYTES)
  );
}

/** The message attributes the Publish state (statemachine/remediation.asl.json) sends with a report. */
export function reportAttributes(
  report: ReportMessage,
): Record<string, { readonly DataType: 'String'; readonly StringValue: string }> {
  return {
    outcome: { DataType: 'String', StringValue: report.summary.outcome.name },
    auditTaskId: { DataType: 'String', StringValue: report.summary.auditTaskId },
    [REPORT_ATTRIBUTE]: { DataType: 'String', StringValue: report.message.report },
  };
}

/**
 * The summary a published report carries in its `report` attribute, as every reader gets it: the
 * Publish call's `{DataType, StringValue}` (an SQS subscription with raw delivery too) or SNS's
 * envelope and Lambda event `{Type, Value}`. Undefined without one: never read from the text.
 */
export function summaryFromAttributes(attributes: unknown): RemediationReport | undefined {
  const attribute = (attributes as Record<string, { StringValue?: unknown; Value?: unknown }> | undefined)?.[
    REPORT_ATTRIBUTE
  ];
  const json = attribute?.StringValue ?? attribute?.Value;
  if (typeof json !== 'string') return undefined;
  try {
    return JSON.parse(json) as RemediationReport;
  } catch (error) {
    throw new Error(`the ${REPORT_ATTRIBUTE} attribute is not JSON: ${(error as Error).message}`);
  }
}

const HEADLINES: Readonly<Record<OutcomeName, string>> = {
  Completed: 'completed',
  DryRun: 'dry run, nothing started',
  TaskFailed: 'TASK FAILED',
  TaskCanceled: 'TASK CANCELED',
  DeadlineExceeded: 'DEADLINE EXCEEDED, task canceled',
  StartRejected: 'START REJECTED, nothing started',
  Paused: 'PAUSED, nothing started',
  PlanRefused: 'PLAN REFUSED, nothing started',
  Unexpected: 'UNEXPECTED ERROR',
  HeldBack: 'held back by its caps',
};

function subjectOf(report: RemediationReport): string {
  return snsSubject(`Device Defender remediation ${report.executionName}: ${HEADLINES[report.outcome.name]}`);
}

/** The report as a person reads it in an e-mail: every value escaped, nothing but text. */
export function reportText(report: RemediationReport): string {
  return reportLines(report).join('\n');
}

function reportLines(report: RemediationReport): string[] {
  const { mode, outcome, task } = report;
  const lines = [
    safe`Device Defender remediation of audit ${report.auditTaskId}: ${HEADLINES[outcome.name]}`,
    '',
    safe`${capped(outcome.cause, MAX_CAUSE_TEXT_BYTES)}`,
    '',
    safe`Mode: ${mode.effective} (policy ${mode.policy}, switch ${mode.switchWhenPlanned} when planned${{
      escaped: mode.switchBeforeStart === undefined ? '' : safe`, ${mode.switchBeforeStart} before the start`,
    }}): ${mode.reason}.`,
  ];
  if (report.rerun)
    lines.push(
      safe`Re-run ${String(report.rerun.n)}, requested by ${report.rerun.requestedBy ?? 'an unnamed operator'}${{
        escaped: report.rerun.forced ? ', forced past the daily limit of re-runs' : '',
      }} (the request's own word; CloudTrail's PutEvents record says who asked).`,
    );
  if (task)
    lines.push(
      safe`Mitigation task: ${task.taskId}, ${task.status ?? 'status unknown'}, ${task.polls} poll${{ escaped: task.polls === 1 ? '' : 's' }}${{
        escaped: task.polledForSeconds === undefined ? '' : ` over ${duration(task.polledForSeconds)}`,
      }}.`,
    );
  else lines.push(safe`Mitigation task: ${report.mitigationTaskId}, not started.`);
  if (report.capacity)
    lines.push(
      `Waited ${duration(report.capacity.waitedSeconds)} for capacity in ${report.capacity.waits} waits: 10 tasks were running.`,
    );

  lines.push('', outcome.name === 'DryRun' || !task ? 'Checks planned:' : 'Checks:');
  for (const check of report.checks) {
    lines.push(
      safe`- ${check.checkName}: ${check.actions.join(', ')} (reason codes ${check.reasonCodes.join(', ')})`,
    );
    const stats = check.statistics;
    if (stats)
      lines.push(
        `    ${stats.succeeded} succeeded, ${stats.failed} failed, ${stats.skipped} skipped, ${stats.canceled} canceled of ${stats.total} finding${stats.total === 1 ? '' : 's'}`,
      );
    else
      lines.push(
        `    ${check.plannedFindings} finding${check.plannedFindings === 1 ? '' : 's'} ${task ? 'planned' : 'would be mitigated'}`,
      );
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
          safe`      ${f.findingId} ${f.resource}: ${f.actionName} failed, ${f.errorCode}: ${f.message}`,
        );
    }
  }
  if (report.verification) lines.push('', ...verificationLines(report.verification));
  lines.push(...approvalLines(report.approval));
  if (report.heldBack.length > 0) {
    lines.push('', 'Held back (above a cap, not mitigated):');
    for (const held of report.heldBack) lines.push(safe`- ${held.checkName}: ${held.detail}`);
  }
  lines.push(...loopGuardLines(report.loopGuard));
  if (report.skippedChecks > 0)
    lines.push('', `${report.skippedChecks} checks skipped (see the plan's decisions).`);
  lines.push(...handOverText(report.handOver));
  const truncated = report.truncatedForSize;
  if (truncated?.failedFindings || truncated?.fields)
    lines.push(
      '',
      `Cut to fit the size limits (SNS: ${SNS_MESSAGE_LIMIT_BYTES} bytes with the attributes; Step Functions: ${STATE_PAYLOAD_LIMIT_BYTES} bytes): ${[
        truncated.failedFindings ? 'samples of failed findings' : '',
        truncated.fields ? 'long texts, each ending with …' : '',
      ]
        .filter(Boolean)
        .join(' and ')}.`,
    );
  return lines;
}

/** The hand-over, whole: its names are plain (hand-over.ts), so escaping leaves the commands as they are. */
function handOverText(handOver: RemediationReport['handOver']): string[] {
  if (!handOver) return [];
  if ('unavailable' in handOver)
    return ['', safe`No AWS CLI command for this task: ${handOver.unavailable}.`];
  const whole = (text: string) => capped(text, Number.POSITIVE_INFINITY);
  return [
    '',
    HAND_OVER_HEADING,
    safe`${whole(handOver.command)}`,
    HAND_OVER_CLI_INPUT_HEADING,
    safe`${whole(cliInputCommand(handOver.cliInput))}`,
  ];
}

function verificationLines(verification: VerificationReport): string[] {
  if (verification.status === 'skipped')
    return [safe`Verification skipped: ${capped(verification.cause, MAX_CAUSE_TEXT_BYTES)}`];
  const lines = [
    safe`Verification (audit ${verification.auditTaskId ?? 'unknown'}): ${verification.notImproved.length === 0 ? 'every verified check improved' : `${verification.notImproved.length} check${verification.notImproved.length === 1 ? '' : 's'} NOT IMPROVED: ${verification.notImproved.join(', ')}`}.`,
  ];
  for (const check of verification.checks) {
    const after = check.after === undefined ? 'not audited again' : `${check.after} after`;
    lines.push(
      safe`- ${check.checkName}: ${String(check.before)} non-compliant before, ${after}${{ escaped: check.improved ? '' : ', NOT IMPROVED' }}`,
    );
    const unfixed = check.unfixed;
    if (unfixed && unfixed.count > 0) {
      lines.push(
        `    ${unfixed.count}${unfixed.complete ? '' : ' or more'} resource${unfixed.count === 1 ? '' : 's'} the mitigation targeted still non-compliant${unfixed.resources.length < unfixed.count ? ` (first ${unfixed.resources.length} shown)` : ''}:`,
      );
      for (const resource of unfixed.resources) lines.push(safe`      ${resource}`);
    }
  }
  return lines;
}

function duration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return [h > 0 ? `${h} h` : '', m > 0 ? `${m} min` : '', s > 0 || seconds === 0 ? `${s} s` : '']
    .filter(Boolean)
    .join(' ');
}
