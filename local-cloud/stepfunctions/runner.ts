import './promise-with-resolvers.ts';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import type { VirtualClock } from '../clock.ts';
import { type Definition, LOCAL_WAIT_RESOURCE, prepareDefinition, substitute } from './definition.ts';
import { SfnApiError } from './errors.ts';
import { LocalExecution, type RegisteredStateMachine } from './execution.ts';
import { localIotClient } from './iot-task.ts';
import type { LambdaHandlers } from './lambda-task.ts';
import { loadSmithyModel, SdkShapes } from './sdk-shapes.ts';
import type { SnsMessage } from './sns-task.ts';
import type { SsmParameterSource } from './ssm-task.ts';
import { type ExecutionStatusChangeEvent, executionStatusChangeEvent } from './status-change.ts';
import { TaskTokens } from './task-tokens.ts';
import { type ServedTask, serveResource, type TaskServices } from './tasks.ts';

export interface LocalStepFunctionsOptions {
  /** Shared with the emulator: Wait states and retry pauses advance it instead of sleeping. */
  readonly clock: VirtualClock;
  /** The Device Defender emulator (or any IoT endpoint) the `aws-sdk:iot:*` tasks call. */
  readonly iotEndpoint?: string;
  /** In-process handlers by function name or ARN, for `lambda:invoke` and function-ARN tasks. */
  readonly lambdas?: LambdaHandlers;
  /** What `aws-sdk:ssm:getParameter` reads (a map, or a store with versions); tests may change it while executions run. */
  readonly ssmParameters?: SsmParameterSource;
  /** Fills the ASL's `${Name}` placeholders, as the template's DefinitionSubstitutions do. */
  readonly definitionSubstitutions?: Readonly<Record<string, string>>;
  /**
   * Receives each "Step Functions Execution Status Change" event, as Step Functions sends it to the
   * default event bus: RUNNING when an execution starts, then its final status.
   */
  readonly onStatusChange?: (event: ExecutionStatusChangeEvent) => void;
  /** Receives each message an `sns:publish` task publishes (besides `snsMessages`). */
  readonly onSnsMessage?: (message: SnsMessage) => void;
}

/** A path to an ASL file, or the definition itself (placeholders are substituted in both). */
export type DefinitionSource = string | URL | Definition;

export interface StartExecutionRequest {
  /** Which registered state machine to run; with `definition`, the ARN it is registered under. */
  readonly stateMachineArn?: string;
  readonly definition?: DefinitionSource;
  /** 1-80 characters, none of those Step Functions forbids; a UUID when absent. */
  readonly name?: string;
  readonly input?: unknown;
}

const DEFAULT_STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:local';
const STATE_MACHINE_ARN = /^arn:([\w-]+):states:([\w-]+):(\d{12}):stateMachine:([\w-]{1,80})$/;
const IOT_MODEL = new URL('../model/iot-model-subset.json', import.meta.url);

/**
 * Runs the project's ASL with aws-local-stepfunctions against the emulator, in virtual time.
 *
 * StartExecution semantics follow the service: a name is unique per state machine; starting the same
 * name with the same input while it runs returns the running execution, anything else is
 * ExecutionAlreadyExists (inputs are compared as JSON values, not as text).
 */
export class LocalStepFunctions {
  /** Every message published through `sns:publish`, in order. */
  readonly snsMessages: SnsMessage[] = [];
  /** The tokens of `.waitForTaskToken` states: SendTaskSuccess / SendTaskFailure close them. */
  readonly taskTokens: TaskTokens;
  readonly #clock: VirtualClock;
  readonly #substitutions: Readonly<Record<string, string>>;
  readonly #services: TaskServices;
  readonly #stateMachines = new Map<string, RegisteredStateMachine>();
  readonly #executions = new Map<string, LocalExecution>();
  readonly #onStatusChange: ((event: ExecutionStatusChangeEvent) => void) | undefined;

  constructor(options: LocalStepFunctionsOptions) {
    this.#clock = options.clock;
    this.taskTokens = new TaskTokens(options.clock);
    this.#substitutions = options.definitionSubstitutions ?? {};
    this.#onStatusChange = options.onStatusChange;
    const onSnsMessage = options.onSnsMessage;
    this.#services = {
      iotClient: localIotClient(options.iotEndpoint),
      iotShapes: new SdkShapes(loadSmithyModel(IOT_MODEL), 'com.amazonaws.iot'),
      lambdas: options.lambdas ?? {},
      ssmParameters: options.ssmParameters ?? new Map(),
      recordSnsMessage: (message) => {
        this.snsMessages.push(message);
        onSnsMessage?.(message);
      },
      now: () => this.#clock.now(),
    };
  }

  /** Validates and prepares a definition; an unsupported Task resource fails here, not mid-execution. */
  registerStateMachine(stateMachineArn: string, source: DefinitionSource): void {
    const name = STATE_MACHINE_ARN.exec(stateMachineArn)?.[4];
    if (name === undefined) throw new SfnApiError('InvalidArn', `Invalid Arn: '${stateMachineArn}'`);
    const prepared = prepareDefinition(this.#load(source));
    const tasks = new Map<string, ServedTask>();
    for (const [stateName, { resource }] of prepared.tasks) {
      if (resource !== LOCAL_WAIT_RESOURCE) tasks.set(stateName, serveResource(resource, this.#services));
    }
    const engine = new StateMachine(prepared.runnable as StateMachineDefinition, {
      validationOptions: { noValidate: true },
    });
    this.#stateMachines.set(stateMachineArn, { arn: stateMachineArn, name, engine, prepared, tasks });
  }

  startExecution(request: StartExecutionRequest): LocalExecution {
    const stateMachineArn = request.stateMachineArn ?? DEFAULT_STATE_MACHINE_ARN;
    if (request.definition !== undefined) this.registerStateMachine(stateMachineArn, request.definition);
    const stateMachine = this.#registered(stateMachineArn);
    const name = request.name ?? randomUUID();
    assertValidName(name);
    const input = request.input ?? {};
    const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
    const existing = this.#executions.get(executionArn);
    if (existing !== undefined) {
      if (existing.status === 'RUNNING' && isDeepStrictEqual(existing.input, input)) return existing;
      throw new SfnApiError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const execution = new LocalExecution({
      clock: this.#clock,
      stateMachine,
      executionArn,
      name,
      input,
      taskTokens: this.taskTokens,
    });
    this.#executions.set(executionArn, execution);
    const listener = this.#onStatusChange;
    if (listener) {
      listener(executionStatusChangeEvent(execution, this.#clock.now()));
      void execution.result.then(() => listener(executionStatusChangeEvent(execution, this.#clock.now())));
    }
    return execution;
  }

  describeExecution(executionArn: string): LocalExecution | undefined {
    return this.#executions.get(executionArn);
  }

  /** Every execution started so far, in start order. */
  get executions(): LocalExecution[] {
    return [...this.#executions.values()];
  }

  /** The executions of one registered state machine, in start order (InvalidArn, StateMachineDoesNotExist). */
  executionsOf(stateMachineArn: string): LocalExecution[] {
    this.#registered(stateMachineArn);
    return this.executions.filter((execution) => execution.stateMachineArn === stateMachineArn);
  }

  #registered(stateMachineArn: string): RegisteredStateMachine {
    const stateMachine = this.#stateMachines.get(stateMachineArn);
    if (stateMachine === undefined) {
      const code = STATE_MACHINE_ARN.test(stateMachineArn) ? 'StateMachineDoesNotExist' : 'InvalidArn';
      const text = code === 'InvalidArn' ? 'Invalid Arn' : 'State Machine Does Not Exist';
      throw new SfnApiError(code, `${text}: '${stateMachineArn}'`);
    }
    return stateMachine;
  }

  #load(source: DefinitionSource): Definition {
    const text =
      typeof source === 'string' || source instanceof URL
        ? readFileSync(source, 'utf8')
        : JSON.stringify(source);
    return JSON.parse(substitute(text, this.#substitutions)) as Definition;
  }
}

/** StartExecution's name rules: 1-80 characters; no whitespace, brackets, wildcards, specials or controls. */
function assertValidName(name: string): void {
  const forbidden = [...name].some((char) => {
    const code = char.codePointAt(0) ?? 0;
    return /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/.test(char) || code <= 0x1f || (code >= 0x7f && code <= 0x9f);
  });
  if (name.length < 1 || name.length > 80 || forbidden) {
    throw new SfnApiError('InvalidName', `Invalid Name: '${name}'`);
  }
}
