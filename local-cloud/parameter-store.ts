/**
 * A local stand-in for the SSM parameters the stack reads: the runtime switch (whose LastModifiedDate
 * matters: no retroactive enforcement) and the optional policy. Served over awsJson1.1 so the real
 * `@aws-sdk/client-ssm` (and Powertools Parameters) run unchanged; `values` is the same data as the
 * map the local Step Functions runner reads for `aws-sdk:ssm:getParameter`.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from './clock.ts';
import { type LocalEndpoint, listenLocally } from './http-endpoint.ts';

export class ParameterStore {
  /** Name -> value, shared with the local runner's `ssmParameters`. */
  readonly values = new Map<string, string>();
  readonly #lastModified = new Map<string, number>();
  readonly #versions = new Map<string, number>();

  constructor(readonly clock: Clock) {}

  set(name: string, value: string): void {
    this.values.set(name, value);
    this.#lastModified.set(name, this.clock.now());
    this.#versions.set(name, (this.#versions.get(name) ?? 0) + 1);
  }

  /** DeleteParameter: true when the parameter was there (a later set starts again at version 1). */
  delete(name: string): boolean {
    this.#lastModified.delete(name);
    this.#versions.delete(name);
    return this.values.delete(name);
  }

  get(name: string): { value: string; lastModified: number; version: number } | undefined {
    const value = this.values.get(name);
    if (value === undefined) return undefined;
    return { value, lastModified: this.#lastModified.get(name) ?? 0, version: this.#versions.get(name) ?? 1 };
  }
}

export type LocalSsmEndpoint = LocalEndpoint;

/** GetParameter only: what the functions call. Other operations answer as unknown. */
export async function startLocalSsmEndpoint(store: ParameterStore, port = 0): Promise<LocalSsmEndpoint> {
  return listenLocally((request, response) => serve(store, request, response), port);
}

async function serve(
  store: ParameterStore,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const target = String(request.headers['x-amz-target'] ?? '');
  if (target !== 'AmazonSSM.GetParameter')
    return respond(response, 400, error('UnknownOperationException', target));
  let name: unknown;
  try {
    name = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { Name?: unknown }).Name;
  } catch {
    return respond(response, 400, error('ValidationException', 'the request body is not JSON'));
  }
  const parameter = typeof name === 'string' ? store.get(name) : undefined;
  if (!parameter)
    return respond(response, 400, error('ParameterNotFound', `Parameter ${String(name)} not found.`));
  respond(response, 200, {
    Parameter: {
      Name: name,
      Type: 'String',
      Value: parameter.value,
      Version: parameter.version,
      LastModifiedDate: parameter.lastModified / 1000,
      ARN: `arn:aws:ssm:us-east-1:123456789012:parameter${String(name).startsWith('/') ? '' : '/'}${String(name)}`,
      DataType: 'text',
    },
  });
}

const error = (code: string, message: string) => ({ __type: code, message });

function respond(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'x-amzn-requestid': randomUUID(),
  });
  response.end(JSON.stringify(body));
}
