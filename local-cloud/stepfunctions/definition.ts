import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { TASK_TOKEN_PLACEHOLDER } from './task-tokens.ts';

/** A state machine definition as plain JSON, before it is handed to aws-local-stepfunctions. */
export type Definition = Record<string, unknown> & { StartAt: string; States: Record<string, State> };
export type State = Record<string, unknown> & { Type: string };

/** The resource of a Wait state rewritten to run on the virtual clock (see `prepareDefinition`). */
export const LOCAL_WAIT_RESOURCE = 'arn:aws:states:::local:wait';

/** The longest timer Node accepts, in seconds: task timeouts never fire in virtual time (tasks take none). */
const NEVER_SECONDS = 2_147_483;

export interface Retrier {
  readonly ErrorEquals: readonly string[];
  readonly IntervalSeconds?: number;
  readonly MaxAttempts?: number;
  readonly BackoffRate?: number;
  readonly MaxDelaySeconds?: number;
}

export interface TaskState {
  readonly resource: string;
  readonly retriers: readonly Retrier[];
  /** A `.waitForTaskToken` state: its Parameters are rewritten by `callbackParameters`. */
  readonly callback?: true;
}

/** The suffix of a Task resource that waits for SendTaskSuccess / SendTaskFailure. */
export const CALLBACK_SUFFIX = '.waitForTaskToken';

export interface PreparedDefinition {
  /** The definition aws-local-stepfunctions runs: Waits rewritten, task timeouts neutralised. */
  readonly runnable: StateMachineDefinition;
  /** Task states (at any depth, rewritten Waits included) by name. */
  readonly tasks: ReadonlyMap<string, TaskState>;
  /** States whose Retry pauses the runner spends in virtual time instead of aws-local-stepfunctions. */
  readonly retryingStates: readonly string[];
  /** The type of every state (at any depth) as written, so that history counts a rewritten Wait as a Wait. */
  readonly stateTypes: ReadonlyMap<string, string>;
  /** The execution timeout, enforced in virtual time by the runner. */
  readonly timeoutSeconds: number | undefined;
}

/** Fills `${Name}` placeholders as CloudFormation's DefinitionSubstitutions do; a missing one is an error. */
export function substitute(definitionText: string, substitutions: Readonly<Record<string, string>>): string {
  return definitionText.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
    const value = substitutions[name];
    if (value === undefined) throw new Error(`DefinitionSubstitutions has no value for \${${name}}`);
    return JSON.stringify(value).slice(1, -1);
  });
}

/**
 * Validates the definition as aws-local-stepfunctions does, then rewrites it so that it runs in virtual
 * time: each Wait state becomes a Task served by a local handler that sleeps on the shared clock.
 * Its Parameters carry the wait's Seconds/Timestamp (or the `.$` path, resolved by the engine against
 * the effective input, as for a Wait) and the effective input itself, which the handler returns
 * unchanged, so InputPath and OutputPath keep their Wait semantics.
 */
export function prepareDefinition(definition: Definition): PreparedDefinition {
  validate(definition);
  const runnable = structuredClone(definition);
  const tasks = new Map<string, TaskState>();
  const retryingStates: string[] = [];
  const stateTypes = new Map<string, string>();
  const timeoutSeconds = typeof runnable.TimeoutSeconds === 'number' ? runnable.TimeoutSeconds : undefined;
  delete runnable.TimeoutSeconds;
  forEachState(runnable, (name, state, states) => {
    stateTypes.set(name, state.Type);
    if (Array.isArray(state.Retry)) retryingStates.push(name);
    if (state.Type === 'Wait') {
      states[name] = waitAsTask(state);
      tasks.set(name, { resource: LOCAL_WAIT_RESOURCE, retriers: [] });
    } else if (state.Type === 'Task') {
      const resource = String(state.Resource);
      const callback = resource.endsWith(CALLBACK_SUFFIX);
      tasks.set(name, {
        resource,
        retriers: (state.Retry as Retrier[] | undefined) ?? [],
        ...(callback ? { callback: true as const } : {}),
      });
      if (callback) state.Parameters = callbackParameters(name, state);
      delete state.TimeoutSecondsPath;
      delete state.HeartbeatSeconds;
      delete state.HeartbeatSecondsPath;
      state.TimeoutSeconds = NEVER_SECONDS;
    }
  });
  return {
    runnable: runnable as unknown as StateMachineDefinition,
    tasks,
    retryingStates,
    stateTypes,
    timeoutSeconds,
  };
}

// Validation compiles JSON schemas (a few hundred ms), so each distinct definition is checked once.
const validDefinitions = new Set<string>();

function validate(definition: Definition): void {
  const text = JSON.stringify(definition);
  if (validDefinitions.has(text)) return;
  new StateMachine(JSON.parse(text) as StateMachineDefinition);
  validDefinitions.add(text);
}

/**
 * A callback state's Parameters for the local runner: `call` holds what the integration receives, with
 * `$$.Task.Token` (which aws-local-stepfunctions' context lacks) as a placeholder the runner replaces
 * by each attempt's token; `timeoutSeconds` is the state's TimeoutSeconds (or TimeoutSecondsPath, read
 * by the engine from the effective input), enforced by the runner in virtual time. Without a timeout a
 * callback could wait for ever (Step Functions' default is the execution's own limit), so one is
 * required; HeartbeatSeconds is not emulated and is refused rather than ignored.
 */
function callbackParameters(name: string, state: State): Record<string, unknown> {
  if (state.HeartbeatSeconds !== undefined || state.HeartbeatSecondsPath !== undefined)
    throw new Error(`${name}: the local runner does not emulate HeartbeatSeconds on callback tasks`);
  const parameters: Record<string, unknown> = {
    ...(state.Parameters === undefined
      ? { 'call.$': '$' }
      : { call: withTokenPlaceholder(state.Parameters) }),
  };
  if (typeof state.TimeoutSeconds === 'number') parameters.timeoutSeconds = state.TimeoutSeconds;
  else if (typeof state.TimeoutSecondsPath === 'string')
    parameters['timeoutSeconds.$'] = state.TimeoutSecondsPath;
  else throw new Error(`${name}: a callback task needs TimeoutSeconds or TimeoutSecondsPath here`);
  return parameters;
}

/** `"x.$": "$$.Task.Token"` -> `"x": placeholder`; inside an intrinsic, a string literal. */
function withTokenPlaceholder(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withTokenPlaceholder);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => {
      if (!key.endsWith('.$') || typeof item !== 'string') return [key, withTokenPlaceholder(item)];
      if (item === '$$.Task.Token') return [key.slice(0, -2), TASK_TOKEN_PLACEHOLDER];
      return [key, item.split('$$.Task.Token').join(`'${TASK_TOKEN_PLACEHOLDER}'`)];
    }),
  );
}

function waitAsTask(wait: State): State {
  const { Type: _type, Seconds, SecondsPath, Timestamp, TimestampPath, ...transitions } = wait;
  const parameters: Record<string, unknown> = { 'input.$': '$' };
  if (Seconds !== undefined) parameters.seconds = Seconds;
  if (SecondsPath !== undefined) parameters['seconds.$'] = SecondsPath;
  if (Timestamp !== undefined) parameters.timestamp = Timestamp;
  if (TimestampPath !== undefined) parameters['timestamp.$'] = TimestampPath;
  return {
    ...transitions,
    Type: 'Task',
    Resource: LOCAL_WAIT_RESOURCE,
    Parameters: parameters,
    TimeoutSeconds: NEVER_SECONDS,
  };
}

type StateVisitor = (name: string, state: State, states: Record<string, State>) => void;

function forEachState(machine: { States: Record<string, State> }, visit: StateVisitor): void {
  for (const [name, state] of Object.entries(machine.States)) {
    visit(name, state, machine.States);
    for (const nested of nestedMachines(state)) forEachState(nested, visit);
  }
}

function nestedMachines(state: State): { States: Record<string, State> }[] {
  if (state.Type === 'Parallel') return state.Branches as { States: Record<string, State> }[];
  if (state.Type === 'Map')
    return [(state.ItemProcessor ?? state.Iterator) as { States: Record<string, State> }];
  return [];
}
