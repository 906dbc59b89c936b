/**
 * Two small local stand-ins for `npm run plan -- --audit-task-id` tests: a CloudFormation endpoint that
 * answers DescribeStacks (the awsQuery protocol: a form-encoded request, an XML answer;
 * https://smithy.io/2.0/aws/protocols/aws-query-protocol.html) from a table of stacks, and a proxy that
 * records which operation each request to another endpoint names (`X-Amz-Target`, awsJson). Both
 * record what they were asked, so a test can hold that a command only reads.
 */
import { once } from 'node:events';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LocalEndpoint {
  readonly endpoint: string;
  /** The operations asked for, in order. */
  readonly operations: string[];
  close(): Promise<void>;
}

export interface StackDouble {
  readonly parameters?: Readonly<Record<string, string>>;
  readonly outputs?: Readonly<Record<string, string>>;
}

const ACCOUNT = '123456789012';

async function listen(server: Server, operations: string[]): Promise<LocalEndpoint> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    operations,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

async function bodyOf(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const xml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const members = (entries: Readonly<Record<string, string>>, key: string, value: string) =>
  Object.entries(entries)
    .map(([k, v]) => `<member><${key}>${xml(k)}</${key}><${value}>${xml(v)}</${value}></member>`)
    .join('');

/** DescribeStacks by name from `stacks`; any other action, or an unknown stack, is an error. */
export function startCloudFormationDouble(
  stacks: Readonly<Record<string, StackDouble>>,
): Promise<LocalEndpoint> {
  const operations: string[] = [];
  const server = createServer(async (request, response) => {
    const form = new URLSearchParams((await bodyOf(request)).toString('utf8'));
    const action = form.get('Action') ?? '';
    operations.push(action);
    const name = form.get('StackName') ?? '';
    const stack = Object.hasOwn(stacks, name) ? stacks[name] : undefined;
    const error = (code: string, message: string) => {
      response.writeHead(400, { 'content-type': 'text/xml' });
      response.end(
        `<ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>${xml(message)}</Message></Error><RequestId>r</RequestId></ErrorResponse>`,
      );
    };
    if (action !== 'DescribeStacks') return error('InvalidAction', `${action} is not served here`);
    if (!stack) return error('ValidationError', `Stack with id ${name} does not exist`);
    response.writeHead(200, { 'content-type': 'text/xml' });
    response.end(
      `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member>` +
        `<StackName>${xml(name)}</StackName>` +
        `<StackId>arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/${xml(name)}/1</StackId>` +
        '<CreationTime>2026-01-01T00:00:00Z</CreationTime><StackStatus>UPDATE_COMPLETE</StackStatus>' +
        `<Parameters>${members(stack.parameters ?? {}, 'ParameterKey', 'ParameterValue')}</Parameters>` +
        `<Outputs>${members(stack.outputs ?? {}, 'OutputKey', 'OutputValue')}</Outputs>` +
        '</member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DescribeStacksResponse>',
    );
  });
  return listen(server, operations);
}

/** Forwards every request to `target`, recording the operation its `X-Amz-Target` header names. */
export function startRecordingProxy(target: string): Promise<LocalEndpoint> {
  const operations: string[] = [];
  const upstream = new URL(target);
  const server = createServer(async (request, response) => {
    operations.push(String(request.headers['x-amz-target'] ?? `${request.method} ${request.url}`));
    const body = await bodyOf(request);
    const forwarded = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: request.method,
        path: request.url,
        headers: { ...request.headers, host: upstream.host },
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    forwarded.on('error', () => response.writeHead(502).end());
    forwarded.end(body);
  });
  return listen(server, operations);
}
