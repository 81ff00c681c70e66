import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { LIVE_SUBPROTOCOL } from '../../src/protocol/live-messages.js';
import { LiveTestClient, startLiveServer, waitUntil, type LiveServer } from './live-test-kit.js';

const servers: LiveServer[] = [];
const clients: LiveTestClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.ws.terminate();
  for (const server of servers.splice(0)) await server.close();
});

async function setup(env: NodeJS.ProcessEnv = {}): Promise<LiveServer> {
  const server = await startLiveServer({ env });
  servers.push(server);
  return server;
}

/** The HTTP status a refused upgrade gets, and its body. */
function refusal(
  url: string,
  headers: Record<string, string> = {},
  protocols: string[] = [],
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { headers });
    ws.on('unexpected-response', (_request, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += String(chunk)));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    ws.on('open', () => {
      ws.terminate();
      reject(new Error('the upgrade was accepted'));
    });
    ws.on('error', () => undefined);
  });
}

describe('upgrade checks', () => {
  it('refuses a foreign Origin with 403 and accepts a same-origin one', async () => {
    const server = await setup();
    const refused = await refusal(server.wsUrl, { origin: 'https://evil.example' });
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body)).toMatchObject({ error: { code: 'forbidden' } });
    const client = await LiveTestClient.connect(server.wsUrl, { headers: { origin: server.url } });
    clients.push(client);
    expect(client.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('refuses a foreign Host while listening on loopback (DNS rebinding)', async () => {
    const server = await setup();
    expect((await refusal(server.wsUrl, { host: 'evil.example' })).status).toBe(403);
  });

  it('needs the key when STEPFLOW_API_KEY is set: header or bearer.<key> subprotocol', async () => {
    const server = await setup({ STEPFLOW_API_KEY: 'sekret-key' });
    expect((await refusal(server.wsUrl)).status).toBe(401);
    expect((await refusal(server.wsUrl, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await refusal(server.wsUrl, {}, ['bearer.wrong'])).status).toBe(401);

    const byHeader = await LiveTestClient.connect(server.wsUrl, {
      headers: { authorization: 'Bearer sekret-key' },
    });
    const byProtocol = await LiveTestClient.connect(server.wsUrl, {
      protocols: [LIVE_SUBPROTOCOL, 'bearer.sekret-key'],
    });
    clients.push(byHeader, byProtocol);
    // The key is never echoed back as the selected subprotocol.
    expect(byProtocol.ws.protocol).toBe(LIVE_SUBPROTOCOL);
    await byHeader.subscribe('executions');
  });

  it('answers 404 to an upgrade on another path', async () => {
    const server = await setup();
    expect((await refusal(server.wsUrl.replace('/ws', '/api/ws'))).status).toBe(404);
  });

  it('closes its sockets when the server closes, so shutdown does not hang on them', async () => {
    const server = await startLiveServer();
    const client = await LiveTestClient.connect(server.wsUrl);
    const code = new Promise<number>((resolve) => client.ws.once('close', (c) => resolve(c)));
    await server.close();
    expect(await code).toBe(1001);
  });
});

describe('client messages', () => {
  it('answers bad messages with an error and keeps the connection', async () => {
    const server = await setup();
    const client = await LiveTestClient.connect(server.wsUrl);
    clients.push(client);
    const errorAfter = async (message: unknown): Promise<unknown> => {
      const reply = client.next((m) => m.type === 'error');
      client.send(message);
      return reply;
    };
    expect(await errorAfter('{not json')).toMatchObject({
      code: 'validation_failed',
      message: 'message is not valid JSON',
    });
    expect(await errorAfter('[1,2]')).toMatchObject({ code: 'validation_failed' });
    expect(await errorAfter({ type: 'dance' })).toMatchObject({ message: 'unknown message type "dance"' });
    expect(await errorAfter({ type: 'subscribe', topic: 'weather' })).toMatchObject({
      code: 'validation_failed',
      topic: 'weather',
    });
    expect(await errorAfter({ type: 'subscribe', topic: 'execution:x', since: -1 })).toMatchObject({
      topic: 'execution:x',
    });
    expect(await errorAfter({ type: 'subscribe', topic: 'execution:nope' })).toMatchObject({
      code: 'not_found',
      topic: 'execution:nope',
    });
    // Unknown fields are refused, as over HTTP: a misspelt `since` must not quietly mean "from now".
    expect(await errorAfter({ type: 'subscribe', topic: 'executions', sinse: 0 })).toMatchObject({
      code: 'validation_failed',
      message: 'unknown field "sinse" in a "subscribe" message (it takes type, topic, topics, since, filter)',
    });
    expect(await errorAfter({ type: 'ping', id: 7 })).toMatchObject({
      code: 'validation_failed',
      message: 'unknown field "id" in a "ping" message (it takes type)',
    });
    expect(await errorAfter({ type: 'unsubscribe', topic: 'executions', since: 1 })).toMatchObject({
      code: 'validation_failed',
      message: 'unknown field "since" in a "unsubscribe" message (it takes type, topic, topics)',
    });
    const binary = client.next((m) => m.type === 'error');
    client.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await binary).toMatchObject({ code: 'validation_failed' });

    const { id, done } = await server.run('echo one\necho two\n', 'two.sh');
    await done;
    expect(await errorAfter({ type: 'subscribe', topic: `execution:${id}`, since: 99 })).toMatchObject({
      code: 'validation_failed',
      message: 'since 99 is past the last line (2)',
    });

    // Still connected and still served.
    const pong = client.next((m) => m.type === 'pong');
    client.send({ type: 'ping' });
    await pong;
    await client.subscribe(`execution:${id}`, 0);
    await waitUntil(() => client.lastSeq(id) === 2);
    expect(server.hub.stats().clients).toBe(1);
  });

  it('closes a connection whose message exceeds the size limit', async () => {
    const server = await setup();
    const client = await LiveTestClient.connect(server.wsUrl);
    clients.push(client);
    const code = new Promise<number>((resolve) => client.ws.once('close', (c) => resolve(c)));
    client.send({ type: 'ping', padding: 'x'.repeat(100 * 1024) });
    expect(await code).toBe(1009);
  });

  it('survives a client that sends an upgrade and vanishes', async () => {
    const server = await setup();
    const socket = net.connect(Number(new URL(server.url).port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.end('GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    socket.destroy();
    const client = await LiveTestClient.connect(server.wsUrl);
    clients.push(client);
    await client.subscribe('executions');
  });
});
