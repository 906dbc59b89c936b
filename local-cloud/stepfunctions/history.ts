/**
 * Counts what Step Functions would record for an execution, from aws-local-stepfunctions' event log
 * (states) and the runner's task handlers (task attempts).
 *
 * Event types and which state types have them: HistoryEvent.type in the Step Functions API reference
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html): every state
 * type has <Type>StateEntered and <Type>StateExited except Fail (FailStateEntered only); Map and
 * Parallel add <Type>StateStarted and <Type>StateSucceeded|Failed, Map adds MapIteration* per item.
 * Each task attempt adds TaskScheduled, TaskStarted, TaskSucceeded|TaskFailed (service integrations,
 * lambda:invoke included) or LambdaFunctionScheduled/Started/Succeeded|Failed (a function ARN as
 * Resource). A retry records no event of its own: the next attempt's events are the trace.
 *
 * State transitions are what Step Functions bills for Standard workflows, "including retries"
 * (https://aws.amazon.com/step-functions/pricing/): one per state entered plus one per retry.
 */
export type TaskHistoryKind = 'Task' | 'LambdaFunction';

export interface HistoryCounts {
  readonly transitions: number;
  readonly historyEvents: number;
  /** Events per HistoryEvent type, e.g. `{ TaskScheduled: 3, WaitStateEntered: 2, ... }`. */
  readonly byType: Readonly<Record<string, number>>;
}

interface LoggedEvent {
  readonly type: string;
  readonly state?: { readonly name: string; readonly type: string };
}

export class ExecutionHistory {
  readonly #byType: Record<string, number> = {};
  readonly #stateTypes: ReadonlyMap<string, string>;
  #transitions = 0;
  #events = 0;

  /** `stateTypes`: the type of each state as written (Waits run as tasks but count as Waits). */
  constructor(stateTypes: ReadonlyMap<string, string>) {
    this.#stateTypes = stateTypes;
  }

  get counts(): HistoryCounts {
    return { transitions: this.#transitions, historyEvents: this.#events, byType: { ...this.#byType } };
  }

  taskAttemptStarted(kind: TaskHistoryKind): void {
    this.#record(`${kind}Scheduled`, `${kind}Started`);
  }

  taskAttemptEnded(kind: TaskHistoryKind, succeeded: boolean): void {
    this.#record(`${kind}${succeeded ? 'Succeeded' : 'Failed'}`);
  }

  /** The runner enforces TimeoutSeconds by aborting the engine, whose log then says ExecutionAborted. */
  executionTimedOut(): void {
    this.#record('ExecutionTimedOut');
  }

  /** One event of aws-local-stepfunctions' log. */
  logged(event: LoggedEvent): void {
    const stateType = event.state && (this.#stateTypes.get(event.state.name) ?? event.state.type);
    const hasRun = stateType === 'Map' || stateType === 'Parallel';
    switch (event.type) {
      case 'ExecutionStarted':
      case 'ExecutionSucceeded':
      case 'ExecutionFailed':
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed':
        this.#record(event.type);
        break;
      case 'StateEntered':
        this.#transitions++;
        this.#record(`${stateType}StateEntered`, ...(hasRun ? [`${stateType}StateStarted`] : []));
        break;
      case 'StateExited':
        if (stateType !== 'Fail')
          this.#record(...(hasRun ? [`${stateType}StateSucceeded`] : []), `${stateType}StateExited`);
        break;
      case 'StateFailed':
        if (hasRun) this.#record(`${stateType}StateFailed`);
        break;
      case 'StateRetried':
        this.#transitions++;
        break;
    }
  }

  #record(...types: string[]): void {
    for (const type of types) {
      this.#byType[type] = (this.#byType[type] ?? 0) + 1;
      this.#events++;
    }
  }
}
