import { ExecutionError, type RunOptions, type StateMachine } from 'aws-local-stepfunctions';
import type { VirtualClock } from '../clock.ts';
import type { PreparedDefinition } from './definition.ts';
import { RuntimeFailure } from './errors.ts';
import { ExecutionHistory, type HistoryCounts, type RecordedHistoryEvent, type TaskCall } from './history.ts';
import { RetryTracker } from './retry.ts';
import { type TaskTokens, withTaskToken } from './task-tokens.ts';
import type { ServedTask } from './tasks.ts';
import { waitOnClock } from './virtual-wait.ts';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface ExecutionOutcome {
  readonly status: Exclude<ExecutionStatus, 'RUNNING'>;
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
}

/** A state machine as the runner keeps it: validated, rewritten for virtual time, its tasks resolved. */
export interface RegisteredStateMachine {
  readonly arn: string;
  readonly name: string;
  readonly engine: StateMachine;
  readonly prepared: PreparedDefinition;
  readonly tasks: ReadonlyMap<string, ServedTask>;
}

export interface ExecutionLaunch {
  readonly clock: VirtualClock;
  readonly stateMachine: RegisteredStateMachine;
  readonly executionArn: string;
  readonly name: string;
  readonly input: unknown;
  /** Issues and closes the tokens of `.waitForTaskToken` states. */
  readonly taskTokens: TaskTokens;
}

type TaskHandlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;

/** One execution of a state machine on the virtual clock; `result` settles when it stops and never rejects. */
export class LocalExecution {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly input: unknown;
  readonly startDate: Date;
  readonly result: Promise<ExecutionOutcome>;
  status: ExecutionStatus = 'RUNNING';
  output?: unknown;
  error?: string;
  cause?: string;
  stopDate?: Date;

  readonly #clock: VirtualClock;
  readonly #history: ExecutionHistory;
  readonly #region: string;
  readonly #retries: RetryTracker;
  readonly #taskTokens: TaskTokens;
  // Aborted when the execution stops: drops its pending wake-ups and refuses further task attempts.
  readonly #lifetime = new AbortController();

  constructor({ clock, stateMachine, executionArn, name, input, taskTokens }: ExecutionLaunch) {
    const { prepared, engine } = stateMachine;
    this.#clock = clock;
    this.#taskTokens = taskTokens;
    this.executionArn = executionArn;
    this.stateMachineArn = stateMachine.arn;
    this.name = name;
    this.input = input;
    this.startDate = new Date(clock.now());
    const history = new ExecutionHistory(prepared.stateTypes, () => clock.now());
    this.#history = history;
    this.#region = executionArn.split(':')[3] ?? '';
    this.#retries = new RetryTracker((state) => prepared.tasks.get(state)?.retriers ?? []);

    const run = atVirtualTime(clock.now(), () =>
      engine.run(input as never, {
        overrides: {
          taskResourceLocalHandlers: this.#taskHandlers(stateMachine),
          retryIntervalOverrides: Object.fromEntries(prepared.retryingStates.map((state) => [state, 0])),
        },
        context: {
          Execution: { Id: executionArn, Name: name },
          StateMachine: { Id: stateMachine.arn, Name: stateMachine.name },
        },
      }),
    );
    const logged = (async () => {
      for await (const event of run.eventLogs) history.logged(event);
    })();
    let timedOut = false;
    if (prepared.timeoutSeconds !== undefined) {
      clock.sleep(prepared.timeoutSeconds * 1000, this.#lifetime.signal).then(
        () => {
          timedOut = true;
          run.abort();
        },
        () => {},
      );
    }
    this.result = run.result
      .then(
        (output): ExecutionOutcome => ({ status: 'SUCCEEDED', output }),
        (error: unknown): ExecutionOutcome => (timedOut ? TIMED_OUT : failure(error)),
      )
      .then(async (outcome) => {
        this.#lifetime.abort(new RuntimeFailure('the execution has stopped'));
        await logged;
        if (timedOut) history.executionTimedOut(TIMED_OUT.error, TIMED_OUT.cause);
        Object.assign(this, outcome, { stopDate: new Date(clock.now()) });
        return outcome;
      });
  }

  /** State transitions, history events and their breakdown by type (see `ExecutionHistory`). */
  get history(): HistoryCounts {
    return this.#history.counts;
  }

  /** The events GetExecutionHistory lists, oldest first. */
  get historyEvents(): readonly RecordedHistoryEvent[] {
    return this.#history.events;
  }

  #taskHandlers({ prepared, tasks }: RegisteredStateMachine): TaskHandlers {
    const handlers: Record<string, (parameters: unknown) => Promise<unknown>> = {};
    // Every Task state is served (the runner checked at registration); the rest are rewritten Waits.
    for (const [stateName, { resource }] of prepared.tasks) {
      const task = tasks.get(stateName);
      handlers[stateName] = task
        ? (parameters) => this.#attempt(stateName, task, { resource, region: this.#region, parameters })
        : (parameters) => waitOnClock(this.#clock, parameters, this.#lifetime.signal);
    }
    return handlers as TaskHandlers;
  }

  /** One task attempt: served as a unit of work on the clock; a retry's pause is spent in virtual time. */
  async #attempt(stateName: string, task: ServedTask, call: TaskCall): Promise<unknown> {
    this.#lifetime.signal.throwIfAborted();
    // A callback state's Parameters are { call, timeoutSeconds } (definition.ts): the integration gets `call`.
    const callback = task.callback
      ? (call.parameters as { call: unknown; timeoutSeconds: unknown })
      : undefined;
    const token = callback ? this.#taskTokens.issue() : undefined;
    const sent = callback && token ? { ...call, parameters: withTaskToken(callback.call, token) } : call;
    try {
      let result = await this.#clock.work(async () => {
        // The engine logs the state's entry (or retry) before it calls this handler, but its log is
        // read asynchronously: once it has caught up, the attempt's events follow that entry.
        await new Promise((resolve) => setImmediate(resolve));
        this.#history.taskAttemptStarted(task.historyKind, sent);
        return task.run(sent.parameters, this.executionArn);
      });
      if (callback && token) {
        // The integration answered: the state now waits, outside any work, so that time may move.
        this.#history.taskSubmitted(sent, result);
        const { timeoutSeconds } = callback;
        if (!Number.isInteger(timeoutSeconds) || (timeoutSeconds as number) < 1)
          throw new RuntimeFailure(
            `TimeoutSeconds must be a positive integer, got ${JSON.stringify(timeoutSeconds)}`,
          );
        result = await this.#taskTokens.wait(
          token,
          this.executionArn,
          timeoutSeconds as number,
          this.#lifetime.signal,
        );
      }
      this.#history.taskAttemptEnded(task.historyKind, sent, { output: result });
      this.#retries.succeeded(stateName);
      return result;
    } catch (error) {
      const { name, message } =
        error instanceof Error ? error : { name: 'States.TaskFailed', message: String(error) };
      if (callback && name === 'States.Timeout') this.#history.taskTimedOut(sent, name, message);
      else this.#history.taskAttemptEnded(task.historyKind, sent, { error: name, cause: message });
      const pauseMs = this.#retries.delayAfter(stateName, error);
      if (pauseMs !== undefined) await this.#clock.sleep(pauseMs, this.#lifetime.signal);
      throw error;
    }
  }
}

const TIMED_OUT = { status: 'TIMED_OUT', error: 'States.Timeout', cause: 'TimeoutSeconds elapsed' } as const;

function failure(error: unknown): ExecutionOutcome {
  const reason = error instanceof ExecutionError ? error.cause : error;
  const { name, message } =
    reason instanceof Error ? reason : { name: 'States.Runtime', message: String(reason) };
  return { status: 'FAILED', error: name, cause: message };
}

/**
 * aws-local-stepfunctions stamps `$$.Execution.StartTime` with `new Date()` while `run()` starts the
 * execution synchronously, overriding any StartTime in the `context` option. Date reads the virtual
 * clock for exactly that synchronous call; task handlers do their work later, in `clock.work`.
 */
function atVirtualTime<T>(nowMs: number, start: () => T): T {
  const RealDate = Date;
  class VirtualDate extends RealDate {
    constructor(...args: []) {
      super(...((args.length === 0 ? [nowMs] : args) as []));
    }
    static override now() {
      return nowMs;
    }
  }
  globalThis.Date = VirtualDate as DateConstructor;
  try {
    return start();
  } finally {
    globalThis.Date = RealDate;
  }
}
