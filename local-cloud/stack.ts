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
 * Give `realTimeSpeed` for a stack that people drive (`npm run local-stack`): its clock then follows
 * real time, sped up (real-time.ts), audit notifications reach the stack's topic by themselves
 * (`deliverAuditNotifications`), and local EventBridge and STS endpoints take PutEvents and
 * GetCallerIdentity from callers named by their access key id (wiring/sts-endpoint.ts), each endpoint
 * on the port `ports` gives it.
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
import { driveWithRealTime } from './real-time.ts';
import { type LocalSfnEndpoint, LocalStepFunctions, startLocalSfnEndpoint } from './stepfunctions/index.ts';
import { startLocalEventsEndpoint } from './wiring/events-endpoint.ts';
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
import { LocalPrincipals, startLocalStsEndpoint } from './wiring/sts-endpoint.ts';
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

/**
 * The access key id that signs as the operator on the local EventBridge and STS endpoints (a session of
 * OPERATOR_ROLE_ARN); any other key id is an IAM user of the account, no operator.
 */
export const OPERATOR_ACCESS_KEY_ID = 'operator';

/**
 * How far ahead of the wall clock a real-time stack's clock starts: the planner takes a start whose
 * startDate is older than its own call for an earlier delivery's (functions/aws/remediate.ts), so the
 * stack's clock must never fall behind the wall clock, even by a tick or a task being served.
 */
export const REAL_TIME_LEAD_MS = 60_000;

/** The stack's endpoints, each the service's `AWS_ENDPOINT_URL_<SERVICE>` and `--endpoint-url`. */
export type LocalStackService = 'iot' | 'sfn' | 'ssm' | 'sns' | 'events' | 'sts';
export const LOCAL_STACK_SERVICES: readonly LocalStackService[] = [
  'iot',
  'sfn',
  'ssm',
  'sns',
  'events',
  'sts',
];

/** A port an endpoint could not listen on (EADDRINUSE: in use; EACCES: privileged). */
export class LocalStackPortError extends Error {
  constructor(
    readonly service: LocalStackService,
    readonly port: number,
    readonly code: string,
  ) {
    super(`${service}: port ${port} ${code === 'EADDRINUSE' ? 'is in use' : `cannot be used (${code})`}`);
  }
}

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
  /** Where virtual time starts; by default an hour ahead of real time (REAL_TIME_LEAD_MS with realTimeSpeed). */
  readonly startMs?: number;
  /** Show the functions' logs (Powertools) instead of silencing them. */
  readonly verbose?: boolean;
  /** The port of each endpoint; 0 or absent picks a free one. */
  readonly ports?: Readonly<Partial<Record<LocalStackService, number>>>;
  /**
   * Follow real time, sped up this many times (> 0), instead of jumping to the next wake-up; virtual
   * time then starts REAL_TIME_LEAD_MS ahead of the wall clock unless `startMs` says otherwise.
   */
  readonly realTimeSpeed?: number;
  /**
   * Deliver each audit notification the emulator announces to the stack's AuditNotificationsTopic, as
   * an account whose audit notifications point at the stack does (otherwise `publishAuditNotification`).
   */
  readonly deliverAuditNotifications?: boolean;
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
  /** Each endpoint's URL (`http://127.0.0.1:<port>`). */
  readonly endpoints: Readonly<Record<LocalStackService, string>>;
  /** Who an access key id stands for on the EventBridge and STS endpoints. */
  readonly principals: LocalPrincipals;
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
  const realTime = options.realTimeSpeed !== undefined;
  const clock = new VirtualClock(options.startMs ?? Date.now() + (realTime ? REAL_TIME_LEAD_MS : 3_600_000), {
    autoAdvance: !realTime,
  });
  const opened: { close(): Promise<void> }[] = [];
  try {
    return await deployLocalStack(options, clock, opened);
  } catch (error) {
    await Promise.allSettled(opened.map((endpoint) => endpoint.close()));
    throw error;
  }
}

async function deployLocalStack(
  options: LocalStackOptions,
  clock: VirtualClock,
  opened: { close(): Promise<void> }[],
): Promise<LocalStack> {
  const listen = async <T extends { close(): Promise<void> }>(
    service: LocalStackService,
    start: (port: number) => Promise<T>,
  ): Promise<T> => {
    const port = options.ports?.[service] ?? 0;
    try {
      const endpoint = await start(port);
      opened.push(endpoint);
      return endpoint;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === 'EADDRINUSE' || code === 'EACCES') throw new LocalStackPortError(service, port, code);
      throw error;
    }
  };
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

  const emulator = await listen('iot', (port) =>
    startEmulator({ clock, accountId: ACCOUNT_ID, region: REGION, port }),
  );
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

  const principals = new LocalPrincipals({ accessKeyId: OPERATOR_ACCESS_KEY_ID, roleArn: OPERATOR_ROLE_ARN });
  const ssm = await listen('ssm', (port) => startLocalSsmEndpoint(parameters, port));
  const sns = await listen('sns', (port) => startLocalSnsEndpoint((arn) => cloud.topicByArn(arn), port));
  const events = await listen('events', (port) =>
    startLocalEventsEndpoint({
      putEvents: (entries, caller) => cloud.putEvents(entries, caller),
      principals,
      port,
    }),
  );
  const sts = await listen('sts', (port) => startLocalStsEndpoint(principals, port));
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
  const sfn: LocalSfnEndpoint = await listen('sfn', (port) =>
    startLocalSfnEndpoint({
      runner,
      stateMachines: { [stateMachineArn]: new URL(definitionUri, TEMPLATE_URL) },
      port,
    }),
  );
  process.env.AWS_ENDPOINT_URL_SFN = sfn.endpoint;

  if (options.deliverAuditNotifications) {
    if (!deployed.resourceIds('AWS::SNS::Topic').includes(AUDIT_NOTIFICATIONS_TOPIC))
      throw new Error(`template.yaml has no ${AUDIT_NOTIFICATIONS_TOPIC} to deliver audit notifications to`);
    emulator.service.onAuditNotification((notification) => {
      // Not awaited: the emulator announces while the clock moves, and the flow needs the clock.
      cloud
        .publish(AUDIT_NOTIFICATIONS_TOPIC, JSON.stringify(notification))
        .catch((error: unknown) => console.error(`audit ${notification.taskId}: delivery failed:`, error));
    });
  }
  const stopClock =
    options.realTimeSpeed === undefined ? () => {} : driveWithRealTime(clock, options.realTimeSpeed);

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
    endpoints: {
      iot: emulator.endpoint,
      sfn: sfn.endpoint,
      ssm: ssm.endpoint,
      sns: sns.endpoint,
      events: events.endpoint,
      sts: sts.endpoint,
    },
    principals,
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
      stopClock();
      await cloud.close();
      iot.destroy();
      await Promise.all(opened.map((endpoint) => endpoint.close()));
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
