/**
 * What Step Functions would record for an execution, from aws-local-stepfunctions' event log (states)
 * and the runner's task handlers (task attempts): the events themselves, as GetExecutionHistory lists
 * them, and their counts.
 *
 * Event types and which state types have them: HistoryEvent.type in the Step Functions API reference
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html): every state
 * type has <Type>StateEntered and <Type>StateExited except Fail (FailStateEntered only); Map and
 * Parallel add <Type>StateStarted and <Type>StateSucceeded|Failed, Map adds MapIteration* per item.
 * Each task attempt adds TaskScheduled, TaskStarted, TaskSucceeded|TaskFailed (service integrations,
 * lambda:invoke included) or LambdaFunctionScheduled/Started/Succeeded|Failed (a function ARN as
 * Resource). A retry records no event of its own: the next attempt's events are the trace.
 * Each event's details (`<type>EventDetails`) hold what docs/aws-facts/step-functions.md lists.
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

/** One event of the history, as GetExecutionHistory answers it (timestamps in epoch milliseconds). */
export interface RecordedHistoryEvent {
  /** Sequential, starting at 1. */
  readonly id: number;
  readonly previousEventId: number;
  readonly timestampMs: number;
  readonly type: string;
  /** The HistoryEvent member that holds the details, e.g. `stateEnteredEventDetails`. */
  readonly detailsMember?: string;
  /** JSON texts (`input`, `output`, `parameters`) are execution data, left out on request. */
  readonly details?: Readonly<Record<string, unknown>>;
}

/** A task attempt as the runner starts it: the state's Resource, the region it runs in, its parameters. */
export interface TaskCall {
  readonly resource: string;
  readonly region: string;
  readonly parameters: unknown;
}

export type TaskAttemptOutcome =
  | { readonly output: unknown }
  | { readonly error: string; readonly cause: string };

interface LoggedEvent {
  readonly type: string;
  readonly state?: {
    readonly name: string;
    readonly type: string;
    readonly input?: unknown;
    readonly output?: unknown;
  };
  readonly input?: unknown;
  readonly output?: unknown;
  readonly index?: number;
  readonly parentState?: { readonly name: string };
  readonly Error?: string;
  readonly Cause?: unknown;
}

const DATA = { truncated: false } as const;
const json = (value: unknown) => JSON.stringify(value ?? null);
const text = (value: unknown) => (typeof value === 'string' ? value : json(value));

export class ExecutionHistory {
  readonly #byType: Record<string, number> = {};
  readonly #stateTypes: ReadonlyMap<string, string>;
  readonly #now: () => number;
  readonly #events: RecordedHistoryEvent[] = [];
  #transitions = 0;

  /** `stateTypes`: the type of each state as written (Waits run as tasks but count as Waits). */
  constructor(stateTypes: ReadonlyMap<string, string>, now: () => number = Date.now) {
    this.#stateTypes = stateTypes;
    this.#now = now;
  }

  get counts(): HistoryCounts {
    return {
      transitions: this.#transitions,
      historyEvents: this.#events.length,
      byType: { ...this.#byType },
    };
  }

  /** Every event so far, oldest first. */
  get events(): readonly RecordedHistoryEvent[] {
    return this.#events;
  }

  taskAttemptStarted(kind: TaskHistoryKind, call: TaskCall): void {
    if (kind === 'LambdaFunction') {
      this.#record('LambdaFunctionScheduled', {
        resource: call.resource,
        input: json(call.parameters),
        inputDetails: DATA,
      });
      this.#record('LambdaFunctionStarted');
      return;
    }
    const { resourceType, resource } = integration(call.resource);
    this.#record('TaskScheduled', {
      resourceType,
      resource,
      region: call.region,
      parameters: json(call.parameters),
    });
    this.#record('TaskStarted', { resourceType, resource });
  }

  taskAttemptEnded(kind: TaskHistoryKind, call: TaskCall, outcome: TaskAttemptOutcome): void {
    const succeeded = 'output' in outcome;
    const type = `${kind}${succeeded ? 'Succeeded' : 'Failed'}`;
    const result = succeeded
      ? { output: json(outcome.output), outputDetails: DATA }
      : { error: outcome.error, cause: outcome.cause };
    this.#record(type, kind === 'Task' ? { ...integration(call.resource), ...result } : result);
  }

  /** A callback task's integration answered: the state now waits for its token (TaskSubmitted). */
  taskSubmitted(call: TaskCall, output: unknown): void {
    this.#record('TaskSubmitted', {
      ...integration(call.resource),
      output: json(output),
      outputDetails: DATA,
    });
  }

  /** A callback task's TimeoutSeconds elapsed before its token was closed (TaskTimedOut). */
  taskTimedOut(call: TaskCall, error: string, cause: string): void {
    this.#record('TaskTimedOut', { ...integration(call.resource), error, cause });
  }

  /** The runner enforces TimeoutSeconds by aborting the engine, whose log then says ExecutionAborted. */
  executionTimedOut(error: string, cause: string): void {
    this.#record('ExecutionTimedOut', { error, cause });
  }

  /** One event of aws-local-stepfunctions' log. */
  logged(event: LoggedEvent): void {
    const state = event.state;
    const stateType = state && (this.#stateTypes.get(state.name) ?? state.type);
    const hasRun = stateType === 'Map' || stateType === 'Parallel';
    switch (event.type) {
      case 'ExecutionStarted':
        this.#record(event.type, { input: json(event.input), inputDetails: DATA });
        break;
      case 'ExecutionSucceeded':
        this.#record(event.type, { output: json(event.output), outputDetails: DATA });
        break;
      case 'ExecutionFailed':
        this.#record(event.type, failure(event));
        break;
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed':
        this.#record(event.type, { name: event.parentState?.name, index: event.index });
        break;
      case 'StateEntered':
        this.#transitions++;
        this.#record(`${stateType}StateEntered`, {
          name: state?.name,
          input: json(state?.input),
          inputDetails: DATA,
        });
        if (hasRun) this.#record(`${stateType}StateStarted`);
        break;
      case 'StateExited':
        if (stateType === 'Fail') break;
        if (hasRun) this.#record(`${stateType}StateSucceeded`);
        this.#record(`${stateType}StateExited`, {
          name: state?.name,
          output: json(state?.output),
          outputDetails: DATA,
        });
        break;
      case 'StateFailed':
        if (hasRun) this.#record(`${stateType}StateFailed`, failure(event));
        break;
      case 'StateRetried':
        this.#transitions++;
        break;
    }
  }

  #record(type: string, details?: Record<string, unknown>): void {
    this.#byType[type] = (this.#byType[type] ?? 0) + 1;
    const id = this.#events.length + 1;
    this.#events.push({
      id,
      previousEventId: id - 1,
      timestampMs: this.#now(),
      type,
      ...(details === undefined ? {} : { detailsMember: detailsMember(type), details }),
    });
  }
}

/** Which HistoryEvent member holds an event type's details (the API reference's HistoryEvent). */
function detailsMember(type: string): string {
  const stateEvent = /^[A-Z][a-z]+State(Entered|Exited)$/.exec(type);
  if (stateEvent) return `state${stateEvent[1]}EventDetails`;
  return `${type[0]!.toLowerCase()}${type.slice(1)}EventDetails`;
}

/** `arn:<partition>:states:::<service>[:<api>]:<action>`: the service part, then the action. */
function integration(resourceArn: string): { resourceType: string; resource: string } {
  const path = resourceArn.split(':::')[1] ?? resourceArn;
  const cut = path.lastIndexOf(':');
  return { resourceType: path.slice(0, cut), resource: path.slice(cut + 1) };
}

function failure(event: LoggedEvent): Record<string, unknown> {
  return {
    ...(event.Error === undefined ? {} : { error: event.Error }),
    ...(event.Cause === undefined ? {} : { cause: text(event.Cause) }),
  };
}
