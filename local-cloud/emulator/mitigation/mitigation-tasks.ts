/**
 * Audit mitigation actions tasks: Start, Describe, List and CancelAuditMitigationActionsTask,
 * ListAuditMitigationActionsExecutions, and the knobs that shape tasks started from now on (pace,
 * executor, injected action failures, describes without statistics).
 */
import type * as iot from '@aws-sdk/client-iot';
import type { Clock } from '../../clock.ts';
import { invalidRequest, notFound, ServiceError } from '../errors.ts';
import {
  type ActionFailureInjection,
  type OmittedStatisticsInjection,
  StatisticsOmission,
  withInjectedFailures,
} from '../faults.ts';
import { checkWindow, inWindow } from '../list-window.ts';
import { pageOf } from '../pagination.ts';
import type { ActionExecutor } from './executor.ts';
import { MitigationTask, type TaskProgress } from './mitigation-task.ts';
import { plannedWork, type TargetSources } from './task-targets.ts';

export const MAX_RUNNING_TASKS = 10;

export const DEFAULT_TASK_PROGRESS: TaskProgress = { startDelayMs: 2_000, findingsPerSecond: 10 };

export class MitigationTasks {
  readonly #clock: Clock;
  readonly #sources: TargetSources;
  readonly #tasks = new Map<string, MitigationTask>();
  #progress: TaskProgress = DEFAULT_TASK_PROGRESS;
  #executor: ActionExecutor;
  #actionFailures: ActionFailureInjection | undefined;
  #statisticsOmission = new StatisticsOmission();

  constructor(sources: TargetSources, executor: ActionExecutor) {
    this.#clock = sources.clock;
    this.#sources = sources;
    this.#executor = executor;
  }

  /** Pace of tasks started from now on. */
  setProgress(progress: Partial<TaskProgress>): void {
    this.#progress = { ...this.#progress, ...progress };
  }

  /** What applying an action does, for tasks started from now on. */
  setExecutor(executor: ActionExecutor): void {
    this.#executor = executor;
  }

  /** Fails matching mitigation actions of tasks started from now on; undefined stops. */
  injectActionFailures(injection: ActionFailureInjection | undefined): void {
    this.#actionFailures = injection;
  }

  /** Answers matching describes without `taskStatistics`; undefined stops. */
  omitStatistics(injection: OmittedStatisticsInjection | undefined): void {
    this.#statisticsOmission = new StatisticsOmission(injection);
  }

  start(input: iot.StartAuditMitigationActionsTaskRequest): iot.StartAuditMitigationActionsTaskResponse {
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
    // AWS says only that "an exception occurs" (docs/aws-facts/mitigation-tasks.md); the request is invalid.
    for (const task of this.#tasks.values()) {
      if (task.clientRequestToken === token) {
        throw invalidRequest(`The clientRequestToken is already used by task ${task.taskId}`);
      }
    }
    const mapping = input.auditCheckToActionsMapping!;
    const work = plannedWork(input.target!, mapping, this.#sources);
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

  describe(
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

  list(input: iot.ListAuditMitigationActionsTasksRequest): iot.ListAuditMitigationActionsTasksResponse {
    const now = this.#clock.now();
    checkWindow(input.startTime!, input.endTime!, now);
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

  listExecutions(
    input: iot.ListAuditMitigationActionsExecutionsRequest,
  ): iot.ListAuditMitigationActionsExecutionsResponse {
    const task = this.#tasks.get(input.taskId!);
    const executions = (task?.executions(input.findingId!, this.#clock.now()) ?? []).filter(
      (e) => input.actionStatus === undefined || e.status === input.actionStatus,
    );
    const { page, nextToken } = pageOf(executions, input);
    return { actionsExecutions: page, nextToken };
  }

  cancel(input: iot.CancelAuditMitigationActionsTaskRequest): iot.CancelAuditMitigationActionsTaskResponse {
    const task = this.#task(input.taskId!);
    const now = this.#clock.now();
    const status = task.status(now);
    if (status !== 'IN_PROGRESS') throw invalidRequest(`Task ${task.taskId} is ${status}, not IN_PROGRESS`);
    task.cancel(now);
    return {};
  }

  #task(taskId: string): MitigationTask {
    const task = this.#tasks.get(taskId);
    if (!task) throw notFound(`Audit mitigation actions task ${taskId} does not exist`);
    return task;
  }
}
