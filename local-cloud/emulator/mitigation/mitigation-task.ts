/**
 * One audit mitigation actions task. Its progress is derived from the clock: after a start delay,
 * findings finish one after another at a fixed rate, every action of a finding in order. Outcomes
 * are decided once, in order, when time first passes a finding (so an executor with side effects
 * runs exactly once per action); only failures are stored, so counts stay cheap for huge tasks.
 */
import type {
  AuditMitigationActionExecutionMetadata,
  AuditMitigationActionsExecutionStatus,
  AuditMitigationActionsTaskStatus,
  AuditMitigationActionsTaskTarget,
  TaskStatisticsForAuditCheck,
} from '@aws-sdk/client-iot';
import type { ActionExecutor, MitigationActionRecord } from './executor.ts';
import type { FindingSelection } from './selection.ts';

export interface TaskProgress {
  /** Virtual time between the start and the first finding being worked on. */
  readonly startDelayMs: number;
  readonly findingsPerSecond: number;
}

/** The task's work for one check of its actions mapping. */
export interface CheckWork {
  readonly checkName: string;
  readonly actions: readonly MitigationActionRecord[];
  readonly selected: FindingSelection;
  /** Findings of the target left out: not matching the reason-code filter, or suppressed. */
  readonly skippedFindingsCount: number;
}

interface Failure {
  readonly actionIndex: number;
  readonly errorCode: string;
  readonly message: string;
}

export interface MitigationTaskInit {
  readonly taskId: string;
  readonly clientRequestToken: string;
  readonly startMs: number;
  readonly target: AuditMitigationActionsTaskTarget;
  readonly auditCheckToActionsMapping: Record<string, string[]>;
  readonly work: readonly CheckWork[];
  readonly progress: TaskProgress;
  readonly executor: ActionExecutor;
}

export class MitigationTask {
  readonly taskId: string;
  readonly clientRequestToken: string;
  readonly startMs: number;
  readonly target: AuditMitigationActionsTaskTarget;
  readonly auditCheckToActionsMapping: Record<string, string[]>;
  readonly work: readonly CheckWork[];
  readonly #executor: ActionExecutor;
  readonly #firstFindingMs: number;
  readonly #findingsPerMs: number;
  /** Global position (over all checks, in mapping order) where each check's findings begin. */
  readonly #offsets: number[];
  readonly #findingCount: number;
  #canceledAtMs: number | undefined;
  #decided = 0;
  readonly #failures = new Map<number, Failure>();
  readonly #failedPerCheck: number[];

  constructor(init: MitigationTaskInit) {
    this.taskId = init.taskId;
    this.clientRequestToken = init.clientRequestToken;
    this.startMs = init.startMs;
    this.target = init.target;
    this.auditCheckToActionsMapping = init.auditCheckToActionsMapping;
    this.work = init.work;
    this.#executor = init.executor;
    this.#firstFindingMs = init.startMs + init.progress.startDelayMs;
    this.#findingsPerMs = init.progress.findingsPerSecond / 1000;
    let offset = 0;
    this.#offsets = init.work.map((w) => {
      const start = offset;
      offset += w.selected.count;
      return start;
    });
    this.#findingCount = offset;
    this.#failedPerCheck = init.work.map(() => 0);
  }

  status(nowMs: number): AuditMitigationActionsTaskStatus {
    if (this.#canceledAtMs !== undefined) return 'CANCELED';
    if (nowMs < this.#firstFindingMs || this.#finished(nowMs) < this.#findingCount) return 'IN_PROGRESS';
    this.#decideUpTo(nowMs);
    return this.#failures.size > 0 ? 'FAILED' : 'COMPLETED';
  }

  endMs(nowMs: number): number | undefined {
    if (this.#canceledAtMs !== undefined) return this.#canceledAtMs;
    if (this.status(nowMs) === 'IN_PROGRESS') return undefined;
    return this.#finishingMs(this.#findingCount - 1);
  }

  /** Only an IN_PROGRESS task can be canceled; the caller checks. */
  cancel(nowMs: number): void {
    this.#decideUpTo(nowMs);
    this.#canceledAtMs = nowMs;
  }

  statistics(nowMs: number): Record<string, TaskStatisticsForAuditCheck> {
    this.#decideUpTo(nowMs);
    const finished = this.#finished(nowMs);
    return Object.fromEntries(
      this.work.map((w, c) => {
        const offset = this.#offsets[c]!;
        const finishedHere = Math.min(Math.max(finished - offset, 0), w.selected.count);
        const failed = this.#failedPerCheck[c]!;
        const statistics: TaskStatisticsForAuditCheck = {
          totalFindingsCount: w.selected.count + w.skippedFindingsCount,
          failedFindingsCount: failed,
          succeededFindingsCount: finishedHere - failed,
          skippedFindingsCount: w.skippedFindingsCount,
          canceledFindingsCount: this.#canceledAtMs === undefined ? 0 : w.selected.count - finishedHere,
        };
        return [w.checkName, statistics];
      }),
    );
  }

  includesFinding(findingId: string): boolean {
    return this.work.some((w) => w.selected.positionOf(findingId) !== undefined);
  }

  /** One execution per action of the finding's check; empty when the task does not work on it. */
  executions(findingId: string, nowMs: number): AuditMitigationActionExecutionMetadata[] {
    this.#decideUpTo(nowMs);
    const c = this.work.findIndex((w) => w.selected.positionOf(findingId) !== undefined);
    const work = this.work[c];
    if (!work) return [];
    const position = this.#offsets[c]! + work.selected.positionOf(findingId)!;
    const startMs = this.#finishingMs(position - 1);
    const endMs = this.#finishingMs(position);
    const finished = position < this.#finished(nowMs);
    const failure = this.#failures.get(position);
    return work.actions.map((action, j) => {
      const status = executionStatus(j, {
        finished,
        failure,
        canceled: this.#canceledAtMs !== undefined,
        started: nowMs >= startMs,
      });
      return {
        taskId: this.taskId,
        findingId,
        actionName: action.actionName,
        actionId: action.actionId,
        status,
        ...(status !== 'PENDING' && status !== 'CANCELED' && { startTime: new Date(startMs) }),
        ...(finished && { endTime: new Date(endMs) }),
        ...(failure?.actionIndex === j && { errorCode: failure.errorCode, message: failure.message }),
      };
    });
  }

  /** How many findings (in global order) have finished by `nowMs`; frozen by a cancel. */
  #finished(nowMs: number): number {
    const until = Math.min(nowMs, this.#canceledAtMs ?? nowMs);
    // The epsilon keeps float rounding from holding back a finding exactly at its finishing time.
    const count = Math.floor((until - this.#firstFindingMs) * this.#findingsPerMs + 1e-9);
    return Math.min(Math.max(count, 0), this.#findingCount);
  }

  /** When the finding at global `position` finishes (position -1: when the first one starts). */
  #finishingMs(position: number): number {
    return this.#firstFindingMs + (position + 1) / this.#findingsPerMs;
  }

  #decideUpTo(nowMs: number): void {
    const finished = this.#finished(nowMs);
    let c = 0;
    for (let position = this.#decided; position < finished; position++) {
      while (position >= this.#offsets[c]! + this.work[c]!.selected.count) c++;
      const work = this.work[c]!;
      const finding = work.selected.at(position - this.#offsets[c]!);
      for (const [actionIndex, action] of work.actions.entries()) {
        const outcome = this.#executor({
          taskId: this.taskId,
          finding,
          action,
          atMs: this.#finishingMs(position),
        });
        if (outcome.status === 'FAILED') {
          this.#failures.set(position, {
            actionIndex,
            errorCode: outcome.errorCode,
            message: outcome.message,
          });
          this.#failedPerCheck[c]!++;
          break;
        }
      }
    }
    this.#decided = Math.max(this.#decided, finished);
  }
}

function executionStatus(
  actionIndex: number,
  state: { finished: boolean; failure: Failure | undefined; canceled: boolean; started: boolean },
): AuditMitigationActionsExecutionStatus {
  if (state.finished) {
    if (!state.failure || actionIndex < state.failure.actionIndex) return 'COMPLETED';
    return actionIndex === state.failure.actionIndex ? 'FAILED' : 'SKIPPED';
  }
  if (state.canceled) return 'CANCELED';
  return state.started ? 'IN_PROGRESS' : 'PENDING';
}
