/**
 * A local endpoint on 127.0.0.1 (port 0: any free port) that the SDK clients reach through
 * `AWS_ENDPOINT_URL_<SERVICE>`; `close()` also ends kept-alive connections so a test can finish.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LocalEndpoint {
  readonly endpoint: string;
  close(): Promise<void>;
}

export async function listenLocally(
  serve: (request: IncomingMessage, response: ServerResponse) => Promise<void>,
  port = 0,
): Promise<LocalEndpoint> {
  const server = createServer((request, response) => void serve(request, response));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
