/**
 * The remediation story, end to end on the local stack: an audit of the emulated fleet ends, its
 * notification goes through the template's wiring (SNS topic -> SQS -> Pipe -> event bus -> rule) to
 * the real planner as an "Audit Completed" event, the planner's real SFN client starts the real state
 * machine, which starts and follows the mitigation task, audits the checks it fixed again (its
 * verification audit) and reports; the report's verification shows them before and after. With `audits` above 1, the fleet's daily scheduled audit runs that many
 * days in a row through the stack, the last one shown in full: the loop guard's case (a certificate
 * its owner re-activates) is suppressed at the fourth.
 */
import {
  type AuditSuppression,
  DescribeAccountAuditConfigurationCommand,
  DescribeAuditMitigationActionsTaskCommand,
  ListAuditSuppressionsCommand,
  StartOnDemandAuditTaskCommand,
  type TaskStatisticsForAuditCheck,
} from '@aws-sdk/client-iot';
import {
  type AuditNotification,
  type ExecutionOutcome,
  type FleetSummary,
  type LocalExecution,
  type LocalStack,
  OPERATOR_ROLE_ARN,
  plannerResult,
  startLocalStack,
} from '@device-defender-remediation/local-cloud';
import { APPROVAL_DETAIL_TYPE, approvalCommands } from '#domain/approval';
import type { HeldBackSummary } from '#domain/held-back-report';
import { loopGuardLines } from '#domain/loop-guard';
import { approvedTaskName } from '#domain/names';
import type { RemediationPlan } from '#domain/plan';
import {
  type RemediationReport,
  summaryFromAttributes,
  type VerificationReport,
} from '#domain/remediation-report';
import { approvalEntry } from '../cli/approve.ts';
import type { PlanRemediationResult } from '../functions/plan-remediation/index.ts';

export interface DemoOptions {
  readonly preset: string;
  readonly switchValue: string;
  /** A parsed policy document; without it the bundled default policy applies. */
  readonly policy?: unknown;
  /** Findings the emulator mitigates per virtual second (the `large` preset wants more). */
  readonly findingsPerSecond?: number;
  /**
   * Approve, as the operator, every check an execution waits for (the checks a cap held back): through
   * the stack's bus and the approve-held-back function, as `npm run approve` would. Without it the
   * execution waits until ApprovalTimeoutSeconds (24 hours of virtual time) and reports that.
   */
  readonly approve?: boolean;
  /**
   * How many daily scheduled audits to remediate in a row (default 1: one on-demand audit); the last is
   * shown in full, the earlier ones a few lines each. The `demo` preset only (its DailyAudit).
   */
  readonly audits?: number;
  readonly log?: (line: string) => void;
}

export interface DemoResult {
  /** The local stack's name: the template names its resources after it. */
  readonly stackName: string;
  readonly auditTaskId: string;
  readonly planned: PlanRemediationResult;
  /** The plan the planner started the execution with (its input), when it started one. */
  readonly plan?: RemediationPlan;
  /** The mitigation task when the execution ended, as DescribeAuditMitigationActionsTask answers. */
  readonly mitigationTask?: MitigationTaskAtEnd;
  /**
   * The checks a cap held back, when the execution waited for an operator: the report it published as it
   * began to wait (with the approve command), and with `approve`, the approve function's answer and the
   * approved task `<name>-a1` when the execution ended.
   */
  readonly approval?: {
    readonly waitingReport: string;
    readonly answer?: unknown;
    readonly task?: MitigationTaskAtEnd;
  };
  readonly outcome?: ExecutionOutcome;
  readonly history?: LocalExecution['history'];
  /** The report's text, as a person reads it (the published message), and its subject. */
  readonly report?: string;
  readonly reportSubject?: string;
  /**
   * The report's summary, as a script reads it: the `report` message attribute, never the text (the
   * planner's own report when every check was held back, else the state machine's).
   */
  readonly reportSummary?: RemediationReport | HeldBackSummary;
  readonly fleetBefore: FleetSummary;
  readonly fleetAfter: FleetSummary;
  /**
   * Non-compliant resources per check: the first audit, and, for the checks the state machine audited
   * again, its verification audit (suppressed findings left out); no `after` without a verification.
   */
  readonly nonCompliant: { readonly before: Record<string, number>; readonly after?: Record<string, number> };
  readonly virtualMs: number;
  readonly realMs: number;
  /** With `audits` above 1: the earlier audits, one a day, oldest first (the last is the one above). */
  readonly rounds?: readonly Round[];
  /** With `audits` above 1: the account's audit suppressions at the end (ListAuditSuppressions). */
  readonly suppressions?: readonly AuditSuppression[];
}

export interface MitigationTaskAtEnd {
  readonly taskId: string;
  readonly taskStatus: string;
  readonly taskStatistics: Record<string, TaskStatisticsForAuditCheck>;
}

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const log = options.log ?? (() => undefined);
  const realStart = Date.now();
  const stack = await startLocalStack({
    preset: options.preset,
    switchValue: options.switchValue,
    ...(options.policy === undefined ? {} : { policy: options.policy }),
  });
  const virtualStart = stack.clock.now();
  const clock = () =>
    `[virtual +${formatDuration(stack.clock.now() - virtualStart)}, real ${((Date.now() - realStart) / 1000).toFixed(1)} s]`;
  try {
    if (options.findingsPerSecond)
      stack.emulator.service.setTaskProgress({ findingsPerSecond: options.findingsPerSecond });
    const fleetBefore = stack.emulator.service.fleetSummary();
    log(`Emulated fleet (${options.preset}): ${JSON.stringify(fleetBefore)}`);
    log(
      `Runtime switch: ${options.switchValue}; policy: ${options.policy === undefined ? 'the bundled default' : 'from the policy parameter'}`,
    );

    const repeated = (options.audits ?? 1) > 1;
    const rounds = repeated
      ? await earlierRounds(stack, (options.audits ?? 1) - 1, (line) => log(`${clock()} ${line}`))
      : undefined;
    const first = await completedAudit(
      stack,
      options.preset === 'large'
        ? undefined
        : repeated
          ? stack.emulator.service.runScheduledAudit(DAILY_AUDIT)
          : await startAudit(stack),
    );
    log(
      `${clock()} Audit ${first.taskId} ${first.taskStatus}: ${first.nonCompliantChecksCount} of ${first.totalChecksCount} checks non-compliant`,
    );
    for (const detail of first.auditDetails.filter((d) => d.nonCompliantResourcesCount > 0))
      log(
        `    ${detail.checkName.padEnd(62)} ${detail.nonCompliantResourcesCount.toLocaleString('en-US').padStart(9)} of ${detail.totalResourcesCount.toLocaleString('en-US')}`,
      );

    const planned = plannerResult<PlanRemediationResult>(await stack.publishAuditNotification(first));
    log(`${clock()} Audit Completed event -> plan-remediation: ${describePlanned(planned)}`);
    const base = {
      stackName: stack.deployed.stackName,
      auditTaskId: first.taskId,
      planned,
      fleetBefore,
      nonCompliant: { before: nonCompliantByCheck(first) },
      ...(rounds === undefined ? {} : { rounds }),
    };
    if (planned.outcome !== 'started') {
      // The planner reports an audit whose every check a cap holds back: show it, naming each cap.
      const reports = stack.topicMessages('ReportsTopic');
      for (const report of reports) {
        log('');
        log(`The report, as published to the reports topic${report.subject ? ` (${report.subject})` : ''}:`);
        log(indent(report.message));
        if (report.attributes?.report)
          log(
            `(Scripts read the summary from the message attribute "report": ${report.attributes.outcome ?? ''}.)`,
          );
      }
      const heldBack = reports.at(-1);
      return {
        ...base,
        ...(repeated ? { suppressions: await showSuppressions(stack, log) } : {}),
        ...(heldBack === undefined ? {} : { report: heldBack.message }),
        ...(heldBack?.subject === undefined ? {} : { reportSubject: heldBack.subject }),
        ...(heldBack?.attributes?.report === undefined
          ? {}
          : { reportSummary: JSON.parse(heldBack.attributes.report) as HeldBackSummary }),
        fleetAfter: stack.emulator.service.fleetSummary(),
        virtualMs: 0,
        realMs: Date.now() - realStart,
      };
    }

    const execution = stack.runner.describeExecution(planned.executionArn)!;
    const approval: { waitingReport?: string; answer?: unknown } = {};
    const onWaiting = async (): Promise<string | undefined> => {
      const waiting = stack.runner.snsMessages
        .filter((m) => m.executionArn === execution.executionArn)
        .at(-1);
      approval.waitingReport = waiting?.message ?? '';
      const checks = (execution.input as RemediationPlan).approval?.checks ?? [];
      log(`${clock()} Execution ${execution.name} waits for an operator to approve ${checks.join(', ')}:`);
      log('');
      log('The report, as published to the reports topic when it began to wait:');
      log(indent(approval.waitingReport));
      log('');
      if (!options.approve) {
        log(
          `Nobody approves here (npm start -- --preset ${options.preset} --approve approves as the operator): the execution waits until ApprovalTimeoutSeconds and reports it.`,
        );
        return undefined;
      }
      approval.answer = await approveAsOperator(stack, execution.name, checks, (line) =>
        log(`${clock()} ${line}`),
      );
      return approvedTaskName(execution.name);
    };
    await followExecution(
      stack,
      execution,
      planned.executionName,
      planned.mode === 'enforce',
      (line) => log(`${clock()} ${line}`),
      onWaiting,
    );
    const outcome = await execution.result;
    const virtualMs = stack.clock.now() - virtualStart;
    const mitigationTask =
      planned.mode === 'enforce' ? await taskAtEnd(stack, planned.executionName) : undefined;
    const approvedTask =
      approval.answer === undefined ? undefined : await taskAtEnd(stack, approvedTaskName(execution.name));
    // The last report: the one the execution published when it ended (a waiting one published two).
    const published = stack.runner.snsMessages
      .filter((m) => m.executionArn === execution.executionArn)
      .at(-1);
    const report = published?.message;
    const reportSubject = published?.subject;
    const reportSummary = summaryFromAttributes(published?.messageAttributes);
    log(
      `${clock()} Execution ${execution.name} ${outcome.status}${outcome.error ? ` (${outcome.error})` : ''}; ${execution.history.transitions} state transitions, ${execution.history.historyEvents} history events`,
    );
    log('');
    log('The report, as published to the reports topic:');
    log(indent(report ?? '(no report was published)'));
    if (reportSummary)
      log(
        `(Scripts read the summary from the message attribute "report": outcome ${reportSummary.outcome.name}, ${reportSummary.checks?.length ?? 0} checks.)`,
      );
    const suppressions = repeated ? await showSuppressions(stack, log) : undefined;

    const fleetAfter = stack.emulator.service.fleetSummary();
    // The state machine's own verification audit is the "after" (README "Verification").
    const plan = execution.input as RemediationPlan;
    const verification =
      reportSummary && 'verification' in reportSummary ? reportSummary.verification : undefined;
    const after = verification?.status === 'completed' ? verifiedCounts(verification) : undefined;
    log('');
    for (const line of verificationShown(plan, verification)) log(line);
    log('');
    log('The fleet, before and after:');
    log(sideBySide(flatten({ ...fleetBefore }), flatten({ ...fleetAfter }), ''));
    return {
      ...base,
      plan,
      ...(mitigationTask === undefined ? {} : { mitigationTask }),
      ...(approval.waitingReport === undefined
        ? {}
        : {
            approval: {
              waitingReport: approval.waitingReport,
              ...(approval.answer === undefined ? {} : { answer: approval.answer }),
              ...(approvedTask === undefined ? {} : { task: approvedTask }),
            },
          }),
      outcome,
      history: execution.history,
      ...(report === undefined ? {} : { report }),
      ...(reportSubject === undefined ? {} : { reportSubject }),
      ...(reportSummary === undefined ? {} : { reportSummary }),
      fleetAfter,
      ...(suppressions === undefined ? {} : { suppressions }),
      nonCompliant: { ...base.nonCompliant, ...(after === undefined ? {} : { after }) },
      virtualMs,
      realMs: Date.now() - realStart,
    };
  } finally {
    await stack.close();
  }
}

/** Starts an on-demand audit of every check the account has enabled, as a person would. */
async function startAudit(stack: LocalStack): Promise<string> {
  const { auditCheckConfigurations = {} } = await stack.iot.send(
    new DescribeAccountAuditConfigurationCommand({}),
  );
  const enabled = Object.entries(auditCheckConfigurations)
    .filter(([, configuration]) => configuration.enabled)
    .map(([check]) => check);
  const { taskId } = await stack.iot.send(new StartOnDemandAuditTaskCommand({ targetCheckNames: enabled }));
  return taskId!;
}

/** Lets virtual time pass until the audit's notification arrives (the first one, without an id). */
async function completedAudit(stack: LocalStack, taskId: string | undefined): Promise<AuditNotification> {
  for (let waited = 0; waited < 3_600_000; waited += 5_000) {
    const notification = stack.notifications.find((n) => taskId === undefined || n.taskId === taskId);
    if (notification) return notification;
    await stack.clock.sleep(5_000);
  }
  throw new Error(`no notification for audit ${taskId ?? '(any)'} within an hour of virtual time`);
}

/**
 * The operator's approval, as `npm run approve` puts it: a "Held-Back Check Approval Requested" event on
 * the stack's bus, signed as the operator, which the template's rule hands to approve-held-back. Put
 * while virtual time stands still (an answer takes no time). The approve function's answer.
 */
async function approveAsOperator(
  stack: LocalStack,
  executionName: string,
  checks: readonly string[],
  log: (line: string) => void,
): Promise<unknown> {
  const bus = stack.deployed.physicalName(stack.deployed.resourceIds('AWS::Events::EventBus')[0]!);
  const built = approvalEntry(executionName, checks, 'approve', bus, OPERATOR_ROLE_ARN);
  if (!built.ok) throw new Error(built.errors.join('; '));
  log(`As the operator (${OPERATOR_ROLE_ARN}): ${approvalCommands(executionName, checks, bus).npm}`);
  const { EventBusName, Source, DetailType, Detail } = built.entry;
  const [put] = await stack.clock.work(() =>
    stack.putEvents([
      {
        EventBusName: String(EventBusName),
        Source: String(Source),
        DetailType: String(DetailType),
        Detail: String(Detail),
      },
    ]),
  );
  const answer = put?.invocations[0]?.result ?? put?.errorCode;
  log(`${APPROVAL_DETAIL_TYPE} -> approve-held-back: ${JSON.stringify(answer)}`);
  return answer;
}

/** The mitigation task as the execution left it (the task id is the execution's name); none if never started. */
async function taskAtEnd(stack: LocalStack, taskId: string): Promise<MitigationTaskAtEnd | undefined> {
  const task = await stack.iot
    .send(new DescribeAuditMitigationActionsTaskCommand({ taskId }))
    .catch(() => undefined);
  if (!task?.taskStatus) return undefined;
  return { taskId, taskStatus: task.taskStatus, taskStatistics: task.taskStatistics ?? {} };
}

/** Prints the mitigation task's progress whenever it changes, at about the state machine's pace. */
async function followExecution(
  stack: LocalStack,
  execution: LocalExecution,
  taskId: string,
  startsTask: boolean,
  log: (line: string) => void,
  onWaiting?: () => Promise<string | undefined>,
): Promise<void> {
  const started = stack.clock.now();
  // Where the execution keeps its token while it waits for an approval (the template's path).
  const token = `${process.env.APPROVAL_PARAMETER_PATH}/${execution.name}`;
  let waited = false;
  let following = startsTask ? taskId : undefined;
  let last = '';
  while (execution.status === 'RUNNING') {
    await stack.clock.sleep(Math.min(900_000, Math.max(5_000, (stack.clock.now() - started) / 10)));
    // In the turn the clock woke us in: an approval must reach the wait before time moves on.
    if (!waited && onWaiting && stack.parameters.get(token) !== undefined) {
      waited = true;
      following = (await onWaiting()) ?? following;
    }
    if (following === undefined) continue;
    const task = await stack.iot
      .send(new DescribeAuditMitigationActionsTaskCommand({ taskId: following }))
      .catch(() => undefined);
    if (!task?.taskStatus) continue;
    const which = following === taskId ? '' : ` ${following}`;
    const line = `mitigation task${which} ${task.taskStatus}: ${progress(task.taskStatistics)}`;
    if (line !== last) log(line);
    last = line;
  }
}

/** The checks the verification audit counted again, as `nonCompliant.after`. */
function verifiedCounts(verification: VerificationReport): Record<string, number> {
  return Object.fromEntries(
    verification.checks.flatMap((c) => (c.after === undefined ? [] : [[c.checkName, c.after] as const])),
  );
}

/** The verification as npm start shows it: per check before and after, and the resources not fixed. */
function verificationShown(plan: RemediationPlan, verification: VerificationReport | undefined): string[] {
  if (verification === undefined)
    return [
      plan.mode.effective !== 'enforce'
        ? 'No verification audit: a dry run fixes nothing.'
        : plan.verification === undefined
          ? 'No verification audit: no mitigated check has a fixing action, or the policy says verify: false.'
          : 'No verification audit: the mitigation task did not complete.',
    ];
  if (verification.status === 'skipped') return [`Verification skipped: ${verification.cause}`];
  const lines = [
    `The state machine's verification audit (${verification.auditTaskId ?? 'unknown'}) of the checks it fixed:`,
    sideBySide(
      Object.fromEntries(verification.checks.map((c) => [c.checkName, c.before])),
      Object.fromEntries(verification.checks.map((c) => [c.checkName, c.after ?? 'not audited'])),
      'non-compliant resources',
    ),
  ];
  for (const check of verification.checks) {
    if (!check.improved) lines.push(`    ${check.checkName}: NOT IMPROVED (metric ChecksNotImproved)`);
    if (check.unfixed && check.unfixed.count > 0) {
      lines.push(
        `    ${check.checkName}: ${check.unfixed.count}${check.unfixed.complete ? '' : ' or more'} targeted resources still non-compliant:`,
      );
      for (const resource of check.unfixed.resources) lines.push(`      ${resource}`);
    }
  }
  return lines;
}

function progress(statistics: Record<string, TaskStatisticsForAuditCheck> = {}): string {
  let total = 0;
  let done = 0;
  let failed = 0;
  for (const s of Object.values(statistics)) {
    total += s.totalFindingsCount ?? 0;
    done +=
      (s.succeededFindingsCount ?? 0) +
      (s.failedFindingsCount ?? 0) +
      (s.skippedFindingsCount ?? 0) +
      (s.canceledFindingsCount ?? 0);
    failed += s.failedFindingsCount ?? 0;
  }
  return `${done.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} findings handled, ${failed} failed, ${Object.keys(statistics).length} checks`;
}

function describePlanned(planned: PlanRemediationResult): string {
  switch (planned.outcome) {
    case 'started':
      return `started ${planned.executionName} (${planned.mode})`;
    case 'nothing-to-do':
      return `nothing to do (${planned.reason}): ${planned.detail}`;
    case 'duplicate':
      return `already handled (${planned.executionName})`;
    default:
      return `${planned.outcome}: ${JSON.stringify(planned)}`;
  }
}

function nonCompliantByCheck(notification: AuditNotification): Record<string, number> {
  return Object.fromEntries(
    notification.auditDetails.map((d) => [d.checkName, d.nonCompliantResourcesCount]),
  );
}

function flatten(value: Record<string, unknown>, prefix = ''): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const [key, item] of Object.entries(value)) {
    if (item !== null && typeof item === 'object')
      Object.assign(out, flatten(item as Record<string, unknown>, `${prefix}${key}.`));
    else out[`${prefix}${key}`] = item as string | number;
  }
  return out;
}

function sideBySide(
  before: Record<string, string | number>,
  after: Record<string, string | number>,
  what: string,
): string {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  const width = Math.max(...keys.map((k) => k.length), what.length);
  const lines = [`    ${what.padEnd(width)} ${'before'.padStart(10)} ${'after'.padStart(10)}`];
  for (const key of keys) {
    const [b, a] = [before[key] ?? '-', after[key] ?? '-'];
    lines.push(
      `    ${key.padEnd(width)} ${String(b).padStart(10)} ${String(a).padStart(10)}${b === a ? '' : '  <-'}`,
    );
  }
  return lines.join('\n');
}

const indent = (text: string) =>
  text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');

export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
}

// --- Audit after audit (--audits N): the loop guard -------------------------------------------------

/** The demo fleet's daily scheduled audit (local-cloud/emulator/presets/demo-fleet.ts). */
export const DAILY_AUDIT = 'DailyAudit';
const DAY_MS = 86_400_000;

/** One scheduled audit remediated through the stack, as the day's audit is. */
export interface Round {
  readonly auditTaskId: string;
  readonly planned: PlanRemediationResult;
  /** The plan the execution started with (its input), when one started. */
  readonly plan?: RemediationPlan;
  readonly outcome?: ExecutionOutcome;
  readonly report?: string;
  readonly reportSummary?: RemediationReport;
  /** The audits the execution started to verify its mitigation, and what the planner answered to each. */
  readonly verifications: readonly {
    readonly auditTaskId: string;
    readonly planned: PlanRemediationResult;
  }[];
}

/**
 * Runs the fleet's scheduled audit now and remediates it through the stack: its notification reaches
 * the planner, the execution runs to its end, and the notifications of the verification audits it
 * started reach the planner too, as in an account whose every audit notifies the stack.
 */
export async function scheduledRound(stack: LocalStack): Promise<Round> {
  const auditTaskId = stack.emulator.service.runScheduledAudit(DAILY_AUDIT);
  const notification = await completedAudit(stack, auditTaskId);
  const seen = stack.notifications.length;
  const planned = plannerResult<PlanRemediationResult>(await stack.publishAuditNotification(notification));
  if (planned.outcome !== 'started') return { auditTaskId, planned, verifications: [] };
  const execution = stack.runner.describeExecution(planned.executionArn)!;
  while (execution.status === 'RUNNING') await stack.clock.sleep(5_000);
  const outcome = await execution.result;
  const published = stack.runner.snsMessages.find((m) => m.executionArn === execution.executionArn);
  const reportSummary = summaryFromAttributes(published?.messageAttributes);
  const verifications: Round['verifications'][number][] = [];
  for (const later of stack.notifications.slice(seen))
    verifications.push({
      auditTaskId: later.taskId,
      planned: plannerResult<PlanRemediationResult>(await stack.publishAuditNotification(later)),
    });
  return {
    auditTaskId,
    planned,
    plan: execution.input as RemediationPlan,
    outcome,
    ...(published === undefined ? {} : { report: published.message }),
    ...(reportSummary === undefined ? {} : { reportSummary }),
    verifications,
  };
}

/** `count` daily audits, a day apart, a few lines each: what was mitigated and what the loop guard did. */
async function earlierRounds(
  stack: LocalStack,
  count: number,
  log: (line: string) => void,
): Promise<Round[]> {
  const rounds: Round[] = [];
  for (let day = 1; day <= count; day++) {
    const round = await scheduledRound(stack);
    rounds.push(round);
    const mitigated = Object.keys(round.plan?.auditCheckToActionsMapping ?? {}).length;
    log(
      `Audit ${day} of ${count + 1} (${round.auditTaskId}, scheduled): ${describePlanned(round.planned)}` +
        (round.outcome ? `, ${mitigated} checks mitigated, execution ${round.outcome.status}` : '') +
        (round.verifications.length
          ? `; verification audit ${round.verifications.map((v) => `${v.auditTaskId}: ${v.planned.outcome}`).join(', ')}`
          : ''),
    );
    for (const line of loopGuardLines(round.plan?.loopGuard).filter((l) => l !== '')) log(`    ${line}`);
    await stack.clock.sleep(DAY_MS);
  }
  return rounds;
}

/** The account's audit suppressions as ListAuditSuppressions answers (the loop guard's among them). */
async function showSuppressions(stack: LocalStack, log: (line: string) => void): Promise<AuditSuppression[]> {
  const suppressions: AuditSuppression[] = [];
  let nextToken: string | undefined;
  do {
    const page = await stack.iot.send(new ListAuditSuppressionsCommand({ maxResults: 250, nextToken }));
    suppressions.push(...(page.suppressions ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  log('');
  log(
    `Audit suppressions (ListAuditSuppressions): ${suppressions.length === 0 ? 'none' : suppressions.length}`,
  );
  for (const s of suppressions)
    log(
      `    ${s.checkName} ${describeIdentifier(s.resourceIdentifier)} until ${s.suppressIndefinitely ? 'deleted' : (s.expirationDate?.toISOString() ?? '-')}`,
    );
  return suppressions;
}

function describeIdentifier(identifier: AuditSuppression['resourceIdentifier']): string {
  return Object.entries(identifier ?? {})
    .map(([key, value]) => `${key}=${typeof value === 'object' ? JSON.stringify(value) : String(value)}`)
    .join(' ');
}
