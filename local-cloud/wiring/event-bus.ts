/**
 * Event buses and their rules (docs/aws-facts/eventbridge.md): PutEvents turns an entry into an
 * event (version, id, detail-type, source, account, time, region, resources, detail), refusing an
 * entry without Source, DetailType or a Detail that is a JSON object
 * (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEventsRequestEntry.html); every
 * ENABLED rule of the bus whose EventPattern matches (event-pattern.ts) sends the event to each of its
 * targets. Lambda targets are invoked asynchronously; the bus keeps every event it received (as the
 * archive would), so tests can see what reached it even when no rule matched.
 */
import { randomUUID } from 'node:crypto';
import type { EventPattern } from './event-pattern.ts';
import { matchesEventPattern } from './event-pattern.ts';
import type { Invocation } from './lambda.ts';
import { jsonPath } from './pipes-transform.ts';

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

/** Delivers an event to one target (a function, a queue...); the wiring decides how. */
export type TargetDelivery = (
  target: RuleTarget,
  rule: LocalRule,
  input: unknown,
) => Promise<Invocation | undefined>;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export class LocalEventBus {
  readonly rules: LocalRule[] = [];
  /** Every event the bus received, in order. */
  readonly events: BusEvent[] = [];

  constructor(
    readonly name: string,
    readonly arn: string,
    readonly logicalId: string | undefined,
    private readonly where: { readonly account: string; readonly region: string; readonly now: () => number },
    private readonly deliver: TargetDelivery,
  ) {}

  async put(entry: PutEventsEntry): Promise<PutEventResult> {
    const refused = (errorCode: string, errorMessage: string): PutEventResult => ({
      errorCode,
      errorMessage,
      matchedRules: [],
      invocations: [],
    });
    if (!entry.Source || !entry.DetailType || entry.Detail === undefined)
      return refused('InvalidArgument', 'Detail, DetailType and Source are required');
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
      for (const target of rule.targets)
        deliveries.push(this.deliver(target, rule, targetInput(target, event)));
    const invocations = (await Promise.all(deliveries)).filter((i): i is Invocation => i !== undefined);
    return { event, matchedRules: matched.map((r) => r.logicalId), invocations };
  }
}

/** A target's Input (constant JSON) or InputPath; otherwise the whole event. */
function targetInput(target: RuleTarget, event: BusEvent): unknown {
  if (target.input !== undefined) return JSON.parse(target.input);
  if (target.inputPath !== undefined) return jsonPath(target.inputPath, event);
  return event;
}
