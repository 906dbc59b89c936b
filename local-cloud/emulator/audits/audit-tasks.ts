/**
 * Audit tasks: the audits the emulator knows (declared fixtures, on-demand and scheduled audits),
 * StartOnDemandAuditTask, CancelAuditTask, DescribeAuditTask and ListAuditTasks, and the notification
 * of each audit once it has ended.
 */
import { createHash } from 'node:crypto';
import type * as iot from '@aws-sdk/client-iot';
import type { Clock } from '../../clock.ts';
import { invalidRequest, notFound, ServiceError } from '../errors.ts';
import type { Fleet } from '../fleet/fleet.ts';
import { evaluateCheck } from '../fleet/fleet-checks.ts';
import { checkWindow, inWindow } from '../list-window.ts';
import { type AuditNotifier, auditNotification } from '../notifications.ts';
import { pageOf } from '../pagination.ts';
import {
  type Audit,
  type AuditFixture,
  auditFromFixture,
  auditStatus,
  checkRunStatus,
  reportedAt,
  resultsVisible,
} from './audit.ts';
import type { AuditConfiguration } from './audit-configuration.ts';
import type { Suppressions } from './suppressions.ts';

export const MAX_RUNNING_ON_DEMAND_AUDITS = 10;

export interface AuditProgress {
  /** Virtual time from an audit's start to its end. */
  readonly durationMs: number;
}
export const DEFAULT_AUDIT_PROGRESS: AuditProgress = { durationMs: 60_000 };

export interface AuditTasksOptions {
  readonly clock: Clock;
  readonly accountId: string;
  readonly fleet: Fleet;
  readonly configuration: AuditConfiguration;
  readonly suppressions: Suppressions;
  readonly notifier: AuditNotifier;
}

export class AuditTasks {
  readonly #options: AuditTasksOptions;
  readonly #audits = new Map<string, Audit>();
  /** Audits whose notification is still due (each is announced once, when it has ended). */
  readonly #unannounced = new Set<Audit>();
  #started = 0;
  #progress: AuditProgress = DEFAULT_AUDIT_PROGRESS;

  constructor(options: AuditTasksOptions) {
    this.#options = options;
  }

  add(fixture: AuditFixture): Audit {
    return this.#register(auditFromFixture(fixture, this.#options.clock.now()));
  }

  /** Runs a recorded scheduled audit now, as the service would on its schedule; returns the task id. */
  runScheduled(scheduledAuditName: string): string {
    const scheduled = this.#options.configuration.scheduledAudit(scheduledAuditName);
    return this.#start(scheduled.targetCheckNames, 'SCHEDULED_AUDIT_TASK', scheduledAuditName).taskId;
  }

  /** Virtual duration of audits started from now on. */
  setProgress(progress: Partial<AuditProgress>): void {
    this.#progress = { ...this.#progress, ...progress };
  }

  get(taskId: string): Audit | undefined {
    return this.#audits.get(taskId);
  }

  all(): Audit[] {
    return [...this.#audits.values()];
  }

  /** Notifies every audit that has ended by now and was not announced yet, in the order they ended. */
  async announceFinished(): Promise<void> {
    const { clock, accountId, notifier } = this.#options;
    const now = clock.now();
    const due = [...this.#unannounced]
      .filter((audit) => auditStatus(audit, now) !== 'IN_PROGRESS')
      .sort((a, b) => (a.canceledAtMs ?? a.endMs) - (b.canceledAtMs ?? b.endMs));
    for (const audit of due) this.#unannounced.delete(audit);
    for (const audit of due) {
      await notifier.deliver(auditNotification(accountId, audit.taskId, this.#describe(audit, now)), now);
    }
  }

  startOnDemand(input: iot.StartOnDemandAuditTaskRequest): iot.StartOnDemandAuditTaskResponse {
    const now = this.#options.clock.now();
    const running = this.all().filter(
      (a) => a.taskType === 'ON_DEMAND_AUDIT_TASK' && auditStatus(a, now) === 'IN_PROGRESS',
    ).length;
    if (running >= MAX_RUNNING_ON_DEMAND_AUDITS) {
      throw new ServiceError(
        'LimitExceededException',
        `At most ${MAX_RUNNING_ON_DEMAND_AUDITS} on-demand audits can be in progress`,
      );
    }
    return { taskId: this.#start(input.targetCheckNames!, 'ON_DEMAND_AUDIT_TASK').taskId };
  }

  cancel(input: iot.CancelAuditTaskRequest): iot.CancelAuditTaskResponse {
    const audit = this.#audit(input.taskId!);
    const now = this.#options.clock.now();
    const status = auditStatus(audit, now);
    if (status !== 'IN_PROGRESS')
      throw invalidRequest(`Audit task ${audit.taskId} is ${status}, not IN_PROGRESS`);
    audit.canceledAtMs = now;
    return {};
  }

  describe(input: iot.DescribeAuditTaskRequest): iot.DescribeAuditTaskResponse {
    return this.#describe(this.#audit(input.taskId!), this.#options.clock.now());
  }

  list(input: iot.ListAuditTasksRequest): iot.ListAuditTasksResponse {
    const now = this.#options.clock.now();
    checkWindow(input.startTime!, input.endTime!, now);
    const matching = this.all()
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

  #register(audit: Audit): Audit {
    this.#audits.set(audit.taskId, audit);
    this.#unannounced.add(audit);
    return audit;
  }

  /** Evaluates the checks on the fleet as it is now; the results show once the audit has ended. */
  #start(checkNames: readonly string[], taskType: iot.AuditTaskType, scheduledAuditName?: string): Audit {
    const { clock, accountId, fleet, configuration } = this.#options;
    configuration.assertRunnable(checkNames);
    const now = clock.now();
    if (taskType === 'SCHEDULED_AUDIT_TASK') fleet.beforeScheduledAudit();
    // 32 hex characters like the real ids, yet reproducible from run to run.
    const taskId = createHash('sha256')
      .update(`${accountId}/${++this.#started}/${now}`)
      .digest('hex')
      .slice(0, 32);
    const checks = Object.fromEntries(
      [...new Set(checkNames)].map((checkName) => [
        checkName,
        evaluateCheck(checkName, {
          fleet,
          nowMs: now,
          accountId,
          configuration: configuration.customConfiguration(checkName),
        }),
      ]),
    );
    const fixture: AuditFixture = { taskId, taskType, scheduledAuditName, taskStartTime: now, checks };
    return this.#register(auditFromFixture(fixture, now, now + this.#progress.durationMs));
  }

  #audit(taskId: string): Audit {
    const audit = this.#audits.get(taskId);
    if (!audit) throw notFound(`Audit task ${taskId} does not exist`);
    return audit;
  }

  /** Counts show once the audit has ended; suppressed findings are counted apart. */
  #describe(audit: Audit, now: number): iot.DescribeAuditTaskResponse {
    const visible = resultsVisible(audit, now);
    const runStatuses = audit.checks.map((check) => checkRunStatus(audit, check, now));
    const details = audit.checks.map((check, c) => {
      const entry: iot.AuditCheckDetails = { checkRunStatus: runStatuses[c] };
      if (visible) {
        const suppressed = this.#options.suppressions.hiddenCount(
          check.checkName,
          check.findings,
          reportedAt(audit),
        );
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
}
