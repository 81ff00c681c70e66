import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

export interface WebhookReceiver {
  url: string;
  calls: Received[];
  close(): Promise<void>;
}

/**
 * Loopback webhook receivers closed after each test: each answers a call with the next status of
 * `statuses` (then 200) and keeps what it received.
 */
export function useWebhookReceivers(): (statuses?: number[]) => Promise<WebhookReceiver> {
  const started: WebhookReceiver[] = [];
  afterEach(async () => {
    for (const receiver of started.splice(0)) await receiver.close();
  });
  return async (statuses = []) => {
    const receiver = await startReceiver([...statuses]);
    started.push(receiver);
    return receiver;
  };
}

async function startReceiver(statuses: number[]): Promise<WebhookReceiver> {
  const calls: Received[] = [];
  const server = http.createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      calls.push({ headers: request.headers, body, at: Date.now() });
      response.statusCode = statuses.shift() ?? 200;
      response.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    calls,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
