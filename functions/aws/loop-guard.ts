/**
 * The loop guard's reads and writes in AWS IoT (the decision is functions/domain/loop-guard.ts):
 *
 * - history: ListAuditMitigationActionsTasks over the last 89 days, newest first, keeps the stack's
 *   enforced tasks (`enf-<auditTaskId>[-r<n>]`; a dry run starts no task, and the stack never
 *   remediates its own verification audits, so neither counts); DescribeAuditMitigationActionsTask
 *   says which checks each mitigated, with which actions, and how each finding ended;
 *   ListAuditFindings gives each check's resources in the current and the earlier audits, compared by
 *   resource identifier.
 * - suppressions: CreateAuditSuppression for each looping resource, enforce only.
 *
 * Every read is bounded (pages, tasks described, API calls) and paced one call at a time; a history
 * that cannot be read within those bounds (throttled after the SDK's retries, access denied, too long)
 * is reported as unreadable, and then nothing is suppressed and no check is held out: the fail-safe
 * side. docs/decisions/loop-guard.md.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import {
  CreateAuditSuppressionCommand,
  DescribeAuditMitigationActionsTaskCommand,
  type IoTClient,
  ListAuditFindingsCommand,
  ListAuditMitigationActionsTasksCommand,
  ResourceAlreadyExistsException,
  type ResourceIdentifier,
} from '@aws-sdk/client-iot';
import type { Audit } from '#domain/audit';
import { describeResource, FINDINGS_PAGE_SIZE, truncate } from '#domain/failed-findings';
import {
  type CheckRemediation,
  type FindingResource,
  type GuardedCheck,
  guardedChecks,
  isStackEnforcedTask,
  LOOKBACK_DAYS,
  type LoopFindings,
  type LoopGuardHistory,
  type LoopGuardRecord,
  loopGuardRecord,
  loopGuardSettings,
  type PlannedSuppression,
  resourceKey,
  suppressionDescription,
  suppressionToken,
} from '#domain/loop-guard';
import { type NothingToDo, type PlanOptions, planRemediation, type RemediationPlan } from '#domain/plan';
import type { Policy } from '#domain/policy';
import type { RuntimeSwitch } from '#domain/switch';
import { logger, metrics } from './observability.ts';

/** ListAuditMitigationActionsTasks: at most this many pages of 250 tasks (1,000 tasks in 90 days). */
export const MAX_TASK_PAGES = 4;
/** DescribeAuditMitigationActionsTask: at most this many of the stack's tasks, newest first. */
export const MAX_TASKS_DESCRIBED = 30;
/** Every call of one history read together; beyond it the history is unreadable. */
export const MAX_HISTORY_CALLS = 120;
/**
 * One call at a time, at most 10 a second: the rate the report's List calls are paced at
 * (functions/aws/clients.ts); the SDK's retries add back-off on throttling.
 */
export const DEFAULT_MIN_INTERVAL_MS = 100;
/** The most UTF-8 bytes of a resource's description in the plan and the report. */
const RESOURCE_BYTES = 300;
/**
 * The task list's window starts this many days back: a day short of the 90 days audit results are
 * kept, so that the service, whose clock has moved on by the time the request arrives, never sees a
 * start before what it retains (ListAuditTasks refuses one; docs/aws-facts/audit-suppressions.md).
 */
export const HISTORY_WINDOW_DAYS = LOOKBACK_DAYS - 1;

/**
 * The loop guard's now: the later of the function's clock and the audit's start. In AWS the audit
 * started before the planner runs, so this is the clock; in the local stack, whose virtual clock runs
 * ahead of the functions' (local-cloud/stack.ts), it is the audit's own time, so that the earlier
 * audits' tasks fall in the window and a suppression's expiry lies ahead of the service's clock.
 */
export function loopGuardNow(audit: Pick<Audit, 'taskStartTime'>, clock: number = Date.now()): number {
  return Math.max(clock, audit.taskStartTime);
}

export interface HistoryRequest {
  readonly auditTaskId: string;
  readonly checks: readonly GuardedCheck[];
  readonly afterAudits: number;
  readonly now: number;
}

export interface LoopGuardIo {
  readHistory(request: HistoryRequest): Promise<LoopGuardHistory>;
  suppress(auditTaskId: string, stackName: string, record: LoopGuardRecord): Promise<LoopGuardRecord>;
}

class HistoryUnreadable extends Error {}

/** The loop guard over an IoT client; `minIntervalMs` paces the calls (tests pass 0). */
export function loopGuardIo(
  iot: Pick<IoTClient, 'send'>,
  options: { readonly minIntervalMs?: number; readonly maxCalls?: number } = {},
): LoopGuardIo {
  const minInterval = options.minIntervalMs ?? DEFAULT_MIN_INTERVAL_MS;
  const maxCalls = options.maxCalls ?? MAX_HISTORY_CALLS;

  /** A paced sender counting its calls against the budget. */
  function pacedSender() {
    let calls = 0;
    let last = 0;
    return async <T>(command: object): Promise<T> => {
      if (calls >= maxCalls) throw new HistoryUnreadable(`the history needs more than ${maxCalls} API calls`);
      calls++;
      const wait = last + minInterval - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      last = Date.now();
      return (await iot.send(command as never)) as T;
    };
  }

  return {
    async readHistory(request) {
      if (request.checks.length === 0) return { status: 'checked', loops: new Map() };
      try {
        return { status: 'checked', loops: await readLoops(pacedSender(), request) };
      } catch (error) {
        const { name, message } = error as Error;
        const detail =
          error instanceof HistoryUnreadable ? message : `${name}: ${truncate(message ?? '', 300)}`;
        return { status: 'unreadable', detail };
      }
    },

    async suppress(auditTaskId, stackName, record) {
      if (record.status !== 'checked') return record;
      const send = pacedSender();
      const suppressions: PlannedSuppression[] = [];
      for (const suppression of record.suppressions) {
        if (suppression.status !== 'to-suppress') {
          suppressions.push(suppression);
          continue;
        }
        try {
          await send(
            new CreateAuditSuppressionCommand({
              checkName: suppression.checkName,
              resourceIdentifier: suppression.resourceIdentifier as ResourceIdentifier,
              expirationDate: new Date(suppression.expiresAt),
              suppressIndefinitely: false,
              description: suppressionDescription(stackName, suppression),
              clientRequestToken: suppressionToken(auditTaskId, suppression),
            }),
          );
          suppressions.push({ ...suppression, status: 'suppressed' });
        } catch (error) {
          if (error instanceof ResourceAlreadyExistsException)
            suppressions.push({ ...suppression, status: 'already-suppressed' });
          else {
            const { name, message } = error as Error;
            suppressions.push({
              ...suppression,
              status: 'failed',
              error: `${name}: ${truncate(message ?? '', 300)}`,
            });
          }
        }
      }
      return { ...record, suppressions };
    },
  };
}

type Send = <T>(command: object) => Promise<T>;

interface TaskMetadata {
  readonly taskId?: string;
  readonly startTime?: Date;
}

interface TaskDescription {
  readonly taskStatus?: string;
  readonly target?: { readonly auditTaskId?: string };
  readonly auditCheckToActionsMapping?: Record<string, string[]>;
  readonly taskStatistics?: Record<
    string,
    { readonly failedFindingsCount?: number; readonly canceledFindingsCount?: number }
  >;
}

async function readLoops(send: Send, request: HistoryRequest): Promise<LoopFindings> {
  const remediations = await checkRemediations(send, request);
  const loops = new Map<
    string,
    { resources: (FindingResource & { resource: string })[]; previousAudits: string[] }
  >();
  for (const check of request.checks) {
    const streak = (remediations.get(check.checkName) ?? []).slice(0, request.afterAudits);
    if (streak.length < request.afterAudits || streak.some((r) => !r.mitigated)) continue;
    let looping = await findings(send, request.auditTaskId, check);
    // Narrow audit by audit, newest first: a resource fixed once is out, and an empty set stops the reads.
    for (const { auditTaskId } of streak) {
      if (looping.length === 0) break;
      const earlier = new Set(
        (await findings(send, auditTaskId, check)).map((f) => resourceKey(f.resourceIdentifier)),
      );
      looping = looping.filter((f) => earlier.has(resourceKey(f.resourceIdentifier)));
    }
    if (looping.length > 0)
      loops.set(check.checkName, {
        resources: looping,
        previousAudits: streak.map((r) => r.auditTaskId),
      });
  }
  return loops;
}

/** Per check, the stack's earlier enforced remediations that mapped it, newest first, one per audit. */
async function checkRemediations(
  send: Send,
  request: HistoryRequest,
): Promise<Map<string, CheckRemediation[]>> {
  const tasks = await stackTasks(send, request.now);
  const byCheck = new Map<string, CheckRemediation[]>(request.checks.map((c) => [c.checkName, []]));
  const decided = () =>
    [...byCheck.values()].every(
      (list) => list.length >= request.afterAudits || list.some((r) => !r.mitigated),
    );
  let described = 0;
  for (const task of tasks) {
    if (decided()) break;
    if (described >= MAX_TASKS_DESCRIBED)
      throw new HistoryUnreadable(
        `more than ${MAX_TASKS_DESCRIBED} of the stack's mitigation tasks in ${HISTORY_WINDOW_DAYS} days would have to be described`,
      );
    described++;
    const description = await send<TaskDescription>(
      new DescribeAuditMitigationActionsTaskCommand({ taskId: task.taskId }),
    );
    const auditTaskId = description.target?.auditTaskId;
    if (
      auditTaskId === undefined ||
      auditTaskId === request.auditTaskId ||
      !isStackEnforcedTask(task.taskId ?? '', auditTaskId)
    )
      continue;
    for (const check of request.checks) {
      const list = byCheck.get(check.checkName)!;
      const actions = description.auditCheckToActionsMapping?.[check.checkName];
      if (!actions || list.some((r) => r.auditTaskId === auditTaskId)) continue;
      const statistics = description.taskStatistics?.[check.checkName];
      list.push({
        auditTaskId,
        mitigated:
          description.taskStatus === 'COMPLETED' &&
          actions.some((name) => check.fixingActions.includes(name)) &&
          statistics !== undefined &&
          (statistics.failedFindingsCount ?? 0) === 0 &&
          (statistics.canceledFindingsCount ?? 0) === 0,
      });
    }
  }
  return byCheck;
}

/** The stack's enforced mitigation tasks of the last HISTORY_WINDOW_DAYS, newest first. */
async function stackTasks(send: Send, now: number): Promise<TaskMetadata[]> {
  const tasks: TaskMetadata[] = [];
  let nextToken: string | undefined;
  let pages = 0;
  do {
    if (pages === MAX_TASK_PAGES)
      throw new HistoryUnreadable(
        `more than ${MAX_TASK_PAGES * 250} audit mitigation tasks in ${HISTORY_WINDOW_DAYS} days`,
      );
    pages++;
    const page = await send<{ tasks?: TaskMetadata[]; nextToken?: string }>(
      new ListAuditMitigationActionsTasksCommand({
        startTime: new Date(now - HISTORY_WINDOW_DAYS * 86_400_000),
        endTime: new Date(now),
        maxResults: 250,
        ...(nextToken === undefined ? {} : { nextToken }),
      }),
    );
    tasks.push(...(page.tasks ?? []).filter((t) => t.taskId?.startsWith('enf-')));
    nextToken = page.nextToken || undefined;
  } while (nextToken !== undefined);
  return tasks.sort((a, b) => (b.startTime?.getTime() ?? 0) - (a.startTime?.getTime() ?? 0));
}

/** The check's unsuppressed findings in an audit, with the task's reason codes, at most its cap. */
async function findings(
  send: Send,
  auditTaskId: string,
  check: GuardedCheck,
): Promise<(FindingResource & { resource: string })[]> {
  const found: (FindingResource & { resource: string })[] = [];
  let nextToken: string | undefined;
  let read = 0;
  do {
    const page = await send<{
      findings?: {
        reasonForNonComplianceCode?: string;
        nonCompliantResource?: { resourceType?: string; resourceIdentifier?: Record<string, unknown> };
      }[];
      nextToken?: string;
    }>(
      new ListAuditFindingsCommand({
        taskId: auditTaskId,
        checkName: check.checkName,
        maxResults: FINDINGS_PAGE_SIZE,
        ...(nextToken === undefined ? {} : { nextToken }),
      }),
    );
    for (const finding of page.findings ?? []) {
      read++;
      const identifier = finding.nonCompliantResource?.resourceIdentifier;
      if (!identifier) continue;
      if (
        check.reasonCodes.length > 0 &&
        !check.reasonCodes.includes(finding.reasonForNonComplianceCode ?? '')
      )
        continue;
      const type = finding.nonCompliantResource?.resourceType;
      found.push({
        ...(type === undefined ? {} : { resourceType: type }),
        resourceIdentifier: identifier,
        resource: truncate(describeResource(type, identifier), RESOURCE_BYTES),
      });
    }
    if (read > check.maxFindings)
      throw new HistoryUnreadable(
        `audit ${auditTaskId} has more than ${check.maxFindings} findings of ${check.checkName} (its cap)`,
      );
    nextToken = page.nextToken || undefined;
  } while (nextToken !== undefined);
  return found;
}

/**
 * The plan, with the loop guard's finding when it has one: the plan is made, the history of the checks
 * it mitigates with fixing actions is read, and the plan is made again with the looping checks taken
 * out. Without a reader (the sweep), with the guard off, or with nothing looping, the plan is unchanged.
 */
export async function planWithLoopGuard(
  io: LoopGuardIo | undefined,
  audit: Audit,
  policy: Policy,
  runtimeSwitch: RuntimeSwitch,
  options: PlanOptions,
  now: number = loopGuardNow(audit),
): Promise<RemediationPlan | NothingToDo> {
  const first = planRemediation(audit, policy, runtimeSwitch, options);
  const settings = loopGuardSettings(policy);
  if (!io || !settings.enabled || first.kind !== 'plan') return first;
  const prefix = options.actionNamePrefix;
  const checks = guardedChecks(first, policy, (name) => (prefix ? `${prefix}-${name}` : name));
  if (checks.length === 0) return first;
  const history = await io.readHistory({
    auditTaskId: audit.auditTaskId,
    checks,
    afterAudits: settings.afterAudits,
    now,
  });
  const record = loopGuardRecord(history, settings, first.mode.effective === 'enforce', now);
  if (record.status === 'unreadable') {
    metrics.addMetric('LoopGuardUnreadable', MetricUnit.Count, 1);
    logger.warn('The loop guard could not read the history: nothing suppressed, nothing held out', {
      detail: record.detail,
    });
    return { ...first, loopGuard: record };
  }
  if (record.suppressions.length === 0) return first;
  metrics.addMetric(
    'LoopingResources',
    MetricUnit.Count,
    record.suppressions.length + (record.notSuppressed ?? 0),
  );
  logger.warn('The loop guard found resources the fixing actions do not fix', {
    checks: record.guardedChecks,
    suppressions: record.suppressions.length,
    notSuppressed: record.notSuppressed ?? 0,
  });
  return planRemediation(audit, policy, runtimeSwitch, { ...options, loopGuard: record });
}

/** The plan (or nothing-to-do) with its suppressions created, enforce only; counted and logged. */
export async function createSuppressions<P extends { readonly loopGuard?: LoopGuardRecord }>(
  io: LoopGuardIo | undefined,
  plan: P,
  auditTaskId: string,
  stackName: string,
): Promise<P> {
  if (!io || plan.loopGuard?.status !== 'checked') return plan;
  const loopGuard = await io.suppress(auditTaskId, stackName, plan.loopGuard);
  if (loopGuard.status === 'checked') {
    const count = (status: PlannedSuppression['status']) =>
      loopGuard.suppressions.filter((s) => s.status === status).length;
    if (count('suppressed') > 0)
      metrics.addMetric('SuppressionsCreated', MetricUnit.Count, count('suppressed'));
    if (count('failed') > 0) {
      metrics.addMetric('SuppressionsFailed', MetricUnit.Count, count('failed'));
      logger.error('Some loop-guard suppressions could not be created; their checks stay out of the task', {
        failed: loopGuard.suppressions.filter((s) => s.status === 'failed').map((s) => s.error),
      });
    }
  }
  return { ...plan, loopGuard };
}

/** The loop guard the planner hands the remediation path (functions/aws/remediate.ts). */
export function loopGuard(iot: Pick<IoTClient, 'send'>) {
  const io = loopGuardIo(iot);
  return {
    plan: (audit: Audit, policy: Policy, runtimeSwitch: RuntimeSwitch, options: PlanOptions) =>
      planWithLoopGuard(io, audit, policy, runtimeSwitch, options),
    suppress: <P extends { readonly loopGuard?: LoopGuardRecord }>(
      plan: P,
      auditTaskId: string,
      stackName: string,
    ) => createSuppressions(io, plan, auditTaskId, stackName),
  };
}
