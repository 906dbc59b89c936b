/**
 * The emulated service: one object per resource (audits/, mitigation/, the fleet) composed behind
 * the API's operations and the control surface that tests, presets and the local demo use. It speaks
 * in the SDK's request and response types; the HTTP layer has already parsed and validated the input
 * against the model, so only the service's semantic rules live in the resource modules.
 */
import type * as iot from '@aws-sdk/client-iot';
import type { Clock } from '../clock.ts';
import type { Audit, AuditFixture } from './audits/audit.ts';
import { AuditConfiguration } from './audits/audit-configuration.ts';
import { AuditFindings } from './audits/audit-findings.ts';
import { type AuditProgress, AuditTasks } from './audits/audit-tasks.ts';
import { Suppressions } from './audits/suppressions.ts';
import {
  type ActionFailureInjection,
  type OmittedStatisticsInjection,
  Throttle,
  type ThrottlingInjection,
} from './faults.ts';
import { Fleet, type FleetSummary } from './fleet/fleet.ts';
import { fleetEffects } from './fleet/fleet-effects.ts';
import { type ActionExecutor, declaredFailuresThen } from './mitigation/executor.ts';
import { MitigationActions } from './mitigation/mitigation-actions.ts';
import type { TaskProgress } from './mitigation/mitigation-task.ts';
import { MitigationTasks } from './mitigation/mitigation-tasks.ts';
import { type AuditNotificationListener, AuditNotifier, type NotificationTarget } from './notifications.ts';

export type { AuditProgress } from './audits/audit-tasks.ts';

export interface ServiceOptions {
  readonly clock: Clock;
  readonly accountId: string;
  readonly region: string;
}

export class DeviceDefenderService {
  /** The emulated fleet: audits read it, mitigation actions change it. */
  readonly fleet = new Fleet();
  readonly #accountId: string;
  readonly #region: string;
  readonly #configuration = new AuditConfiguration();
  readonly #notifier: AuditNotifier;
  readonly #suppressions: Suppressions;
  readonly #audits: AuditTasks;
  readonly #findings: AuditFindings;
  readonly #actions: MitigationActions;
  readonly #tasks: MitigationTasks;
  #throttle = new Throttle();
  readonly #calls = new Map<string, number>();

  constructor({ clock, accountId, region }: ServiceOptions) {
    this.#accountId = accountId;
    this.#region = region;
    const fleet = this.fleet;
    const configuration = this.#configuration;
    const notifier = new AuditNotifier(region);
    const suppressions = new Suppressions(clock);
    const audits = new AuditTasks({ clock, accountId, fleet, configuration, suppressions, notifier });
    const findings = new AuditFindings(clock, audits, suppressions);
    const actions = new MitigationActions({ clock, accountId, region });
    this.#notifier = notifier;
    this.#suppressions = suppressions;
    this.#audits = audits;
    this.#findings = findings;
    this.#actions = actions;
    this.#tasks = new MitigationTasks(
      { clock, actions, audits, findings, suppressions },
      declaredFailuresThen(fleetEffects(fleet)),
    );
  }

  // --- Programmatic control (tests, presets, the local demo) -------------------------------------

  addAudit(fixture: AuditFixture): Audit {
    return this.#audits.add(fixture);
  }

  /** Runs a recorded scheduled audit now, as the service would on its schedule; returns the task id. */
  runScheduledAudit(scheduledAuditName: string): string {
    return this.#audits.runScheduled(scheduledAuditName);
  }

  /** Virtual duration of audits started from now on. */
  setAuditProgress(progress: Partial<AuditProgress>): void {
    this.#audits.setProgress(progress);
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
    this.#tasks.injectActionFailures(injection);
  }

  /** Answers matching DescribeAuditMitigationActionsTask calls without `taskStatistics`; undefined stops. */
  omitTaskStatistics(injection: OmittedStatisticsInjection | undefined): void {
    this.#tasks.omitStatistics(injection);
  }

  /** Called by the server for every request routed to an operation, before validation or throttling. */
  countCall(operationName: string): void {
    this.#calls.set(operationName, (this.#calls.get(operationName) ?? 0) + 1);
  }

  /** Requests per operation since the start or the last `resetCallCounts` (refused ones included). */
  callCounts(): Record<string, number> {
    return Object.fromEntries(this.#calls);
  }

  resetCallCounts(): void {
    this.#calls.clear();
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
  announceFinishedAudits(): Promise<void> {
    return this.#audits.announceFinished();
  }

  /** Pace of tasks started from now on. */
  setTaskProgress(progress: Partial<TaskProgress>): void {
    this.#tasks.setProgress(progress);
  }

  /**
   * What applying an action does, for tasks started from now on. The default honours the failures
   * fixtures declare and otherwise changes the fleet; injected failures apply in front of either.
   */
  setActionExecutor(executor: ActionExecutor): void {
    this.#tasks.setExecutor(executor);
  }

  // --- Mitigation actions (mitigation/mitigation-actions.ts) -------------------------------------

  createMitigationAction(input: iot.CreateMitigationActionRequest) {
    return this.#actions.create(input);
  }
  describeMitigationAction(input: iot.DescribeMitigationActionRequest) {
    return this.#actions.describe(input);
  }
  updateMitigationAction(input: iot.UpdateMitigationActionRequest) {
    return this.#actions.update(input);
  }
  deleteMitigationAction(input: iot.DeleteMitigationActionRequest) {
    return this.#actions.delete(input);
  }
  listMitigationActions(input: iot.ListMitigationActionsRequest) {
    return this.#actions.list(input);
  }

  // --- Audits (audits/audit-tasks.ts) and findings (audits/audit-findings.ts) --------------------

  startOnDemandAuditTask(input: iot.StartOnDemandAuditTaskRequest) {
    return this.#audits.startOnDemand(input);
  }
  cancelAuditTask(input: iot.CancelAuditTaskRequest) {
    return this.#audits.cancel(input);
  }
  describeAuditTask(input: iot.DescribeAuditTaskRequest) {
    return this.#audits.describe(input);
  }
  listAuditTasks(input: iot.ListAuditTasksRequest) {
    return this.#audits.list(input);
  }
  describeAuditFinding(input: iot.DescribeAuditFindingRequest) {
    return this.#findings.describe(input);
  }
  listAuditFindings(input: iot.ListAuditFindingsRequest) {
    return this.#findings.list(input);
  }

  // --- Audit configuration and scheduled audits (audits/audit-configuration.ts) ------------------

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
  listScheduledAudits(input: iot.ListScheduledAuditsRequest) {
    return this.#configuration.listScheduledAudits(input);
  }

  // --- Mitigation tasks (mitigation/mitigation-tasks.ts) ------------------------------------------

  startAuditMitigationActionsTask(input: iot.StartAuditMitigationActionsTaskRequest) {
    return this.#tasks.start(input);
  }
  describeAuditMitigationActionsTask(input: iot.DescribeAuditMitigationActionsTaskRequest) {
    return this.#tasks.describe(input);
  }
  listAuditMitigationActionsTasks(input: iot.ListAuditMitigationActionsTasksRequest) {
    return this.#tasks.list(input);
  }
  listAuditMitigationActionsExecutions(input: iot.ListAuditMitigationActionsExecutionsRequest) {
    return this.#tasks.listExecutions(input);
  }
  cancelAuditMitigationActionsTask(input: iot.CancelAuditMitigationActionsTaskRequest) {
    return this.#tasks.cancel(input);
  }

  // --- Suppressions (audits/suppressions.ts) -----------------------------------------------------

  createAuditSuppression(input: iot.CreateAuditSuppressionRequest) {
    return this.#suppressions.create(input);
  }
  listAuditSuppressions(input: iot.ListAuditSuppressionsRequest) {
    return this.#suppressions.list(input);
  }
  describeAuditSuppression(input: iot.DescribeAuditSuppressionRequest) {
    return this.#suppressions.describe(input);
  }
  deleteAuditSuppression(input: iot.DeleteAuditSuppressionRequest) {
    return this.#suppressions.delete(input);
  }
}
