/**
 * The whole deployed flow, locally, on one virtual clock, wired as template.yaml says at run time
 * (local-cloud/wiring/): the Device Defender emulator; the template's SSM parameters in a local parameter
 * store (served over SSM's protocol); its topics, queues, Pipe, event buses, rules and schedule; its
 * functions, each imported from its esbuild entry point with its template environment; and its state
 * machine, with the template's DefinitionSubstitutions, in the local Step Functions engine (served
 * over SFN's protocol), whose status-change events reach the default bus and its rules. The
 * functions' real SDK clients find these endpoints through the standard `AWS_ENDPOINT_URL_<SERVICE>`
 * variables, as they would find AWS.
 *
 * An audit notification goes SNS topic -> SQS queue -> Pipe -> event bus -> rule -> planner, and fails
 * on the way exactly where the template would make it fail in AWS (a dead-letter queue, an event no
 * rule matches). Give `templateText` or `transformTemplate` to deploy another version of the template.
 *
 * One stack per process (per test file under vitest): like Lambda, the handlers read their endpoints
 * and settings from the environment, and their SDK clients keep the endpoint they first resolved.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IoTClient } from '@aws-sdk/client-iot';
import { VirtualClock } from './clock.ts';
import type { AuditNotification } from './emulator/index.ts';
import { type Emulator, presets, startEmulator } from './emulator/index.ts';
import { ParameterStore, startLocalSsmEndpoint } from './parameter-store.ts';
import { type LocalSfnEndpoint, LocalStepFunctions, startLocalSfnEndpoint } from './stepfunctions/index.ts';
import {
  type BusEvent,
  type Caller,
  deployIotResources,
  deploySsmParameters,
  type Invocation,
  LocalCloud,
  type PublishedMessage,
  type PublishTrace,
  type PutEventResult,
  type PutEventsEntry,
  type SqsMessage,
} from './wiring/index.ts';
import { functionEnvironments, loadFunctions, mergedEnvironment } from './wiring/lambda.ts';
import { startLocalSnsEndpoint } from './wiring/sns-endpoint.ts';
import {
  type CfnTemplate,
  DeployedTemplate,
  parseTemplate,
  readTemplateText,
  TEMPLATE_URL,
} from './wiring/template.ts';

export const ACCOUNT_ID = '123456789012';
export const REGION = 'us-east-1';
export const PARTITION = 'aws';
/** The stack name `sam deploy` uses by default (samconfig.toml). */
export const STACK_NAME = 'device-defender-remediation';
/** Where the local stack stores a policy given as `policy` (passed as the PolicyParameterName parameter). */
export const POLICY_PARAMETER = `/${STACK_NAME}/policy`;

/** The logical ids the local stack's conveniences use; everything else is read from the template. */
export const AUDIT_NOTIFICATIONS_TOPIC = 'AuditNotificationsTopic';

/**
 * The operator the local stack is deployed with: its OperatorPrincipalArns parameter is this role
 * unless `parameters` say otherwise, and `putEvents` without a caller puts as this role (as
 * `npm run rerun` would with an operator's credentials).
 */
export const OPERATOR_ROLE_ARN = `arn:${PARTITION}:iam::${ACCOUNT_ID}:role/remediation-operator`;

export interface LocalStackOptions {
  /** An emulator preset to load: `demo` (a small fleet with every problem) or `large`. */
  readonly preset?: string;
  /** The runtime switch the stack creates (the SwitchDefault parameter), before anything else happens. */
  readonly switchValue?: string;
  /** A policy document to serve from the policy parameter; without it the bundled default applies. */
  readonly policy?: unknown;
  /** Template parameter overrides, as `sam deploy --parameter-overrides` gives them. */
  readonly parameters?: Readonly<Record<string, string>>;
  /** The template to deploy instead of template.yaml as it is on disk. */
  readonly templateText?: string;
  /** Changes the parsed template before it is deployed (e.g. to put an old InputTemplate back). */
  readonly transformTemplate?: (template: CfnTemplate) => CfnTemplate | undefined;
  readonly stackName?: string;
  /** Where virtual time starts; by default an hour ahead of real time. */
  readonly startMs?: number;
  /** Show the functions' logs (Powertools) instead of silencing them. */
  readonly verbose?: boolean;
}

export interface LocalStack {
  readonly clock: VirtualClock;
  readonly emulator: Emulator;
  readonly parameters: ParameterStore;
  readonly runner: LocalStepFunctions;
  /** The template as deployed: names, ARNs, parameter values. */
  readonly deployed: DeployedTemplate;
  /** The deployed wiring: topics, queues, buses, pipes, functions. */
  readonly cloud: LocalCloud;
  readonly stateMachineArn: string;
  readonly switchParameterName: string;
  /** A client of the emulator, for the things a person or the service would do (start an audit...). */
  readonly iot: IoTClient;
  /** Every audit notification the emulator announced, in order. */
  readonly notifications: AuditNotification[];
  /** Every asynchronous function invocation (rules, schedules), in the order they ended. */
  readonly invocations: readonly Invocation[];
  /**
   * Device Defender's delivery of an audit notification to the stack's topic: SNS -> SQS -> Pipe ->
   * event bus -> rules -> functions, as the template wires them. Settles when all of it has happened.
   */
  publishAuditNotification(notification: unknown): Promise<PublishTrace>;
  /**
   * PutEvents on the stack's buses (`npm run rerun` puts an "Audit Remediation Requested" event), by
   * `caller` (OPERATOR_ROLE_ARN when not given); each entry is authorised against its bus's policy and
   * refused (AccessDeniedException) as AWS would.
   */
  putEvents(entries: readonly PutEventsEntry[], caller?: Caller): Promise<PutEventResult[]>;
  /** Fires a schedule of the template once (the only one when not named): its target gets its Input. */
  triggerSchedule(scheduleId?: string): Promise<Invocation>;
  /** Messages at rest in a queue of the template, e.g. a dead-letter queue. */
  deadLetters(queueId: string): readonly SqsMessage[];
  /** Events a bus received (the stack's bus by default), matched or not. */
  busEvents(busName?: string): readonly BusEvent[];
  /** Messages published to a topic of the template (reports, cleanup notices...). */
  topicMessages(topicId: string): readonly PublishedMessage[];
  /** Sets the switch quietly: without the "Parameter Store Change" event (see putParameter). */
  setSwitch(value: string): void;
  /**
   * PutParameter as Parameter Store does it: the value changes, and its "Parameter Store Change" event
   * (operation Create or Update) reaches the default bus and its rules.
   */
  putParameter(name: string, value: string): Promise<PutEventResult>;
  /** DeleteParameter, with its "Parameter Store Change" event (operation Delete). */
  deleteParameter(name: string): Promise<PutEventResult>;
  /** Settles once background deliveries (status-change events -> cleanup) are done. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

const ROOT_DIR = dirname(fileURLToPath(TEMPLATE_URL));

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  // Virtual time runs ahead of real time, as it does once anything has waited: a fresh execution's
  // startDate then never looks older than the planner's call (its duplicate test).
  const clock = new VirtualClock(options.startMs ?? Date.now() + 3_600_000);
  const stackName = options.stackName ?? STACK_NAME;
  const policyParameter = `/${stackName}/policy`;

  let template = parseTemplate(options.templateText ?? readTemplateText());
  if (options.transformTemplate) template = options.transformTemplate(template) ?? template;
  const deployed = new DeployedTemplate(template, {
    stackName,
    accountId: ACCOUNT_ID,
    region: REGION,
    partition: PARTITION,
    parameters: {
      ...(template.Parameters?.OperatorPrincipalArns === undefined
        ? {}
        : { OperatorPrincipalArns: OPERATOR_ROLE_ARN }),
      ...(options.switchValue === undefined ? {} : { SwitchDefault: options.switchValue }),
      ...(options.policy === undefined ? {} : { PolicyParameterName: policyParameter }),
      ...options.parameters,
    },
  });

  const emulator = await startEmulator({ clock, accountId: ACCOUNT_ID, region: REGION });
  if (options.preset) {
    const preset = presets[options.preset];
    if (!preset)
      throw new Error(`unknown preset ${options.preset}; choose from ${Object.keys(presets).join(', ')}`);
    preset(emulator.service, clock.now());
  }
  const notifications: AuditNotification[] = [];
  emulator.service.onAuditNotification((notification) => {
    notifications.push(notification);
  });

  // What CloudFormation would create before anything runs.
  const parameters = new ParameterStore(clock);
  deploySsmParameters(deployed, parameters);
  if (options.policy !== undefined) parameters.set(policyParameter, JSON.stringify(options.policy));
  deployIotResources(deployed, emulator.service);
  const cloud = new LocalCloud(deployed, clock);

  const [ssm, sns] = await Promise.all([
    startLocalSsmEndpoint(parameters),
    startLocalSnsEndpoint((arn) => cloud.topicByArn(arn)),
  ]);
  const environments = functionEnvironments(deployed);
  const environment = mergedEnvironment(environments);
  // The switch the functions read (the state machine reads the same one through its substitutions).
  const switchParameterName = environment.SWITCH_PARAMETER_NAME;
  if (switchParameterName === undefined)
    throw new Error('no function of the template reads SWITCH_PARAMETER_NAME');
  Object.assign(process.env, {
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'local',
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'local',
    AWS_ENDPOINT_URL_IOT: emulator.endpoint,
    AWS_ENDPOINT_URL_SSM: ssm.endpoint,
    AWS_ENDPOINT_URL_SNS: sns.endpoint,
    ...environment,
    POWERTOOLS_METRICS_DISABLED: 'true',
    ...(options.verbose ? {} : { POWERTOOLS_LOG_LEVEL: 'SILENT' }),
  });

  // Imported only now: Powertools and the SDK clients read the environment when they load.
  const functions = await loadFunctions(deployed, ROOT_DIR, environments);
  cloud.attachFunctions(functions);

  const stateMachineIds = [
    ...deployed.resourceIds('AWS::Serverless::StateMachine'),
    ...deployed.resourceIds('AWS::StepFunctions::StateMachine'),
  ];
  if (stateMachineIds.length !== 1)
    throw new Error(`the local stack runs one state machine; the template has ${stateMachineIds.length}`);
  const [stateMachineId] = stateMachineIds as [string];
  const stateMachineArn = String(deployed.ref(stateMachineId));
  const definitionUri = deployed.property(stateMachineId, 'DefinitionUri');
  if (typeof definitionUri !== 'string')
    throw new Error(`${stateMachineId}: only a local DefinitionUri file is emulated`);
  const substitutions = (deployed.property(stateMachineId, 'DefinitionSubstitutions') ?? {}) as Record<
    string,
    unknown
  >;

  const runner = new LocalStepFunctions({
    clock,
    iotEndpoint: emulator.endpoint,
    lambdas: Object.fromEntries(
      [...functions.values()].flatMap((fn) => [
        [fn.arn, fn.handler],
        [fn.name, fn.handler],
      ]),
    ),
    ssmParameters: parameters,
    definitionSubstitutions: Object.fromEntries(
      Object.entries(substitutions).map(([name, value]) => [name, String(value)]),
    ),
    onStatusChange: (event) => cloud.routeStatusChange(event),
    onSnsMessage: (message) => {
      void cloud.topicByArn(message.topicArn)?.publish(message.message, message.subject);
    },
  });
  const sfn: LocalSfnEndpoint = await startLocalSfnEndpoint({
    runner,
    stateMachines: { [stateMachineArn]: new URL(definitionUri, TEMPLATE_URL) },
  });
  process.env.AWS_ENDPOINT_URL_SFN = sfn.endpoint;

  const iot = new IoTClient({ endpoint: emulator.endpoint, region: REGION, maxAttempts: 1 });
  const stackBus = deployed.resourceIds('AWS::Events::EventBus')[0];
  return {
    clock,
    emulator,
    parameters,
    runner,
    deployed,
    cloud,
    stateMachineArn,
    switchParameterName,
    iot,
    notifications,
    invocations: cloud.invocations,
    publishAuditNotification: (notification) =>
      cloud.publish(AUDIT_NOTIFICATIONS_TOPIC, JSON.stringify(notification)),
    putEvents: (entries, caller) => cloud.putEvents(entries, caller ?? { principalArn: OPERATOR_ROLE_ARN }),
    triggerSchedule: (scheduleId) => cloud.triggerSchedule(scheduleId),
    deadLetters: (queueId) => cloud.queueMessages(queueId),
    busEvents: (busName) =>
      cloud.busByNameOrArn(busName ?? (stackBus ? deployed.physicalName(stackBus) : 'default'))?.events ?? [],
    topicMessages: (topicId) => cloud.topicMessages(topicId),
    setSwitch: (value) => parameters.set(switchParameterName, value),
    putParameter: (name, value) => {
      const operation = parameters.values.has(name) ? 'Update' : 'Create';
      parameters.set(name, value);
      return cloud.announceParameterChange(name, operation);
    },
    deleteParameter: (name) => {
      parameters.values.delete(name);
      return cloud.announceParameterChange(name, 'Delete');
    },
    idle: () => cloud.idle(),
    close: async () => {
      await cloud.close();
      iot.destroy();
      await Promise.all([sfn.close(), ssm.close(), sns.close(), emulator.close()]);
    },
  };
}

/** The result of the one planner invocation a delivery led to (throws when there was not exactly one). */
export function plannerResult<T = unknown>(trace: PublishTrace, functionId = 'PlanRemediationFunction'): T {
  const invocations = trace.invocations.filter((i) => i.functionId === functionId);
  if (invocations.length !== 1) {
    const how = trace.deliveries.map(
      (d) => `${d.queue}: ${d.outcome}${d.failures.length ? ` (${d.failures.at(-1)})` : ''}`,
    );
    throw new Error(
      `expected one ${functionId} invocation, got ${invocations.length}; rules matched: ${trace.matchedRules.join(', ') || 'none'}; ${how.join('; ')}`,
    );
  }
  const [invocation] = invocations as [Invocation];
  if (invocation.outcome === 'failed')
    throw new Error(
      `${functionId} failed: ${invocation.error?.errorType}: ${invocation.error?.errorMessage}`,
    );
  return invocation.result as T;
}
