/**
 * EventBridge Pipes input transformation, as documented in
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-input-transformation.html
 * (facts and what stays unknown: docs/aws-facts/eventbridge.md, "Pipes input transformation"):
 *
 * - `<$.path>` and reserved `<aws.pipes.*>` variables are replaced in the template text;
 * - implicit body parsing: an SQS `body` that is JSON text is parsed, so `<$.body.key>` reaches into it;
 * - in a JSON template, a variable outside quotes gets its JSON value (strings quoted by Pipes,
 *   objects and arrays as JSON); inside a quoted string, values are inserted unescaped and an
 *   object or array loses its internal quotes;
 * - a template that is not JSON (free text, or a bare `<$.body>`) is text: the same quote stripping
 *   applies, so a bare `<$.body>` holding `{"key": "value"}` becomes `{key: value}`, not valid JSON.
 *
 * The target decides what a result that is not valid JSON means: an event bus needs a JSON object
 * as the event's detail (PutEventsRequestEntry.Detail), so such a result is a failed delivery.
 */
import { fillPlaceholders } from './placeholders.ts';

export interface PipeVariables {
  readonly pipeArn: string;
  readonly pipeName: string;
  readonly sourceArn: string;
  readonly targetArn: string;
  readonly enrichmentArn?: string;
  /** ISO 8601, the (virtual) time the transformer received the event. */
  readonly ingestionTime: string;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The SQS record with its `body` parsed when it is JSON text (implicit body parsing). */
export function implicitlyParsed(record: Record<string, unknown>): Record<string, unknown> {
  const body = record.body;
  if (typeof body !== 'string') return record;
  try {
    return { ...record, body: JSON.parse(body) as unknown };
  } catch {
    return record;
  }
}

/** Applies an InputTemplate to one source record; without a template the record passes as JSON. */
export function transformInput(
  template: string | undefined,
  record: Record<string, unknown>,
  variables: PipeVariables,
): string {
  if (template === undefined) return JSON.stringify(record);
  const parsed = implicitlyParsed(record);
  return fillPlaceholders(template, (name, jsonValuePosition) => {
    if (!name.startsWith('$') && !name.startsWith('aws.pipes.')) return undefined;
    const value = lookup(name, parsed, record, variables);
    // The body as text, quotes removed: the documentation's `{"key": "value"}` -> `{key: value}`.
    if (name === '$.body' && !jsonValuePosition && typeof record.body === 'string' && value !== record.body)
      return record.body.replaceAll('"', '');
    return insert(value, jsonValuePosition);
  });
}

function insert(value: unknown, jsonValuePosition: boolean): string {
  // "If you specify a variable to match a JSON path that doesn't exist in the event, that variable
  // isn't created and won't appear in the output."
  if (value === undefined) return '';
  if (jsonValuePosition) return JSON.stringify(value);
  if (typeof value === 'string') return value;
  if (isObject(value) || Array.isArray(value)) return JSON.stringify(value).replaceAll('"', '');
  return String(value);
}

function lookup(
  name: string,
  parsed: Record<string, unknown>,
  raw: Record<string, unknown>,
  variables: PipeVariables,
): unknown {
  switch (name) {
    case 'aws.pipes.pipe-arn':
      return variables.pipeArn;
    case 'aws.pipes.pipe-name':
      return variables.pipeName;
    case 'aws.pipes.source-arn':
      return variables.sourceArn;
    case 'aws.pipes.target-arn':
      return variables.targetArn;
    case 'aws.pipes.enrichment-arn':
      return variables.enrichmentArn;
    case 'aws.pipes.event.ingestion-time':
      return variables.ingestionTime;
    case 'aws.pipes.event':
      return raw;
    case 'aws.pipes.event.json':
      return parsed;
    default:
      return jsonPath(name, parsed);
  }
}

/** The JSON path subset Pipes documents: dot notation, dashes, underscores, array indices. */
export function jsonPath(path: string, document: unknown): unknown {
  if (path === '$') return document;
  if (!path.startsWith('$.') && !path.startsWith('$[')) return undefined;
  const segments = [...path.slice(1).matchAll(/\.([^.[\]]+)|\[(\d+)\]/g)];
  let current: unknown = document;
  for (const [, key, index] of segments) {
    if (key !== undefined) current = isObject(current) ? current[key] : undefined;
    else current = Array.isArray(current) ? current[Number(index)] : undefined;
    if (current === undefined) return undefined;
  }
  return current;
}
