/**
 * An EventBridge Pipe from an SQS queue to an event bus, as the template configures it: optional
 * FilterCriteria (event patterns on the record, body implicitly parsed), the target's InputTemplate
 * (pipes-transform.ts) and EventBridgeEventBusParameters (Source, DetailType, Resources).
 *
 * "For pipes with an Amazon SQS source, EventBridge Pipes retries customer errors up to the maximum
 * receive count on the source queue"
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-error-troubleshooting.html): a
 * failed delivery here is a failed receive, and the queue's redrive policy does the rest
 * (messaging.ts).
 */
import type { LocalEventBus, PutEventResult } from './event-bus.ts';
import { matchesEventPattern, parseEventPattern } from './event-pattern.ts';
import type { ConsumeResult, QueueSettings, SqsMessage } from './messaging.ts';
import { sqsRecord } from './messaging.ts';
import { implicitlyParsed, transformInput } from './pipes-transform.ts';

export interface PipeSettings {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  /** The pipe's execution role: it puts events on the bus as this principal. */
  readonly roleArn: string;
  readonly source: QueueSettings;
  readonly target: LocalEventBus;
  readonly inputTemplate?: string;
  readonly eventSource: string;
  readonly detailType: string;
  readonly resources?: readonly string[];
  readonly filterPatterns: readonly string[];
  readonly region: string;
  readonly now: () => number;
}

export class LocalPipe {
  /** What each delivery put on the bus, by SQS message id (the last receive's). */
  readonly results = new Map<string, PutEventResult>();

  constructor(readonly settings: PipeSettings) {
    for (const pattern of settings.filterPatterns) parseEventPattern(pattern);
  }

  async consume(message: SqsMessage): Promise<ConsumeResult> {
    const { settings } = this;
    const record = sqsRecord(message, settings.source, settings.region);
    if (
      settings.filterPatterns.length > 0 &&
      !settings.filterPatterns.some((p) => matchesEventPattern(JSON.parse(p), implicitlyParsed(record)))
    )
      return { ok: true, filtered: true };
    const detail = transformInput(settings.inputTemplate, record, {
      pipeArn: settings.arn,
      pipeName: settings.name,
      sourceArn: settings.source.arn,
      targetArn: settings.target.arn,
      ingestionTime: new Date(settings.now()).toISOString(),
    });
    const result = await settings.target.put(
      {
        Source: settings.eventSource,
        DetailType: settings.detailType,
        Detail: detail,
        ...(settings.resources ? { Resources: settings.resources } : {}),
      },
      { principalArn: settings.roleArn },
    );
    this.results.set(message.messageId, result);
    if (result.errorCode !== undefined)
      return {
        ok: false,
        reason: `${result.errorCode}: ${result.errorMessage} (transformed input: ${detail.slice(0, 300)})`,
      };
    return { ok: true };
  }
}
