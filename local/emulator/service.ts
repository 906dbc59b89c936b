/**
 * The emulated service's state and rules: the fleet, audits, findings, mitigation actions, mitigation
 * tasks, suppressions, the audit configuration, notifications and the fault knobs. It speaks in the
 * SDK's request and response types; the HTTP layer has already parsed and validated the input against
 * the model, so only the service's semantic rules live here.
 */
import { createHash, randomUUID } from 'node:crypto';
import type * as iot from '@aws-sdk/client-iot';
import { checkCatalogue, type MitigationActionType } from '#lib/catalogue';
import type { Clock } from '../clock.ts';
import {
  type Audit,
  type AuditFixture,
  auditFromFixture,
  auditStatus,
  checkRunStatus,
  resultsVisible,
} from './audits/audit.ts';
import { AuditConfiguration } from './audits/audit-configuration.ts';
import { type StoredFinding, sameResource } from './audits/findings.ts';
import { invalidRequest, notFound, ServiceError } from './errors.ts';
import {
  type ActionFailureInjection,
  type OmittedStatisticsInjection,
  StatisticsOmission,
  Throttle,
  type ThrottlingInjection,
  withInjectedFailures,
} from './faults.ts';
import { Fleet, type FleetSummary } from './fleet/fleet.ts';
import { evaluateCheck } from './fleet/fleet-checks.ts';
import { fleetEffects } from './fleet/fleet-effects.ts';
import { type ActionExecutor, declaredFailures, type MitigationActionRecord } from './mitigation/executor.ts';
import { type CheckWork, MitigationTask, type TaskProgress } from './mitigation/mitigation-task.ts';
import { type FindingSelection, listedFindings, selectFindings } from './mitigation/selection.ts';
import {
  type AuditNotificationListener,
  AuditNotifier,
  auditNotification,
  type NotificationTarget,
} from './notifications.ts';
import { DEFAULT_PAGE_SIZE, decodeToken, encodeToken, pageOf } from './pagination.ts';

export const MAX_RUNNING_TASKS = 10;
export const MAX_MITIGATION_ACTIONS = 100;
export const MAX_RUNNING_ON_DEMAND_AUDITS = 10;
const RETENTION_MS = 90 * 24 * 3600 * 1000;

export const DEFAULT_TASK_PROGRESS: TaskProgress = { startDelayMs: 2_000, findingsPerSecond: 10 };

export interface AuditProgress {
  /** Virtual time from an audit's start to its end. */
  readonly durationMs: number;
}
export const DEFAULT_AUDIT_PROGRESS: AuditProgress = { durationMs: 60_000 };

/** The action type is the one `actionParams` member that is set. */
const ACTION_TYPE_BY_PARAMS: Readonly<Record<keyof iot.MitigationActionParams, MitigationActionType>> = {
  updateDeviceCertificateParams: 'UPDATE_DEVICE_CERTIFICATE',
  updateCACertificateParams: 'UPDATE_CA_CERTIFICATE',
  addThingsToThingGroupParams: 'ADD_THINGS_TO_THING_GROUP',
  replaceDefaultPolicyVersionParams: 'REPLACE_DEFAULT_POLICY_VERSION',
  enableIoTLoggingParams: 'ENABLE_IOT_LOGGING',
  publishFindingToSnsParams: 'PUBLISH_FINDING_TO_SNS',
};

interface Suppression {
  readonly checkName: string;
  readonly resourceIdentifier: iot.ResourceIdentifier;
  readonly expirationDate?: Date;
  readonly suppressIndefinitely?: boolean;
  readonly description?: string;
}

interface FindingLocation {
  readonly audit: Audit;
  readonly finding: StoredFinding;
}

export interface ServiceOptions {
  readonly clock: Clock;
  readonly accountId: string;
  readonly region: string;
}

export class DeviceDefenderService {
  /** The emulated fleet: audits read it, mitigation actions change it. */
  readonly fleet = new Fleet();
  readonly #clock: Clock;
  readonly #accountId: string;
  readonly #region: string;
  readonly #audits = new Map<string, Audit>();
  /** Audits whose notification is still due (each is announced once, when it has ended). */
  readonly #unannounced = new Set<Audit>();
  readonly #actions = new Map<string, MitigationActionRecord>();
  readonly #tasks = new Map<string, MitigationTask>();
  readonly #suppressions: Suppression[] = [];
  readonly #configuration = new AuditConfiguration();
  readonly #notifier: AuditNotifier;
  #auditsStarted = 0;
  #progress: TaskProgress = DEFAULT_TASK_PROGRESS;
  #auditProgress: AuditProgress = DEFAULT_AUDIT_PROGRESS;
  #executor: ActionExecutor = declaredFailuresThen(fleetEffects(this.fleet));
  #actionFailures: ActionFailureInjection | undefined;
  #throttle = new Throttle();
  #statisticsOmission = new StatisticsOmission();

  constructor(options: ServiceOptions) {
    this.#clock = options.clock;
    this.#accountId = options.accountId;
    this.#region = options.region;
    this.#notifier = new AuditNotifier(options.region);
  }

  // --- Programmatic control (tests, presets, the local demo) -------------------------------------

  addAudit(fixture: AuditFixture): Audit {
    return this.#register(auditFromFixture(fixture, this.#clock.now()));
  }

  /** Runs a recorded scheduled audit now, as the service would on its schedule; returns the task id. */
  runScheduledAudit(scheduledAuditName: string): string {
    const scheduled = this.#configuration.scheduledAudit(scheduledAuditName);
    return this.#startAudit(scheduled.targetCheckNames, 'SCHEDULED_AUDIT_TASK', scheduledAuditName).taskId;
  }

  /** Virtual duration of audits started from now on. */
  setAuditProgress(progress: Partial<AuditProgress>): void {
    this.#auditProgress = { ...this.#auditProgress, ...progress };
  }

  fleetSummary(): FleetSummary {
    return this.fleet.summary();
  }

  /** Subscribes to audit notifications; returns the unsubscribe function. */
  onAuditNotification(listener: AuditNotificationListener): () => void {
    return this.#notifier.subscribe(listener);
  }

  /** Also POST each notification to a URL (or stop, with undefined). */
  setNotificationTarget(target: NotificationTarget | undefined): void {
    this.#notifier.setTarget(target);
  }

  /** Share of audit notifications lost (never delivered; the audit itself stays listed). */
  setNotificationLoss(rate: number, seed?: number): void {
    this.#notifier.setLossRate(rate, seed);
  }

  /** Throttles matching API calls with ThrottlingException; undefined stops. */
  injectThrottling(injection: ThrottlingInjection | undefined): void {
    this.#throttle = new Throttle(injection);
  }

  /** Fails matching mitigation actions of tasks started from now on; undefined stops. */
  injectActionFailures(injection: ActionFailureInjection | undefined): void {
    this.#actionFailures = injection;
  }

  /** Answers matching DescribeAuditMitigationActionsTask calls without `taskStatistics`; undefined stops. */
  omitTaskStatistics(injection: OmittedStatisticsInjection | undefined): void {
    this.#statisticsOmission = new StatisticsOmission(injection);
  }

  /** Called by the server before each operation: throws ThrottlingException when the call is throttled. */
  throttle(operationName: string): void {
    this.#throttle.check(operationName);
  }

  /**
   * Emits the notification of every audit that has ended by now and was not announced yet. The
   * emulator calls it whenever a virtual clock advances and before every API call; settles when the
   * in-process listeners have taken the notifications.
   */
  async announceFinishedAudits(): Promise<void> {
    const now = this.#clock.now();
    const due = [...this.#unannounced]
      .filter((audit) => auditStatus(audit, now) !== 'IN_PROGRESS')
      .sort((a, b) => (a.canceledAtMs ?? a.endMs) - (b.canceledAtMs ?? b.endMs));
    for (const audit of due) this.#unannounced.delete(audit);
    for (const audit of due) {
      const notification = auditNotification(this.#accountId, audit.taskId, this.#describeAudit(audit, now));
      await this.#notifier.deliver(notification, now);
    }
  }

  /** Pace of tasks started from now on. */
  setTaskProgress(progress: Partial<TaskProgress>): void {
    this.#progress = { ...this.#progress, ...progress };
  }

  /**
   * What applying an action does, for tasks started from now on. The default honours the failures
   * fixtures declare and otherwise changes the fleet; injected failures apply in front of either.
   */
  setActionExecutor(executor: ActionExecutor): void {
    this.#executor = executor;
  }

  // --- Mitigation actions ------------------------------------------------------------------------

  createMitigationAction(input: iot.CreateMitigationActionRequest): iot.CreateMitigationActionResponse {
    const name = input.actionName!;
    const existing = this.#actions.get(name);
    if (existing) {
      throw new ServiceError('ResourceAlreadyExistsException', `Mitigation action ${name} already exists`, {
        resourceId: existing.actionId,
        resourceArn: existing.actionArn,
      });
    }
    if (this.#actions.size >= MAX_MITIGATION_ACTIONS) {
      throw new ServiceError(
        'LimitExceededException',
        `At most ${MAX_MITIGATION_ACTIONS} mitigation actions`,
      );
    }
    const actionType = actionTypeOf(input.actionParams!);
    const now = this.#clock.now();
    const action: MitigationActionRecord = {
      actionName: name,
      actionType,
      actionArn: `arn:aws:iot:${this.#region}:${this.#accountId}:mitigationaction/${name}`,
      actionId: randomUUID(),
      roleArn: input.roleArn!,
      actionParams: input.actionParams!,
      creationDate: now,
      lastModifiedDate: now,
    };
    this.#actions.set(name, action);
    return { actionArn: action.actionArn, actionId: action.actionId };
  }

  describeMitigationAction(input: iot.DescribeMitigationActionRequest): iot.DescribeMitigationActionResponse {
    const action = this.#actions.get(input.actionName!);
    if (!action) throw notFound(`Mitigation action ${input.actionName} does not exist`);
    return {
      ...action,
      creationDate: new Date(action.creationDate),
      lastModifiedDate: new Date(action.lastModifiedDate),
    };
  }

  updateMitigationAction(input: iot.UpdateMitigationActionRequest): iot.UpdateMitigationActionResponse {
    const action = this.#actions.get(input.actionName!);
    if (!action) throw notFound(`Mitigation action ${input.actionName} does not exist`);
    const actionParams = input.actionParams ?? action.actionParams;
    const actionType = actionTypeOf(actionParams);
    if (actionType !== action.actionType) {
      throw invalidRequest(`The action type of ${action.actionName} cannot change from ${action.actionType}`);
    }
    this.#actions.set(action.actionName, {
      ...action,
      roleArn: input.roleArn ?? action.roleArn,
      actionParams,
      lastModifiedDate: this.#clock.now(),
    });
    return { actionArn: action.actionArn, actionId: action.actionId };
  }

  /** Succeeds for a missing action too (reference 2.2). */
  deleteMitigationAction(input: iot.DeleteMitigationActionRequest): iot.DeleteMitigationActionResponse {
    this.#actions.delete(input.actionName!);
    return {};
  }

  listMitigationActions(input: iot.ListMitigationActionsRequest): iot.ListMitigationActionsResponse {
    const matching = [...this.#actions.values()].filter(
      (a) => input.actionType === undefined || a.actionType === input.actionType,
    );
    const { page, nextToken } = pageOf(matching, input);
    return {
      actionIdentifiers: page.map((a) => ({
        actionName: a.actionName,
        actionArn: a.actionArn,
        creationDate: new Date(a.creationDate),
      })),
      nextToken,
    };
  }

  // --- Audits and findings -----------------------------------------------------------------------

  startOnDemandAuditTask(input: iot.StartOnDemandAuditTaskRequest): iot.StartOnDemandAuditTaskResponse {
    const now = this.#clock.now();
    const running = [...this.#audits.values()].filter(
      (a) => a.taskType === 'ON_DEMAND_AUDIT_TASK' && auditStatus(a, now) === 'IN_PROGRESS',
    ).length;
    if (running >= MAX_RUNNING_ON_DEMAND_AUDITS) {
      throw new ServiceError(
        'LimitExceededException',
        `At most ${MAX_RUNNING_ON_DEMAND_AUDITS} on-demand audits can be in progress`,
      );
    }
    return { taskId: this.#startAudit(input.targetCheckNames!, 'ON_DEMAND_AUDIT_TASK').taskId };
  }

  cancelAuditTask(input: iot.CancelAuditTaskRequest): iot.CancelAuditTaskResponse {
    const audit = this.#audit(input.taskId!);
    const now = this.#clock.now();
    const status = auditStatus(audit, now);
    if (status !== 'IN_PROGRESS')
      throw invalidRequest(`Audit task ${audit.taskId} is ${status}, not IN_PROGRESS`);
    audit.canceledAtMs = now;
    return {};
  }

  describeAuditTask(input: iot.DescribeAuditTaskRequest): iot.DescribeAuditTaskResponse {
    return this.#describeAudit(this.#audit(input.taskId!), this.#clock.now());
  }

  describeAuditFinding(input: iot.DescribeAuditFindingRequest): iot.DescribeAuditFindingResponse {
    const location = this.#findingById(input.findingId!);
    if (!location) throw notFound(`Audit finding ${input.findingId} does not exist`);
    return { finding: this.#auditFinding(location.audit, location.finding) };
  }

  listAuditTasks(input: iot.ListAuditTasksRequest): iot.ListAuditTasksResponse {
    this.#checkWindow(input.startTime!, input.endTime!);
    const now = this.#clock.now();
    const matching = [...this.#audits.values()]
      .filter((a) => inWindow(a.taskStartTime, input.startTime!, input.endTime!))
      .filter((a) => input.taskType === undefined || a.taskType === input.taskType)
      .filter((a) => input.taskStatus === undefined || auditStatus(a, now) === input.taskStatus)
      .sort((a, b) => a.taskStartTime - b.taskStartTime);
    const { page, nextToken } = pageOf(matching, input);
    return {
      tasks: page.map((a) => ({ taskId: a.taskId, taskStatus: auditStatus(a, now), taskType: a.taskType })),
      nextToken,
    };
  }

  // --- Audit configuration and scheduled audits --------------------------------------------------

  describeAccountAuditConfiguration(): iot.DescribeAccountAuditConfigurationResponse {
    return this.#configuration.describe();
  }

  updateAccountAuditConfiguration(
    input: iot.UpdateAccountAuditConfigurationRequest,
  ): iot.UpdateAccountAuditConfigurationResponse {
    this.#configuration.update(input);
    return {};
  }

  createScheduledAudit(input: iot.CreateScheduledAuditRequest): iot.CreateScheduledAuditResponse {
    const arn = `arn:aws:iot:${this.#region}:${this.#accountId}:scheduledaudit/${input.scheduledAuditName}`;
    return { scheduledAuditArn: this.#configuration.createScheduledAudit(input, arn).scheduledAuditArn };
  }

  describeScheduledAudit(input: iot.DescribeScheduledAuditRequest): iot.DescribeScheduledAuditResponse {
    const { targetCheckNames, ...metadata } = this.#configuration.scheduledAudit(input.scheduledAuditName!);
    return { ...metadata, targetCheckNames: [...targetCheckNames] };
  }

  listScheduledAudits(input: iot.ListScheduledAuditsRequest): iot.ListScheduledAuditsResponse {
    return this.#configuration.listScheduledAudits(input);
  }

  // --- Audit internals ---------------------------------------------------------------------------

  #register(audit: Audit): Audit {
    this.#audits.set(audit.taskId, audit);
    this.#unannounced.add(audit);
    return audit;
  }

  /** Evaluates the checks on the fleet as it is now; the results show once the audit has ended. */
  #startAudit(
    checkNames: readonly string[],
    taskType: iot.AuditTaskType,
    scheduledAuditName?: string,
  ): Audit {
    this.#configuration.assertRunnable(checkNames);
    const now = this.#clock.now();
    // 32 hex characters like the real ids, yet reproducible from run to run.
    const taskId = createHash('sha256')
      .update(`${this.#accountId}/${++this.#auditsStarted}/${now}`)
      .digest('hex')
      .slice(0, 32);
    const checks = Object.fromEntries(
      [...new Set(checkNames)].map((checkName) => [
        checkName,
        evaluateCheck(checkName, {
          fleet: this.fleet,
          nowMs: now,
          accountId: this.#accountId,
          configuration: this.#configuration.customConfiguration(checkName),
        }),
      ]),
    );
    const fixture: AuditFixture = { taskId, taskType, scheduledAuditName, taskStartTime: now, checks };
    return this.#register(auditFromFixture(fixture, now, now + this.#auditProgress.durationMs));
  }

  #audit(taskId: string): Audit {
    const audit = this.#audits.get(taskId);
    if (!audit) throw notFound(`Audit task ${taskId} does not exist`);
    return audit;
  }

  /** Counts show once the audit has ended; suppressed findings are counted apart. */
  #describeAudit(audit: Audit, now: number): iot.DescribeAuditTaskResponse {
    const visible = resultsVisible(audit, now);
    const runStatuses = audit.checks.map((check) => checkRunStatus(audit, check, now));
    const details = audit.checks.map((check, c) => {
      const entry: iot.AuditCheckDetails = { checkRunStatus: runStatuses[c] };
      if (visible) {
        const suppressed = this.#suppressedCount(check.checkName, check.findings);
        const nonCompliant = check.findings.count - suppressed;
        Object.assign(entry, {
          checkCompliant: check.checkRunStatus === 'COMPLETED_COMPLIANT' || nonCompliant === 0,
          totalResourcesCount: check.totalResourcesCount,
          nonCompliantResourcesCount: nonCompliant,
          suppressedNonCompliantResourcesCount: suppressed,
          ...(check.errorCode && { errorCode: check.errorCode }),
          ...(check.message && { message: check.message }),
        });
      }
      return [check.checkName, entry] as const;
    });
    const countRuns = (...statuses: string[]) =>
      runStatuses.filter((status) => statuses.includes(status)).length;
    return {
      taskStatus: auditStatus(audit, now),
      taskType: audit.taskType,
      taskStartTime: new Date(audit.taskStartTime),
      scheduledAuditName: audit.scheduledAuditName,
      taskStatistics: {
        totalChecks: audit.checks.length,
        inProgressChecks: countRuns('IN_PROGRESS'),
        waitingForDataCollectionChecks: countRuns('WAITING_FOR_DATA_COLLECTION'),
        compliantChecks: countRuns('COMPLETED_COMPLIANT'),
        nonCompliantChecks: countRuns('COMPLETED_NON_COMPLIANT'),
        failedChecks: countRuns('FAILED'),
        canceledChecks: countRuns('CANCELED'),
      },
      auditDetails: Object.fromEntries(details),
    };
  }

  /** Walks audits, checks and finding indices from the token's position; nothing is materialised. */
  listAuditFindings(input: iot.ListAuditFindingsRequest): iot.ListAuditFindingsResponse {
    const byTask = input.taskId !== undefined;
    const byWindow = input.startTime !== undefined || input.endTime !== undefined;
    if (byTask === byWindow || (byWindow && (input.startTime === undefined || input.endTime === undefined))) {
      throw invalidRequest('Specify either taskId or both startTime and endTime');
    }
    const now = this.#clock.now();
    const audits = (
      byTask
        ? [this.#audits.get(input.taskId!)].filter((a) => a !== undefined)
        : [...this.#audits.values()].sort((a, b) => a.taskStartTime - b.taskStartTime)
    ).filter((a) => resultsVisible(a, now));
    const wanted = (audit: Audit, finding: StoredFinding): boolean =>
      (input.resourceIdentifier === undefined ||
        sameResource(input.resourceIdentifier, finding.nonCompliantResource.resourceIdentifier)) &&
      (byTask || inWindow(finding.findingTime ?? audit.taskStartTime, input.startTime!, input.endTime!)) &&
      (input.listSuppressedFindings === true || !this.#isSuppressed(finding));

    const pageSize = input.maxResults ?? DEFAULT_PAGE_SIZE;
    const findings: iot.AuditFinding[] = [];
    let [a = 0, c = 0, i = 0] = decodeToken(input.nextToken, 3);
    for (; a < audits.length; a++, c = 0, i = 0) {
      const audit = audits[a]!;
      for (; c < audit.checks.length; c++, i = 0) {
        const check = audit.checks[c]!;
        if (input.checkName !== undefined && check.checkName !== input.checkName) continue;
        for (; i < check.findings.count; i++) {
          const finding = check.findings.at(i);
          if (!wanted(audit, finding)) continue;
          // A full page stops at the next match, so the last page never comes back empty.
          if (findings.length === pageSize) return { findings, nextToken: encodeToken([a, c, i]) };
          findings.push(this.#auditFinding(audit, finding));
        }
      }
    }
    return { findings };
  }

  // --- Mitigation tasks --------------------------------------------------------------------------

  startAuditMitigationActionsTask(
    input: iot.StartAuditMitigationActionsTaskRequest,
  ): iot.StartAuditMitigationActionsTaskResponse {
    const taskId = input.taskId!;
    const token = input.clientRequestToken!;
    const existing = this.#tasks.get(taskId);
    if (existing) {
      if (existing.clientRequestToken === token) return { taskId };
      throw new ServiceError(
        'TaskAlreadyExistsException',
        `Task ${taskId} already exists with another token`,
      );
    }
    // The service says only that "an exception occurs" (reference 3.3); the request is invalid.
    for (const task of this.#tasks.values()) {
      if (task.clientRequestToken === token) {
        throw invalidRequest(`The clientRequestToken is already used by task ${task.taskId}`);
      }
    }
    const mapping = input.auditCheckToActionsMapping!;
    const work = this.#plannedWork(input.target!, mapping);
    const now = this.#clock.now();
    const running = [...this.#tasks.values()].filter((t) => t.status(now) === 'IN_PROGRESS').length;
    if (running >= MAX_RUNNING_TASKS) {
      throw new ServiceError(
        'LimitExceededException',
        `At most ${MAX_RUNNING_TASKS} mitigation tasks can run at once`,
      );
    }
    this.#tasks.set(
      taskId,
      new MitigationTask({
        taskId,
        clientRequestToken: token,
        startMs: now,
        target: input.target!,
        auditCheckToActionsMapping: mapping,
        work,
        progress: this.#progress,
        executor: withInjectedFailures(this.#executor, this.#actionFailures),
      }),
    );
    return { taskId };
  }

  describeAuditMitigationActionsTask(
    input: iot.DescribeAuditMitigationActionsTaskRequest,
  ): iot.DescribeAuditMitigationActionsTaskResponse {
    const task = this.#task(input.taskId!);
    const now = this.#clock.now();
    const endMs = task.endMs(now);
    // Each action once, even when several checks use it.
    const actions = new Map(task.work.flatMap((w) => w.actions).map((a) => [a.actionName, a]));
    return {
      taskStatus: task.status(now),
      startTime: new Date(task.startMs),
      ...(endMs !== undefined && { endTime: new Date(endMs) }),
      ...(!this.#statisticsOmission.omits(task.taskId, now - task.startMs) && {
        taskStatistics: task.statistics(now),
      }),
      target: task.target,
      auditCheckToActionsMapping: task.auditCheckToActionsMapping,
      actionsDefinition: [...actions.values()].map((a) => ({
        name: a.actionName,
        id: a.actionId,
        roleArn: a.roleArn,
        actionParams: a.actionParams,
      })),
    };
  }

  listAuditMitigationActionsTasks(
    input: iot.ListAuditMitigationActionsTasksRequest,
  ): iot.ListAuditMitigationActionsTasksResponse {
    this.#checkWindow(input.startTime!, input.endTime!);
    const now = this.#clock.now();
    const matching = [...this.#tasks.values()]
      .filter((t) => inWindow(t.startMs, input.startTime!, input.endTime!))
      .filter((t) => input.auditTaskId === undefined || t.target.auditTaskId === input.auditTaskId)
      .filter((t) => input.findingId === undefined || t.includesFinding(input.findingId))
      .filter((t) => input.taskStatus === undefined || t.status(now) === input.taskStatus);
    const { page, nextToken } = pageOf(matching, input);
    return {
      tasks: page.map((t) => ({
        taskId: t.taskId,
        startTime: new Date(t.startMs),
        taskStatus: t.status(now),
      })),
      nextToken,
    };
  }

  listAuditMitigationActionsExecutions(
    input: iot.ListAuditMitigationActionsExecutionsRequest,
  ): iot.ListAuditMitigationActionsExecutionsResponse {
    const task = this.#tasks.get(input.taskId!);
    const executions = (task?.executions(input.findingId!, this.#clock.now()) ?? []).filter(
      (e) => input.actionStatus === undefined || e.status === input.actionStatus,
    );
    const { page, nextToken } = pageOf(executions, input);
    return { actionsExecutions: page, nextToken };
  }

  cancelAuditMitigationActionsTask(
    input: iot.CancelAuditMitigationActionsTaskRequest,
  ): iot.CancelAuditMitigationActionsTaskResponse {
    const task = this.#task(input.taskId!);
    const now = this.#clock.now();
    const status = task.status(now);
    if (status !== 'IN_PROGRESS') throw invalidRequest(`Task ${task.taskId} is ${status}, not IN_PROGRESS`);
    task.cancel(now);
    return {};
  }

  // --- Suppressions ------------------------------------------------------------------------------

  createAuditSuppression(input: iot.CreateAuditSuppressionRequest): iot.CreateAuditSuppressionResponse {
    const checkName = input.checkName!;
    if (!checkCatalogue.has(checkName)) throw invalidRequest(`Unknown audit check ${checkName}`);
    if (input.expirationDate && input.expirationDate.getTime() <= this.#clock.now()) {
      throw invalidRequest('The expirationDate must be in the future');
    }
    const duplicate = this.#suppressions.some(
      (s) => s.checkName === checkName && sameResource(s.resourceIdentifier, input.resourceIdentifier!),
    );
    if (duplicate) {
      throw new ServiceError(
        'ResourceAlreadyExistsException',
        'A suppression for this check and resource exists',
      );
    }
    this.#suppressions.push({
      checkName,
      resourceIdentifier: input.resourceIdentifier!,
      expirationDate: input.expirationDate,
      suppressIndefinitely: input.suppressIndefinitely,
      description: input.description,
    });
    return {};
  }

  listAuditSuppressions(input: iot.ListAuditSuppressionsRequest): iot.ListAuditSuppressionsResponse {
    const expiry = (s: Suppression) => s.expirationDate?.getTime() ?? Number.POSITIVE_INFINITY;
    const matching = this.#suppressions
      .filter((s) => input.checkName === undefined || s.checkName === input.checkName)
      .filter(
        (s) => !input.resourceIdentifier || sameResource(input.resourceIdentifier, s.resourceIdentifier),
      )
      // The service orders by expiration date, descending unless `ascendingOrder`.
      .sort((x, y) => (input.ascendingOrder ? expiry(x) - expiry(y) : expiry(y) - expiry(x)) || 0);
    const { page, nextToken } = pageOf(matching, input);
    return { suppressions: page, nextToken };
  }

  describeAuditSuppression(input: iot.DescribeAuditSuppressionRequest): iot.DescribeAuditSuppressionResponse {
    const suppression =
      this.#suppressions[this.#suppressionIndex(input.checkName!, input.resourceIdentifier!)];
    if (!suppression) throw notFound(`No suppression for ${input.checkName} and this resource`);
    return suppression;
  }

  deleteAuditSuppression(input: iot.DeleteAuditSuppressionRequest): iot.DeleteAuditSuppressionResponse {
    const index = this.#suppressionIndex(input.checkName!, input.resourceIdentifier!);
    if (index >= 0) this.#suppressions.splice(index, 1);
    return {};
  }

  // --- Internals ---------------------------------------------------------------------------------

  #suppressionIndex(checkName: string, resourceIdentifier: iot.ResourceIdentifier): number {
    return this.#suppressions.findIndex(
      (s) => s.checkName === checkName && sameResource(s.resourceIdentifier, resourceIdentifier),
    );
  }

  #task(taskId: string): MitigationTask {
    const task = this.#tasks.get(taskId);
    if (!task) throw notFound(`Audit mitigation actions task ${taskId} does not exist`);
    return task;
  }

  /** The reference's target rules (2.4) and the actions mapping, turned into per-check work. */
  #plannedWork(target: iot.AuditMitigationActionsTaskTarget, mapping: Record<string, string[]>): CheckWork[] {
    const filter = target.auditCheckToReasonCodeFilter;
    const byAudit = target.auditTaskId !== undefined && target.findingIds === undefined;
    const byFindings =
      target.findingIds !== undefined && target.auditTaskId === undefined && filter === undefined;
    if (!byAudit && !byFindings) {
      throw invalidRequest(
        'The target needs auditTaskId (optionally with auditCheckToReasonCodeFilter) or findingIds',
      );
    }
    const actionsByCheck = Object.entries(mapping).map(([checkName, names]) => ({
      checkName,
      actions: this.#actionsForCheck(checkName, names),
    }));
    for (const [checkName, reasonCodes] of Object.entries(filter ?? {})) {
      if (!(checkName in mapping))
        throw invalidRequest(`The reason-code filter names ${checkName}, which has no actions`);
      assertReasonCodesOf(checkName, reasonCodes);
    }

    if (byAudit) {
      const audit = this.#audits.get(target.auditTaskId!);
      if (!audit) throw invalidRequest(`Audit task ${target.auditTaskId} does not exist`);
      const status = auditStatus(audit, this.#clock.now());
      if (status !== 'COMPLETED') throw invalidRequest(`Audit task ${audit.taskId} is ${status}`);
      return actionsByCheck.map(({ checkName, actions }) => {
        const source = audit.checks.find((c) => c.checkName === checkName)?.findings;
        if (!source) return { checkName, actions, selected: listedFindings([]), skippedFindingsCount: 0 };
        const reasonCodes = filter?.[checkName];
        const suppressions = this.#activeSuppressions(checkName);
        const selected =
          reasonCodes === undefined && suppressions.length === 0
            ? selectFindings(source)
            : selectFindings(
                source,
                (f) =>
                  (reasonCodes === undefined || reasonCodes.includes(f.reasonForNonComplianceCode)) &&
                  !suppressions.some((s) =>
                    sameResource(s.resourceIdentifier, f.nonCompliantResource.resourceIdentifier),
                  ),
              );
        return { checkName, actions, selected, skippedFindingsCount: source.count - selected.count };
      });
    }

    const located = target.findingIds!.map((id) => {
      const location = this.#findingById(id);
      if (!location) throw invalidRequest(`Finding ${id} does not exist`);
      return location.finding;
    });
    return actionsByCheck.map(({ checkName, actions }) => {
      const ofCheck = located.filter((f) => f.checkName === checkName);
      const selected: FindingSelection = listedFindings(ofCheck.filter((f) => !this.#isSuppressed(f)));
      return { checkName, actions, selected, skippedFindingsCount: ofCheck.length - selected.count };
    });
  }

  #actionsForCheck(checkName: string, names: readonly string[]): MitigationActionRecord[] {
    const check = checkCatalogue.get(checkName);
    if (!check) throw invalidRequest(`Unknown audit check ${checkName}`);
    return names.map((name) => {
      const action = this.#actions.get(name);
      if (!action) throw invalidRequest(`Mitigation action ${name} does not exist`);
      if (!check.allowedActionTypes.includes(action.actionType)) {
        throw invalidRequest(`${checkName} does not support ${action.actionType} (action ${name})`);
      }
      return action;
    });
  }

  #findingById(findingId: string): FindingLocation | undefined {
    const now = this.#clock.now();
    for (const audit of this.#audits.values()) {
      if (!resultsVisible(audit, now)) continue;
      for (const check of audit.checks) {
        const index = check.findings.indexOf(findingId);
        if (index !== undefined) return { audit, finding: check.findings.at(index) };
      }
    }
    return undefined;
  }

  #activeSuppressions(checkName: string): Suppression[] {
    const now = this.#clock.now();
    return this.#suppressions.filter(
      (s) =>
        s.checkName === checkName &&
        (s.suppressIndefinitely === true ||
          s.expirationDate === undefined ||
          s.expirationDate.getTime() > now),
    );
  }

  #isSuppressed(finding: StoredFinding): boolean {
    return this.#activeSuppressions(finding.checkName).some((s) =>
      sameResource(s.resourceIdentifier, finding.nonCompliantResource.resourceIdentifier),
    );
  }

  /** Scans a check's findings only when a suppression could match one of them. */
  #suppressedCount(checkName: string, findings: Audit['checks'][number]['findings']): number {
    if (this.#activeSuppressions(checkName).length === 0) return 0;
    let count = 0;
    for (let i = 0; i < findings.count; i++) if (this.#isSuppressed(findings.at(i))) count++;
    return count;
  }

  #auditFinding(audit: Audit, finding: StoredFinding): iot.AuditFinding {
    return {
      findingId: finding.findingId,
      taskId: audit.taskId,
      checkName: finding.checkName,
      taskStartTime: new Date(audit.taskStartTime),
      findingTime: new Date(finding.findingTime ?? audit.taskStartTime),
      severity: finding.severity,
      nonCompliantResource: finding.nonCompliantResource,
      relatedResources: finding.relatedResources as iot.RelatedResource[] | undefined,
      reasonForNonCompliance: finding.reasonForNonCompliance,
      reasonForNonComplianceCode: finding.reasonForNonComplianceCode,
      isSuppressed: this.#isSuppressed(finding),
    };
  }

  /** List windows may reach back at most 90 days (reference 3.1). */
  #checkWindow(startTime: Date, endTime: Date): void {
    if (startTime.getTime() < this.#clock.now() - RETENTION_MS) {
      throw invalidRequest('startTime must be within the last 90 days');
    }
    if (endTime.getTime() < startTime.getTime()) throw invalidRequest('endTime must not be before startTime');
  }
}

function actionTypeOf(params: iot.MitigationActionParams): MitigationActionType {
  const given = (Object.keys(ACTION_TYPE_BY_PARAMS) as (keyof iot.MitigationActionParams)[]).filter(
    (member) => params[member] !== undefined,
  );
  if (given.length !== 1) throw invalidRequest('actionParams must hold exactly one kind of parameters');
  if (params.enableIoTLoggingParams?.logLevel === 'DISABLED') {
    throw invalidRequest('logLevel DISABLED cannot be used in a mitigation action');
  }
  return ACTION_TYPE_BY_PARAMS[given[0]!];
}

/**
 * A reason-code filter may only name codes the check reports (the catalogue's table of checks and
 * reason codes, from https://docs.aws.amazon.com/iot-device-defender/latest/devguide/device-defender-audit-checks.html).
 */
function assertReasonCodesOf(checkName: string, reasonCodes: readonly string[]): void {
  const known = checkCatalogue.get(checkName)?.reasonCodes ?? [];
  const unknown = reasonCodes.filter((code) => !known.includes(code));
  if (unknown.length > 0) {
    throw invalidRequest(
      `${checkName} has no reason code ${unknown.join(', ')}; its reason codes are ${known.join(', ')}`,
    );
  }
}

/** Failures a fixture declares win; otherwise the action takes effect. */
function declaredFailuresThen(effects: ActionExecutor): ActionExecutor {
  return (run) => {
    const declared = declaredFailures(run);
    return declared.status === 'FAILED' ? declared : effects(run);
  };
}

function inWindow(ms: number, start: Date, end: Date): boolean {
  return ms >= start.getTime() && ms <= end.getTime();
}
