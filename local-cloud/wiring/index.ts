/**
 * The template's wiring, deployed locally from template.yaml as it is at run time: SNS topics and
 * their subscriptions, SQS queues and their redrive policies, Pipes, event buses and rules, schedules
 * and the functions they invoke, and the resources the functions and the state machine read (SSM
 * parameters, IoT thing groups and mitigation actions). Nothing here knows the stack's logical ids
 * except through the template.
 *
 *   const deployed = new DeployedTemplate(parseTemplate(text), { stackName, accountId, region, partition });
 *   const cloud = new LocalCloud(deployed, clock);
 *   cloud.attachFunctions(await loadFunctions(deployed, rootDir, functionEnvironments(deployed)));
 *   const trace = await cloud.publish('AuditNotificationsTopic', JSON.stringify(notification));
 */
import { randomUUID } from 'node:crypto';
import type { CreateMitigationActionRequest } from '@aws-sdk/client-iot';
import type { VirtualClock } from '../clock.ts';
import type { DeviceDefenderService } from '../emulator/index.ts';
import type { ParameterStore } from '../parameter-store.ts';
import type { ExecutionStatusChangeEvent } from '../stepfunctions/index.ts';
import {
  type BusEvent,
  LocalEventBus,
  type LocalRule,
  type PutEventResult,
  type PutEventsEntry,
  type RuleTarget,
  targetInputText,
} from './event-bus.ts';
import { parseEventPattern } from './event-pattern.ts';
import { type Caller, evaluatePolicy, type PolicyStatement, statementsOf } from './iam-policy.ts';
import { type Invocation, invokeAsync, type LocalFunction } from './lambda.ts';
import {
  LocalQueue,
  LocalTopic,
  type PublishedMessage,
  type QueueDelivery,
  type SqsMessage,
} from './messaging.ts';
import { LocalPipe } from './pipe.ts';
import type { DeployedTemplate } from './template.ts';

export type { BusEvent, PutEventResult, PutEventsEntry } from './event-bus.ts';
export type { Caller } from './iam-policy.ts';
export type { Invocation, LocalFunction } from './lambda.ts';
export type { PublishedMessage, QueueDelivery, SqsMessage } from './messaging.ts';

/** Everything one published message led to. */
export interface PublishTrace {
  readonly messageId: string;
  /** Per SQS subscription: how the message left its queue (consumed, dead-lettered...). */
  readonly deliveries: readonly QueueDelivery[];
  /** What the Pipes put on event buses (events that reached a bus, and refused entries). */
  readonly putEvents: readonly PutEventResult[];
  /** Logical ids of the rules that matched those events. */
  readonly matchedRules: readonly string[];
  /** The functions the rules invoked, with their results. */
  readonly invocations: readonly Invocation[];
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export class LocalCloud {
  readonly queues = new Map<string, LocalQueue>();
  readonly topics = new Map<string, LocalTopic>();
  /** By bus name; `default` always exists. */
  readonly buses = new Map<string, LocalEventBus>();
  readonly pipes = new Map<string, LocalPipe>();
  /** Every asynchronous invocation, in the order they ended. */
  readonly invocations: Invocation[] = [];
  /** Errors of deliveries nobody awaited (status-change events), so they are not lost. */
  readonly backgroundErrors: unknown[] = [];
  /** Rule deliveries that went to the target's dead-letter queue, and why. */
  readonly deadLetteredDeliveries: {
    readonly rule: string;
    readonly target: string;
    readonly reason: string;
  }[] = [];
  #functions = new Map<string, LocalFunction>();
  readonly #pending = new Set<Promise<unknown>>();
  #closed = false;

  constructor(
    readonly deployed: DeployedTemplate,
    private readonly clock: VirtualClock,
  ) {
    const { accountId, region, partition } = deployed.target;
    const where = { account: accountId, region, now: () => clock.now() };
    const deliver = (target: RuleTarget, rule: LocalRule, event: BusEvent) =>
      this.#deliverToTarget(target, rule, event);
    this.buses.set(
      'default',
      new LocalEventBus(
        'default',
        `arn:${partition}:events:${region}:${accountId}:event-bus/default`,
        undefined,
        where,
        deliver,
      ),
    );
    for (const id of deployed.resourceIds('AWS::Events::EventBus')) {
      const name = deployed.physicalName(id);
      const bus = new LocalEventBus(name, String(deployed.getAtt(id, 'Arn')), id, where, deliver);
      bus.policy.push(...statementsOf(deployed.property(id, 'Policy')));
      this.buses.set(name, bus);
    }
    for (const id of deployed.resourceIds('AWS::Events::EventBusPolicy')) this.#addBusPolicy(id);
    for (const id of deployed.resourceIds('AWS::SQS::Queue')) this.#addQueue(id);
    for (const id of deployed.resourceIds('AWS::SNS::Topic'))
      this.topics.set(
        id,
        new LocalTopic(id, String(deployed.ref(id)), clock, region, (arn) => this.queueByArn(arn)),
      );
    for (const id of deployed.resourceIds('AWS::SNS::Subscription')) this.#addSubscription(id);
    for (const id of deployed.resourceIds('AWS::Events::Rule')) this.#addRule(id);
    for (const id of deployed.resourceIds('AWS::Pipes::Pipe')) this.#addPipe(id);
  }

  /** The functions, once imported (their modules read the environment when they load). */
  attachFunctions(functions: Map<string, LocalFunction>): void {
    this.#functions = functions;
  }

  get functions(): ReadonlyMap<string, LocalFunction> {
    return this.#functions;
  }

  functionByArn(arnOrName: string): LocalFunction | undefined {
    return [...this.#functions.values()].find((f) => f.arn === arnOrName || f.name === arnOrName);
  }

  queueByArn(arn: string): LocalQueue | undefined {
    return [...this.queues.values()].find((q) => q.settings.arn === arn || q.settings.url === arn);
  }

  topicByArn(arn: string): LocalTopic | undefined {
    return [...this.topics.values()].find((t) => t.arn === arn);
  }

  busByNameOrArn(nameOrArn: string | undefined): LocalEventBus | undefined {
    if (nameOrArn === undefined) return this.buses.get('default');
    return [...this.buses.values()].find((b) => b.name === nameOrArn || b.arn === nameOrArn);
  }

  /** Publishes to a topic of the template and follows the message through queues, pipes, buses and rules. */
  async publish(topicId: string, message: string, subject?: string): Promise<PublishTrace> {
    const topic = this.topics.get(topicId);
    if (topic === undefined)
      throw new Error(`template.yaml has no topic ${topicId} (or its condition is false)`);
    const { messageId, deliveries } = await topic.publish(message, subject);
    const putEvents = deliveries.flatMap((delivery) =>
      [...this.pipes.values()]
        .filter((pipe) => pipe.settings.source.logicalId === delivery.queue)
        .map((pipe) => pipe.results.get(delivery.messageId))
        .filter((result): result is PutEventResult => result !== undefined),
    );
    return {
      messageId,
      deliveries,
      putEvents,
      matchedRules: putEvents.flatMap((r) => r.matchedRules),
      invocations: putEvents.flatMap((r) => r.invocations),
    };
  }

  /**
   * PutEvents by `caller`: each entry to its bus (by name or ARN; the default bus without one), each
   * authorised against its bus's resource-based policy.
   */
  async putEvents(entries: readonly PutEventsEntry[], caller: Caller): Promise<PutEventResult[]> {
    return Promise.all(
      entries.map((entry) => {
        const bus = this.busByNameOrArn(entry.EventBusName);
        if (bus === undefined)
          return {
            errorCode: 'ResourceNotFoundException',
            errorMessage: `Event bus ${entry.EventBusName} does not exist.`,
            matchedRules: [],
            invocations: [],
          };
        return bus.put(entry, caller);
      }),
    );
  }

  /**
   * Parameter Store's own event for a change of a parameter, routed to the default bus as Systems
   * Manager sends it: source aws.ssm, detail-type "Parameter Store Change", the parameter's ARN in
   * resources, detail { operation, name, type } (the sample events of
   * https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-cwe.html and
   * docs/aws-facts/eventbridge.md; `name` as the parameter is named, leading slash included).
   */
  async announceParameterChange(
    name: string,
    operation: 'Create' | 'Update' | 'Delete',
    type = 'String',
  ): Promise<PutEventResult> {
    const { accountId, region, partition } = this.deployed.target;
    const event: BusEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Parameter Store Change',
      source: 'aws.ssm',
      account: accountId,
      time: new Date(Math.floor(this.clock.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z'),
      region,
      resources: [`arn:${partition}:ssm:${region}:${accountId}:parameter/${name.replace(/^\//, '')}`],
      detail: { operation, name, type },
    };
    return this.buses.get('default')!.route(event);
  }

  /** Fires a schedule once, as EventBridge Scheduler would at its next time: its target gets its Input. */
  async triggerSchedule(scheduleId?: string): Promise<Invocation> {
    const schedules = this.deployed.resourceIds('AWS::Scheduler::Schedule');
    const id = scheduleId ?? (schedules.length === 1 ? schedules[0] : undefined);
    if (id === undefined || !schedules.includes(id))
      throw new Error(`name the schedule to trigger: one of ${schedules.join(', ') || '(none)'}`);
    const state = this.deployed.property(id, 'State');
    if (state === 'DISABLED') throw new Error(`${id} is DISABLED: EventBridge Scheduler would not invoke it`);
    const target = this.deployed.property(id, 'Target') as { Arn: string; Input?: string };
    if (target.Input === undefined)
      throw new Error(`${id} has no Input: the default notification Scheduler would send is not emulated`);
    const scheduleArn = String(this.deployed.getAtt(id, 'Arn'));
    const input = target.Input.replaceAll('<aws.scheduler.schedule-arn>', scheduleArn).replaceAll(
      '<aws.scheduler.scheduled-time>',
      new Date(this.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    );
    const fn = this.functionByArn(target.Arn);
    if (fn === undefined)
      throw new Error(`${id}: its target ${target.Arn} is not a function of the template`);
    // "If you are configuring a templated Lambda ... target, the input must be a well-formed JSON."
    const event = JSON.parse(input) as unknown;
    return this.#invoke(fn, event, id);
  }

  /** Routes a Step Functions status-change event to the default bus, as Step Functions does. */
  routeStatusChange(event: ExecutionStatusChangeEvent): void {
    if (this.#closed) return; // executions still running when the stack closes: nothing listens any more
    this.track(this.buses.get('default')!.route(event as unknown as BusEvent));
  }

  /** Messages at rest in a queue of the template (a dead-letter queue, or a queue nothing consumes). */
  queueMessages(queueId: string): SqsMessage[] {
    const queue = this.queues.get(queueId);
    if (queue === undefined)
      throw new Error(`template.yaml has no queue ${queueId} (or its condition is false)`);
    return queue.messages;
  }

  topicMessages(topicId: string): PublishedMessage[] {
    const topic = this.topics.get(topicId);
    if (topic === undefined)
      throw new Error(`template.yaml has no topic ${topicId} (or its condition is false)`);
    return topic.messages;
  }

  /** Keeps background work (status-change deliveries) awaited by `idle()`. */
  track(work: Promise<unknown>): void {
    const tracked = work.catch((error: unknown) => {
      this.backgroundErrors.push(error);
    });
    this.#pending.add(tracked);
    void tracked.finally(() => this.#pending.delete(tracked));
  }

  /** Settles once no background delivery is in flight (including those they started). */
  async idle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  /** Waits for background deliveries, then starts no more. */
  async close(): Promise<void> {
    await this.idle();
    this.#closed = true;
  }

  async #invoke(fn: LocalFunction, event: unknown, trigger: string): Promise<Invocation> {
    const invocation = await invokeAsync(fn, event, trigger, this.clock, (destination, record) => {
      const queue = this.queueByArn(destination);
      if (queue === undefined)
        throw new Error(`${fn.logicalId}: OnFailure destination ${destination} is not emulated`);
      void queue.send(JSON.stringify(record));
    });
    this.invocations.push(invocation);
    return invocation;
  }

  async #deliverToTarget(
    target: RuleTarget,
    rule: LocalRule,
    event: BusEvent,
  ): Promise<Invocation | undefined> {
    const text = targetInputText(target, rule, event, new Date(this.clock.now()).toISOString());
    const fn = this.functionByArn(target.arn);
    if (fn !== undefined) return this.#invoke(fn, JSON.parse(text) as unknown, rule.logicalId);
    const queue = this.queueByArn(target.arn);
    if (queue !== undefined) {
      await queue.send(text);
      return undefined;
    }
    const topic = this.topicByArn(target.arn);
    let why = 'is not emulated';
    if (topic !== undefined) {
      const refusal = this.#topicRefuses(topic.logicalId, rule);
      if (refusal === undefined) {
        await topic.publish(text);
        return undefined;
      }
      why = `cannot be published to: ${refusal}`;
    }
    // A target that cannot be reached: the event goes to the target's dead-letter queue, if any
    // (after the target's retries, which a refusal does not outlast).
    const deadLetter = target.deadLetterArn === undefined ? undefined : this.queueByArn(target.deadLetterArn);
    if (deadLetter === undefined)
      throw new Error(
        `${rule.logicalId}: target ${target.id} (${target.arn}) ${why} and has no dead-letter queue`,
      );
    this.deadLetteredDeliveries.push({ rule: rule.logicalId, target: target.id, reason: why });
    await deadLetter.send(JSON.stringify(event));
    return undefined;
  }

  /**
   * Why EventBridge may not publish a rule's event to a topic of the template, or undefined when it
   * may. EventBridge publishes as the service principal events.amazonaws.com with aws:SourceArn the
   * rule's ARN (https://docs.aws.amazon.com/eventbridge/latest/userguide/cross-service-confused-deputy-prevention.html),
   * so the topic policy must allow it
   * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sns-permissions),
   * and a topic encrypted with a customer managed key needs that key's policy to let it generate a
   * data key (https://repost.aws/knowledge-center/sns-not-getting-eventbridge-notification). A
   * service principal has no IAM policy of its own: only an explicit Allow admits it.
   */
  #topicRefuses(topicId: string, rule: LocalRule): string | undefined {
    const { deployed } = this;
    const topicArn = String(deployed.ref(topicId));
    const caller: Caller = { service: 'events.amazonaws.com' };
    const context = { 'aws:SourceArn': rule.arn, 'aws:SourceAccount': deployed.target.accountId };
    const topicStatements = deployed
      .resourceIds('AWS::SNS::TopicPolicy')
      .filter((id) => ((deployed.property(id, 'Topics') ?? []) as string[]).includes(topicArn))
      .flatMap((id) => statementsOf(deployed.property(id, 'PolicyDocument')));
    const publish = evaluatePolicy(topicStatements, {
      caller,
      action: 'sns:Publish',
      resource: topicArn,
      context,
    });
    if (publish.decision !== 'allow')
      return `the topic policy of ${topicId} does not allow events.amazonaws.com sns:Publish for ${rule.arn} (${publish.decision}${publish.statement ? `: ${publish.statement}` : ''})`;
    const keyId = deployed.property(topicId, 'KmsMasterKeyId');
    if (keyId === undefined) return undefined;
    const key = deployed.findResource('AWS::KMS::Key', String(keyId));
    if (key === undefined)
      return `${topicId} is encrypted with ${String(keyId)}, whose key policy the template does not hold`;
    const keyArn = String(deployed.getAtt(key, 'Arn'));
    const keyPolicy = statementsOf(deployed.property(key, 'KeyPolicy'));
    for (const action of ['kms:GenerateDataKey', 'kms:Decrypt']) {
      const use = evaluatePolicy(keyPolicy, { caller, action, resource: keyArn, context });
      if (use.decision !== 'allow')
        return `the key policy of ${key} does not allow events.amazonaws.com ${action} for ${rule.arn} (${use.decision}${use.statement ? `: ${use.statement}` : ''})`;
    }
    return undefined;
  }

  #addBusPolicy(id: string): void {
    const { deployed } = this;
    const busName = deployed.property(id, 'EventBusName') as string | undefined;
    const bus = this.busByNameOrArn(busName);
    if (bus === undefined) throw new Error(`${id}: event bus ${busName} is not a bus of the template`);
    const statement = deployed.property(id, 'Statement') as PolicyStatement | undefined;
    if (statement === undefined)
      throw new Error(`${id}: only the Statement form of AWS::Events::EventBusPolicy is emulated`);
    bus.policy.push({ ...statement, Sid: String(deployed.property(id, 'StatementId')) });
  }

  #addQueue(id: string): void {
    const { deployed, clock } = this;
    const redrive = deployed.property(id, 'RedrivePolicy');
    const policy = (typeof redrive === 'string' ? JSON.parse(redrive) : redrive) as
      | { deadLetterTargetArn: string; maxReceiveCount: number | string }
      | undefined;
    this.queues.set(
      id,
      new LocalQueue(
        {
          logicalId: id,
          name: deployed.physicalName(id),
          arn: String(deployed.getAtt(id, 'Arn')),
          url: String(deployed.ref(id)),
          visibilityTimeoutSeconds: Number(deployed.property(id, 'VisibilityTimeout') ?? 30),
          messageRetentionSeconds: Number(deployed.property(id, 'MessageRetentionPeriod') ?? 345_600),
          ...(policy
            ? {
                redrive: {
                  deadLetterTargetArn: policy.deadLetterTargetArn,
                  maxReceiveCount: Number(policy.maxReceiveCount),
                },
              }
            : {}),
        },
        clock,
        (arn) => this.queueByArn(arn),
      ),
    );
  }

  #addSubscription(id: string): void {
    const { deployed } = this;
    const topicArn = String(deployed.property(id, 'TopicArn'));
    const topic = this.topicByArn(topicArn);
    if (topic === undefined) throw new Error(`${id}: topic ${topicArn} is not a topic of the template`);
    if (deployed.property(id, 'FilterPolicy') !== undefined)
      throw new Error(`${id}: subscription filter policies are not emulated`);
    const raw = deployed.property(id, 'RawMessageDelivery');
    topic.subscriptions.push({
      logicalId: id,
      arn: `${topicArn}:${id}`,
      protocol: String(deployed.property(id, 'Protocol')),
      endpoint: String(deployed.property(id, 'Endpoint') ?? ''),
      rawMessageDelivery: raw === true || raw === 'true',
    });
  }

  #addRule(id: string): void {
    const { deployed } = this;
    const pattern = deployed.property(id, 'EventPattern');
    if (pattern === undefined) return; // a scheduled rule: nothing routes events to it
    const busName = deployed.property(id, 'EventBusName') as string | undefined;
    const bus = this.busByNameOrArn(busName);
    if (bus === undefined) throw new Error(`${id}: event bus ${busName} is not a bus of the template`);
    const targets = ((deployed.property(id, 'Targets') ?? []) as Record<string, unknown>[]).map((t) => {
      const deadLetter = isObject(t.DeadLetterConfig) ? t.DeadLetterConfig.Arn : undefined;
      const transformer = isObject(t.InputTransformer) ? t.InputTransformer : undefined;
      if (transformer !== undefined && typeof transformer.InputTemplate !== 'string')
        throw new Error(`${id}: an InputTransformer needs an InputTemplate to be emulated`);
      return {
        id: String(t.Id),
        arn: String(t.Arn),
        ...(t.Input === undefined ? {} : { input: String(t.Input) }),
        ...(t.InputPath === undefined ? {} : { inputPath: String(t.InputPath) }),
        ...(transformer === undefined
          ? {}
          : {
              inputTransformer: {
                inputPathsMap: (transformer.InputPathsMap ?? {}) as Record<string, string>,
                inputTemplate: transformer.InputTemplate as string,
              },
            }),
        ...(deadLetter === undefined ? {} : { deadLetterArn: String(deadLetter) }),
      };
    });
    bus.rules.push({
      logicalId: id,
      arn: String(deployed.getAtt(id, 'Arn')),
      enabled: (deployed.property(id, 'State') ?? 'ENABLED') === 'ENABLED',
      pattern: parseEventPattern(pattern),
      targets,
    });
  }

  #addPipe(id: string): void {
    const { deployed, clock } = this;
    const sourceArn = String(deployed.property(id, 'Source'));
    const source = this.queueByArn(sourceArn);
    if (source === undefined) throw new Error(`${id}: only SQS queue sources are emulated (${sourceArn})`);
    const targetArn = String(deployed.property(id, 'Target'));
    const target = this.busByNameOrArn(targetArn);
    if (target === undefined) throw new Error(`${id}: only event bus targets are emulated (${targetArn})`);
    const sourceParameters = (deployed.property(id, 'SourceParameters') ?? {}) as {
      FilterCriteria?: { Filters?: { Pattern: string }[] };
    };
    const targetParameters = (deployed.property(id, 'TargetParameters') ?? {}) as {
      InputTemplate?: string;
      EventBridgeEventBusParameters?: { Source?: string; DetailType?: string; Resources?: string[] };
    };
    const busParameters = targetParameters.EventBridgeEventBusParameters ?? {};
    if (busParameters.Source === undefined || busParameters.DetailType === undefined)
      throw new Error(`${id}: EventBridgeEventBusParameters needs Source and DetailType to be emulated`);
    const pipe = new LocalPipe({
      logicalId: id,
      name: deployed.physicalName(id),
      arn: String(deployed.getAtt(id, 'Arn')),
      // The pipe puts events as its execution role (the bus policy sees that role's ARN).
      roleArn: String(deployed.property(id, 'RoleArn')),
      source: source.settings,
      target,
      ...(targetParameters.InputTemplate === undefined
        ? {}
        : { inputTemplate: targetParameters.InputTemplate }),
      eventSource: busParameters.Source,
      detailType: busParameters.DetailType,
      ...(busParameters.Resources ? { resources: busParameters.Resources } : {}),
      filterPatterns: (sourceParameters.FilterCriteria?.Filters ?? []).map((f) =>
        typeof f.Pattern === 'string' ? f.Pattern : JSON.stringify(f.Pattern),
      ),
      region: deployed.target.region,
      now: () => clock.now(),
    });
    this.pipes.set(id, pipe);
    if ((deployed.property(id, 'DesiredState') ?? 'RUNNING') === 'RUNNING')
      source.consumer = (message) => pipe.consume(message);
  }
}

/** The template's SSM parameters, created in the local parameter store with their values. */
export function deploySsmParameters(deployed: DeployedTemplate, store: ParameterStore): Map<string, string> {
  const names = new Map<string, string>();
  for (const id of deployed.resourceIds('AWS::SSM::Parameter')) {
    const name = deployed.physicalName(id);
    store.set(name, String(deployed.property(id, 'Value')));
    names.set(id, name);
  }
  return names;
}

/** Lower-cases the first letter of every key: CloudFormation's ActionParams to the IoT API's shape. */
function apiShape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(apiShape);
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [`${k[0]!.toLowerCase()}${k.slice(1)}`, apiShape(v)]),
  );
}

/** The template's IoT thing groups and mitigation actions, created in the Device Defender emulator. */
export function deployIotResources(deployed: DeployedTemplate, service: DeviceDefenderService): void {
  for (const id of deployed.resourceIds('AWS::IoT::ThingGroup'))
    service.fleet.addThingGroup(deployed.physicalName(id));
  for (const id of deployed.resourceIds('AWS::IoT::MitigationAction')) {
    service.createMitigationAction({
      actionName: deployed.physicalName(id),
      roleArn: String(deployed.property(id, 'RoleArn')),
      actionParams: apiShape(
        deployed.property(id, 'ActionParams'),
      ) as CreateMitigationActionRequest['actionParams'],
    });
  }
}
