/**
 * The HTTP face of the emulator: route by the model, parse and validate by the model, call the
 * service, answer restJson1 (200 + JSON, or the error's model status + `x-amzn-ErrorType` and a JSON
 * `message`; https://smithy.io/2.0/aws/protocols/aws-restjson1-protocol.html, docs/aws-facts/iot-api.md).
 * Page tokens are sealed to the listing that issued them (pagination.ts).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { parseInput, serialiseOutput } from './codec.ts';
import { ServiceError } from './errors.ts';
import type { ServiceModel } from './model.ts';
import { operationHandlers } from './operations.ts';
import { PageTokens } from './pagination.ts';
import { Router } from './router.ts';
import type { DeviceDefenderService } from './service.ts';
import { applyDefaults, validateInput } from './validator.ts';

/**
 * The largest request body accepted; larger ones get 413 and the server stays up. A documented bound,
 * far above the largest request the model allows (the biggest are tens of KB: TagResource's 50 tags of
 * 128 + 256 characters, UpdateAccountAuditConfiguration with every check, 25 finding IDs of 128).
 */
export const MAX_REQUEST_BODY_BYTES = 1_048_576;

export function createEmulatorServer(model: ServiceModel, service: DeviceDefenderService): Server {
  const router = new Router(model.operations);
  const tokens = new PageTokens(model);
  return createServer((request, response) => {
    readBody(request)
      .then((body) =>
        body === undefined
          ? {
              status: 413,
              error: new ServiceError(
                'RequestEntityTooLargeException',
                `The request body exceeds ${MAX_REQUEST_BODY_BYTES} bytes`,
              ),
            }
          : answer(model, router, tokens, service, request, body),
      )
      .catch((error: unknown) => ({ status: 500, error: internalFailure(error) }))
      .then((reply) => send(response, reply));
  });
}

type Reply = { status: number; body: unknown } | { status: number; error: ServiceError };

function answer(
  model: ServiceModel,
  router: Router,
  tokens: PageTokens,
  service: DeviceDefenderService,
  request: IncomingMessage,
  body: string,
): Reply {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const match = router.match(request.method ?? 'GET', url.pathname);
  if (!match) {
    const error = new ServiceError(
      'UnknownOperationException',
      `No operation at ${request.method} ${url.pathname}`,
    );
    return { status: 404, error };
  }
  const { operation } = match;
  service.countCall(operation.name);
  // Audits that ended since the last call are announced even on a clock nobody advances.
  void service.announceFinishedAudits();
  try {
    service.throttle(operation.name);
    const input = parseInput(model, operation, { labels: match.labels, query: url.searchParams, body });
    validateInput(model, operation.input, input);
    applyDefaults(model, operation.input, input);
    const handler = operationHandlers[operation.name];
    if (!handler) throw new ServiceError('InternalFailureException', `${operation.name} is not emulated`);
    const output = tokens.page(operation, input, (positioned) => handler(service, positioned as never));
    return { status: operation.http.code, body: serialiseOutput(model, operation.output, output) };
  } catch (error) {
    if (!(error instanceof ServiceError)) return { status: 500, error: internalFailure(error) };
    return { status: model.errorStatus(error.type), error };
  }
}

function internalFailure(error: unknown): ServiceError {
  return new ServiceError('InternalFailureException', error instanceof Error ? error.message : String(error));
}

function send(response: ServerResponse, reply: Reply): void {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-amzn-requestid': randomUUID(),
  };
  let payload: unknown;
  if ('error' in reply) {
    headers['x-amzn-errortype'] = reply.error.type;
    payload = { message: reply.error.message, ...reply.error.members };
  } else {
    payload = reply.body ?? {};
  }
  const text = JSON.stringify(payload);
  headers['content-length'] = String(Buffer.byteLength(text));
  response.writeHead(reply.status, headers).end(text);
}

/** The body, or undefined when it exceeds MAX_REQUEST_BODY_BYTES (the rest is read and dropped). */
function readBody(request: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    request.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes <= MAX_REQUEST_BODY_BYTES) chunks.push(chunk);
      else chunks.length = 0;
    });
    request.on('end', () =>
      resolve(bytes > MAX_REQUEST_BODY_BYTES ? undefined : Buffer.concat(chunks).toString('utf8')),
    );
    request.on('error', reject);
  });
}
