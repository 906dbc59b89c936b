/**
 * A local EventBridge endpoint (awsJson1.1, `AWSEvents.PutEvents`) for `@aws-sdk/client-eventbridge`
 * and `aws events put-events`: each entry goes to its bus as the caller's, the caller being the
 * principal its SigV4 access key id stands for (sts-endpoint.ts), so the bus's resource-based policy
 * refuses a non-operator's re-run request here as it does in AWS. The answer is PutEvents':
 * `FailedEntryCount`, and per entry `EventId` or `ErrorCode`/`ErrorMessage`, a refused entry being a
 * failed entry of a successful call (docs/aws-facts/eventbridge.md, "The local stack's callers").
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type LocalEndpoint, listenLocally } from '../http-endpoint.ts';
import type { PutEventResult, PutEventsEntry } from './event-bus.ts';
import type { Caller } from './iam-policy.ts';
import { accessKeyIdOf, type LocalPrincipals } from './sts-endpoint.ts';

export type LocalEventsEndpoint = LocalEndpoint;

export interface LocalEventsEndpointOptions {
  /** PutEvents on the local cloud's buses (LocalCloud.putEvents). */
  readonly putEvents: (
    entries: readonly PutEventsEntry[],
    caller: Caller,
  ) => Promise<readonly PutEventResult[]>;
  readonly principals: LocalPrincipals;
  /** 0 (the default) picks a free port. */
  readonly port?: number;
}

/** PutEvents takes 1 to 10 entries (the API reference's Entries). */
const MAX_ENTRIES = 10;
/** Far above ten entries of 256 KB each; a larger body is refused before it is read whole. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;
const JSON_1_1 = 'application/x-amz-json-1.1';

class EventsApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export async function startLocalEventsEndpoint(
  options: LocalEventsEndpointOptions,
): Promise<LocalEventsEndpoint> {
  return listenLocally((request, response) => serve(options, request, response), options.port ?? 0);
}

async function serve(
  options: LocalEventsEndpointOptions,
  request: IncomingMessage,
  response: ServerResponse,
) {
  try {
    const target = String(request.headers['x-amz-target'] ?? '');
    if (target !== 'AWSEvents.PutEvents')
      throw new EventsApiError(
        'UnknownOperationException',
        `${target || '(no X-Amz-Target)'} is not emulated locally`,
      );
    const body = await readBody(request);
    const accessKeyId = accessKeyIdOf(request);
    if (accessKeyId === undefined)
      throw new EventsApiError('MissingAuthenticationToken', 'Request is missing Authentication Token', 403);
    const entries = parseEntries(body);
    const results = await options.putEvents(entries, {
      principalArn: options.principals.principalArn(accessKeyId),
    });
    const answer = results.map((result) =>
      result.event === undefined
        ? { ErrorCode: result.errorCode, ErrorMessage: result.errorMessage }
        : { EventId: result.event.id },
    );
    respond(response, 200, {
      FailedEntryCount: answer.filter((entry) => entry.ErrorCode !== undefined).length,
      Entries: answer,
    });
  } catch (error) {
    if (error instanceof EventsApiError)
      respond(response, error.status, { __type: error.code, message: error.message });
    else respond(response, 500, { __type: 'InternalException', message: String(error) });
  }
}

/** The request's Entries, as the bus takes them (Time in epoch seconds, as awsJson1.1 sends it). */
function parseEntries(body: string): PutEventsEntry[] {
  let request: unknown;
  try {
    request = JSON.parse(body);
  } catch {
    throw new EventsApiError('SerializationException', 'The request body is not JSON');
  }
  const entries = isObject(request) ? request.Entries : undefined;
  if (!Array.isArray(entries))
    throw new EventsApiError(
      'ValidationException',
      "1 validation error detected: Value null at 'entries' failed to satisfy constraint: Member must not be null",
    );
  if (entries.length < 1 || entries.length > MAX_ENTRIES)
    throw new EventsApiError(
      'ValidationException',
      `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and ${MAX_ENTRIES} (it has ${entries.length})`,
    );
  return entries.map((entry, index) => {
    if (!isObject(entry))
      throw new EventsApiError('SerializationException', `Entries[${index}] is not an object`);
    const text = (member: string) => {
      const value = entry[member];
      if (value !== undefined && typeof value !== 'string')
        throw new EventsApiError('SerializationException', `Entries[${index}].${member} must be a string`);
      return value;
    };
    const resources = entry.Resources;
    if (
      resources !== undefined &&
      !(Array.isArray(resources) && resources.every((r) => typeof r === 'string'))
    )
      throw new EventsApiError(
        'SerializationException',
        `Entries[${index}].Resources must be a list of strings`,
      );
    const time = entry.Time;
    if (time !== undefined && typeof time !== 'number')
      throw new EventsApiError(
        'SerializationException',
        `Entries[${index}].Time must be a timestamp (epoch seconds)`,
      );
    const [source, detailType, detail, eventBusName] = [
      text('Source'),
      text('DetailType'),
      text('Detail'),
      text('EventBusName'),
    ];
    return {
      ...(source === undefined ? {} : { Source: source }),
      ...(detailType === undefined ? {} : { DetailType: detailType }),
      ...(detail === undefined ? {} : { Detail: detail }),
      ...(eventBusName === undefined ? {} : { EventBusName: eventBusName }),
      ...(resources === undefined ? {} : { Resources: resources as string[] }),
      ...(time === undefined ? {} : { Time: new Date(time * 1000) }),
    };
  });
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES)
      throw new EventsApiError(
        'RequestEntityTooLarge',
        `The request body is larger than ${MAX_BODY_BYTES} bytes`,
        413,
      );
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function respond(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': JSON_1_1, 'x-amzn-requestid': randomUUID() });
  response.end(JSON.stringify(body));
}
