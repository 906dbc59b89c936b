/**
 * Event buses and their rules (docs/aws-facts/eventbridge.md): PutEvents turns an entry into an
 * event (version, id, detail-type, source, account, time, region, resources, detail), refusing an
 * entry without Source, DetailType or a Detail that is a JSON object
 * (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEventsRequestEntry.html); every
 * ENABLED rule of the bus whose EventPattern matches (event-pattern.ts) sends the event to each of its
 * targets. Lambda targets are invoked asynchronously; the bus keeps every event it received (as the
 * archive would), so tests can see what reached it even when no rule matched.
 *
 * PutEvents is authorised against the bus's resource-based policy (iam-policy.ts) with the caller's
 * principal and the entry's `events:source` and `events:detail-type`, which the Service
 * Authorization Reference lists for PutEvents
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoneventbridge.html):
 * an explicit Deny fails the entry with AccessDeniedException, one of the entry error codes of
 * https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEventsResultEntry.html; so does
 * a principal of another account that no statement allows. The account's own principals are assumed
 * to hold events:PutEvents in their IAM policies. Events AWS services route themselves (Step
 * Functions' status changes, Parameter Store's changes) are not PutEvents calls and are not checked.
 *
 * A target's InputTransformer is applied as
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html describes it
 * (`transformTargetInput`).
 */
import { randomUUID } from 'node:crypto';
import type { EventPattern } from './event-pattern.ts';
import { matchesEventPattern } from './event-pattern.ts';
import { accountOf, type Caller, evaluatePolicy, type PolicyStatement } from './iam-policy.ts';
import type { Invocation } from './lambda.ts';
import { jsonPath } from './pipes-transform.ts';
import { fillPlaceholders } from './placeholders.ts';

export interface BusEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: unknown;
}

export interface PutEventsEntry {
  readonly Source?: string;
  readonly DetailType?: string;
  /** JSON text, as the API takes it (an object is serialised first). */
  readonly Detail?: string | Record<string, unknown>;
  readonly Resources?: readonly string[];
  readonly Time?: Date;
  /** Name or ARN; the default bus when absent. */
  readonly EventBusName?: string;
}

export interface RuleTarget {
  readonly id: string;
  readonly arn: string;
  readonly input?: string;
  readonly inputPath?: string;
  readonly inputTransformer?: {
    readonly inputPathsMap: Readonly<Record<string, string>>;
    readonly inputTemplate: string;
  };
  readonly deadLetterArn?: string;
}

export interface LocalRule {
  readonly logicalId: string;
  readonly arn: string;
  readonly enabled: boolean;
  readonly pattern: EventPattern;
  readonly targets: readonly RuleTarget[];
}

export interface PutEventResult {
  /** The event as it reached the bus, or why PutEvents refused the entry. */
  readonly event?: BusEvent;
  readonly errorCode?: string;
  readonly errorMessage?: string;
  /** Logical ids of the rules whose pattern matched. */
  readonly matchedRules: readonly string[];
  readonly invocations: readonly Invocation[];
}

/** Delivers an event to one target (a function, a queue, a topic...); the wiring decides how. */
export type TargetDelivery = (
  target: RuleTarget,
  rule: LocalRule,
  event: BusEvent,
) => Promise<Invocation | undefined>;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export class LocalEventBus {
  readonly rules: LocalRule[] = [];
  /** Every event the bus received, in order. */
  readonly events: BusEvent[] = [];
  /** The bus's resource-based policy (AWS::Events::EventBusPolicy statements, the bus's Policy). */
  readonly policy: PolicyStatement[] = [];

  constructor(
    readonly name: string,
    readonly arn: string,
    readonly logicalId: string | undefined,
    private readonly where: { readonly account: string; readonly region: string; readonly now: () => number },
    private readonly deliver: TargetDelivery,
  ) {}

  /** PutEvents of one entry by `caller` (an IAM principal: a person's role, a pipe's role...). */
  async put(entry: PutEventsEntry, caller: Caller): Promise<PutEventResult> {
    const refused = (errorCode: string, errorMessage: string): PutEventResult => ({
      errorCode,
      errorMessage,
      matchedRules: [],
      invocations: [],
    });
    if (!entry.Source || !entry.DetailType || entry.Detail === undefined)
      return refused('InvalidArgument', 'Detail, DetailType and Source are required');
    const { decision, statement } = evaluatePolicy(this.policy, {
      caller,
      action: 'events:PutEvents',
      resource: this.arn,
      context: { 'events:source': [entry.Source], 'events:detail-type': [entry.DetailType] },
    });
    const who = caller.principalArn ?? caller.service;
    const otherAccount =
      caller.principalArn !== undefined && accountOf(caller.principalArn) !== this.where.account;
    if (decision === 'deny')
      return refused(
        'AccessDeniedException',
        `User: ${who} is not authorized to perform: events:PutEvents on resource: ${this.arn} with an explicit deny in a resource-based policy (${statement})`,
      );
    if (decision === 'implicit' && otherAccount)
      return refused(
        'AccessDeniedException',
        `User: ${who} is not authorized to perform: events:PutEvents on resource: ${this.arn} because no resource-based policy allows the events:PutEvents action`,
      );
    const detailText = typeof entry.Detail === 'string' ? entry.Detail : JSON.stringify(entry.Detail);
    let detail: unknown;
    try {
      detail = JSON.parse(detailText);
    } catch {
      return refused('MalformedDetail', `Detail is not valid JSON: ${detailText.slice(0, 200)}`);
    }
    if (!isObject(detail)) return refused('MalformedDetail', 'Detail must be a JSON object');
    const time = entry.Time?.getTime() ?? this.where.now();
    const event: BusEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': entry.DetailType,
      source: entry.Source,
      account: this.where.account,
      time: new Date(Math.floor(time / 1000) * 1000).toISOString().replace('.000Z', 'Z'),
      region: this.where.region,
      resources: [...(entry.Resources ?? [])],
      detail,
    };
    return this.route(event);
  }

  /** An event that is already whole (an AWS service's, e.g. Step Functions'), routed as received. */
  async route(event: BusEvent): Promise<PutEventResult> {
    this.events.push(event);
    const matched = this.rules.filter((rule) => rule.enabled && matchesEventPattern(rule.pattern, event));
    const deliveries: Promise<Invocation | undefined>[] = [];
    for (const rule of matched)
      for (const target of rule.targets) deliveries.push(this.deliver(target, rule, event));
    const invocations = (await Promise.all(deliveries)).filter((i): i is Invocation => i !== undefined);
    return { event, matchedRules: matched.map((r) => r.logicalId), invocations };
  }
}

/**
 * What a target receives, as text: its Input (constant JSON), InputPath or InputTransformer, otherwise
 * the whole event as JSON.
 */
export function targetInputText(
  target: RuleTarget,
  rule: LocalRule,
  event: BusEvent,
  ingestedAt: string,
): string {
  if (target.input !== undefined) return target.input;
  if (target.inputPath !== undefined) return JSON.stringify(jsonPath(target.inputPath, event) ?? null);
  if (target.inputTransformer !== undefined)
    return transformTargetInput(target.inputTransformer, event, {
      'aws.events.rule-arn': rule.arn,
      'aws.events.rule-name': rule.arn.split('/').at(-1)!,
      'aws.events.event.ingestion-time': ingestedAt,
    });
  return JSON.stringify(event);
}

/**
 * An InputTransformer (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html):
 * each `<name>` of InputPathsMap, or a predefined `<aws.events.*>` variable, is replaced in the template.
 * In a JSON template a variable outside quotes gets its JSON value (a string quoted); inside a quoted
 * string, and in a template that is not JSON, values are inserted as they are ("EventBridge doesn't
 * escape values extracted by Input Path"). A path the event does not have inserts nothing. The text is
 * what the target gets: for an SNS topic, the message, quotes of a quoted-string template included.
 */
export function transformTargetInput(
  transformer: NonNullable<RuleTarget['inputTransformer']>,
  event: BusEvent,
  predefined: Readonly<Record<string, string>>,
): string {
  const values = new Map<string, unknown>(Object.entries(predefined));
  const { detail: _detail, ...withoutDetail } = event;
  values.set('aws.events.event', withoutDetail);
  values.set('aws.events.event.json', event);
  for (const [name, path] of Object.entries(transformer.inputPathsMap)) {
    if (name.toLowerCase().startsWith('aws.'))
      throw new Error(`InputPathsMap key ${name}: keys cannot start with "AWS."`);
    values.set(name, jsonPath(path, event));
  }
  return fillPlaceholders(transformer.inputTemplate, (name, jsonValuePosition) => {
    if (!values.has(name)) return undefined;
    const value = values.get(name);
    if (value === undefined) return '';
    return jsonValuePosition || typeof value !== 'string' ? JSON.stringify(value) : value;
  });
}
