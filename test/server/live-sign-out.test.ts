import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIVE_CLOSE_UNAUTHORIZED } from '../../src/protocol/live-messages.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { LiveTestClient } from './live-test-kit.js';

/**
 * Live connections end with their credentials (docs/USERS.md): on the server that saw a sign-out,
 * a revoked token or a disabled user, at once (close 4401); on another replica of the same
 * database, at its next subscribe. Two servers on one data dir, shared by the file.
 */
const PASSWORD = 'correct horse battery';
let dir: string;
let a: TestServer;
let b: TestServer;
const clients: LiveTestClient[] = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stepflow-live-sign-out-'));
  a = await startTestServer({ dataDir: dir });
  b = await startTestServer({ dataDir: dir });
  await a.stepflow.app.users.add({ name: 'root', role: 'admin', password: PASSWORD });
});
afterAll(async () => {
  for (const client of clients) client.ws.terminate();
  await b?.close();
  await a?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function signIn(server: TestServer, name: string): Promise<Record<string, string>> {
  const login = await fetch(`${server.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, password: PASSWORD }),
  });
  expect(login.status).toBe(200);
  const { csrfToken } = (await login.json()) as { csrfToken: string };
  return {
    cookie: (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '',
    'x-stepflow-csrf': csrfToken,
  };
}

async function connect(server: TestServer, headers: Record<string, string>): Promise<LiveTestClient> {
  const client = await LiveTestClient.connect(`ws://127.0.0.1:${server.port}/ws`, { headers });
  clients.push(client);
  expect(await client.subscribe('executions')).toMatchObject({ type: 'subscribed' });
  return client;
}

const closeCode = (client: LiveTestClient): Promise<number> =>
  new Promise((resolve) => {
    if (client.ws.readyState === client.ws.CLOSED) resolve(-1);
    client.ws.once('close', (code) => resolve(code));
  });

const send = (
  method: 'POST' | 'DELETE',
  server: TestServer,
  url: string,
  headers: Record<string, string>,
  body?: unknown,
) =>
  fetch(`${server.url}${url}`, {
    method,
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

describe('live connections and credentials', () => {
  it('a sign-out closes that session’s live connection at once, and only that one', async () => {
    await a.stepflow.app.users.add({ name: 'kim', role: 'viewer', password: PASSWORD });
    const first = await signIn(a, 'kim');
    const second = await signIn(a, 'kim');
    const signedOut = await connect(a, first);
    const other = await connect(a, second);
    const closed = closeCode(signedOut);
    expect((await send('POST', a, '/api/auth/logout', first)).status).toBe(204);
    expect(await closed).toBe(LIVE_CLOSE_UNAUTHORIZED);
    expect(await other.subscribe('jobs')).toMatchObject({ type: 'subscribed' });
    expect(other.closed).toBe(false);
  });

  it('a revoked token and a disabled user close their live connections at once', async () => {
    await a.stepflow.app.users.add({ name: 'lee', role: 'operator', password: PASSWORD });
    const session = await signIn(a, 'lee');
    const created = (await (await send('POST', a, '/api/tokens', session, { name: 'ws' })).json()) as {
      secret: string;
      token: { id: string };
    };
    const byToken = await connect(a, { authorization: `Bearer ${created.secret}` });
    const bySession = await connect(a, session);
    const tokenClosed = closeCode(byToken);
    expect((await send('DELETE', a, `/api/tokens/${created.token.id}`, session)).status).toBe(200);
    expect(await tokenClosed).toBe(LIVE_CLOSE_UNAUTHORIZED);
    expect(bySession.closed).toBe(false);

    const sessionClosed = closeCode(bySession);
    await a.stepflow.app.users.update('lee', { disabled: true });
    expect(await sessionClosed).toBe(LIVE_CLOSE_UNAUTHORIZED);
  });

  it('on another replica, the connection closes at its next subscribe', async () => {
    await a.stepflow.app.users.add({ name: 'max', role: 'viewer', password: PASSWORD });
    const session = await signIn(a, 'max');
    const onB = await connect(b, session);
    expect((await send('POST', a, '/api/auth/logout', session)).status).toBe(204);
    const closed = closeCode(onB);
    onB.send({ type: 'subscribe', topic: 'jobs' });
    expect(await closed).toBe(LIVE_CLOSE_UNAUTHORIZED);
    expect(onB.messages.some((m) => m.type === 'subscribed' && m.topic === 'jobs')).toBe(false);
  });
});
