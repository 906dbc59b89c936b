/**
 * A workaround, not a feature of the emulator: an HTTP proxy in front of it that answers chosen
 * mitigation-task calls with an error (throttling, an unmodelled AccessDenied) before passing the rest
 * through. The state machine's IoT tasks go through it; the report function reads the emulator directly.
 */
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';

export type TaskOperation = 'start' | 'describe' | 'cancel';

export interface InjectedError {
  readonly type: string;
  readonly status: number;
  readonly message: string;
}

export const THROTTLING: InjectedError = {
  type: 'ThrottlingException',
  status: 400,
  message: 'Rate exceeded',
};
export const ACCESS_DENIED: InjectedError = {
  type: 'AccessDeniedException',
  status: 403,
  message: 'User is not authorized to perform: iot:StartAuditMitigationActionsTask',
};

export interface FaultProxy {
  readonly endpoint: string;
  /** Answers the next `count` calls of `operation` with `error`. */
  failNext(operation: TaskOperation, count: number, error?: InjectedError): void;
  /** Calls seen per operation, failed ones included. */
  readonly calls: Record<TaskOperation, number>;
  close(): Promise<void>;
}

function operationOf(method: string | undefined, path: string): TaskOperation | undefined {
  if (!path.startsWith('/audit/mitigationactions/tasks/')) return undefined;
  if (method === 'PUT' && path.endsWith('/cancel')) return 'cancel';
  if (method === 'POST') return 'start';
  if (method === 'GET') return 'describe';
  return undefined;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const pending: Record<TaskOperation, InjectedError[]> = { start: [], describe: [], cancel: [] };
  const calls: Record<TaskOperation, number> = { start: 0, describe: 0, cancel: 0 };
  const upstream = new URL(target);
  const server = createServer((request, response) => {
    const operation = operationOf(request.method, new URL(request.url ?? '/', target).pathname);
    if (operation) calls[operation]++;
    const injected = operation && pending[operation].shift();
    if (injected) {
      request.resume();
      response
        .writeHead(injected.status, { 'content-type': 'application/json', 'x-amzn-errortype': injected.type })
        .end(JSON.stringify({ message: injected.message }));
      return;
    }
    const forwarded = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: request.method,
        path: request.url,
        headers: request.headers,
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    request.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    failNext(operation, count, error = THROTTLING) {
      for (let i = 0; i < count; i++) pending[operation].push(error);
    },
    close: () =>
      new Promise((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
