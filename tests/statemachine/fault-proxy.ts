/**
 * A workaround, not a feature of the emulator: an HTTP proxy in front of it that answers chosen
 * mitigation-task calls with an error (throttling, an unmodelled AccessDenied) before passing the rest
 * through, or passes a call through and answers it with an error anyway: a start that started the task
 * although its caller saw it fail. The state machine's IoT tasks go through it; the report function reads
 * the emulator directly.
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
export const INTERNAL_FAILURE: InjectedError = {
  type: 'InternalFailureException',
  status: 500,
  message: 'An unexpected error has occurred',
};
export const INVALID_REQUEST: InjectedError = {
  type: 'InvalidRequestException',
  status: 400,
  message: 'A task with this client request token already exists',
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
  /** Passes the next `count` calls of `operation` to the emulator, then answers them with `error`. */
  failAfterForwarding(operation: TaskOperation, count: number, error?: InjectedError): void;
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
  const pending: Record<TaskOperation, { error: InjectedError; forward: boolean }[]> = {
    start: [],
    describe: [],
    cancel: [],
  };
  const calls: Record<TaskOperation, number> = { start: 0, describe: 0, cancel: 0 };
  const upstream = new URL(target);
  const server = createServer((request, response) => {
    const operation = operationOf(request.method, new URL(request.url ?? '/', target).pathname);
    if (operation) calls[operation]++;
    const injected = operation && pending[operation].shift();
    const fail = () =>
      response
        .writeHead(injected!.error.status, {
          'content-type': 'application/json',
          'x-amzn-errortype': injected!.error.type,
        })
        .end(JSON.stringify({ message: injected!.error.message }));
    if (injected && !injected.forward) {
      request.resume();
      fail();
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
        if (injected) {
          answer.resume();
          answer.on('end', fail);
          return;
        }
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
      for (let i = 0; i < count; i++) pending[operation].push({ error, forward: false });
    },
    failAfterForwarding(operation, count, error = INTERNAL_FAILURE) {
      for (let i = 0; i < count; i++) pending[operation].push({ error, forward: true });
    },
    close: () =>
      new Promise((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
