import crypto from 'node:crypto';
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { can, isPermission, isWorkerPermission, ROLES, type Role } from '../../src/core/access.js';
import { LIVE_PATH } from '../../src/protocol/live-messages.js';
import { routesOf, type RegisteredRoute } from '../../src/server/route-access.js';
import { useTestServers, type TestServer } from '../helpers/test-server.js';

/**
 * Authorization, as a table generated from the route list (docs/USERS.md): every route is called
 * as anonymous, as a viewer, an operator and an admin (signed in), with the API key and with the
 * worker token, and must answer 401, 403 or get through exactly as the permission table says. A
 * route registered without a permission fails the first test.
 */
const start = useTestServers();
const KEY = `key-${crypto.randomUUID()}`;
const WORKER_TOKEN = `worker-${crypto.randomUUID()}`;
const PASSWORD = 'correct horse battery';

type Caller = 'anonymous' | Role | 'api-key' | 'worker-token';
const CALLERS: Caller[] = ['anonymous', ...ROLES, 'api-key', 'worker-token'];

function send(
  server: TestServer,
  method: string,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const body = ['POST', 'PUT', 'PATCH'].includes(method) ? '{}' : undefined;
    const request = http.request(
      {
        host: '127.0.0.1',
        port: server.port,
        agent: false,
        method,
        path,
        headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

function upgrade(server: TestServer, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.request({
      host: '127.0.0.1',
      port: server.port,
      agent: false,
      path: LIVE_PATH,
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': crypto.randomBytes(16).toString('base64'),
        ...headers,
      },
    });
    request.on('upgrade', (_response, socket) => {
      socket.destroy();
      resolve(101);
    });
    request.on('response', (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', reject);
    request.end();
  });
}

/** Signs `name` in; the headers its browser would send: the cookie, and the CSRF token. */
async function signIn(server: TestServer, name: string): Promise<Record<string, string>> {
  const response = await fetch(`${server.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, password: PASSWORD }),
  });
  expect(response.status, `sign-in of ${name}`).toBe(200);
  const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const { csrfToken } = (await response.json()) as { csrfToken: string };
  return { cookie, 'x-stepflow-csrf': csrfToken };
}

async function teamServer(): Promise<{
  server: TestServer;
  headers: Record<Caller, Record<string, string>>;
}> {
  const server = await start({ env: { STEPFLOW_API_KEY: KEY, STEPFLOW_WORKER_TOKEN: WORKER_TOKEN } });
  for (const role of ROLES)
    await server.stepflow.app.users.add({ name: `${role}-user`, role, password: PASSWORD });
  const signedIn: Record<string, Record<string, string>> = {};
  for (const role of ROLES) signedIn[role] = await signIn(server, `${role}-user`);
  const headers = {
    anonymous: {},
    'api-key': { authorization: `Bearer ${KEY}` },
    'worker-token': { authorization: `Bearer ${WORKER_TOKEN}` },
    ...signedIn,
  } as unknown as Record<Caller, Record<string, string>>;
  return { server, headers };
}

/** What the permission table says `caller` gets on `route`: 401, 403 or through. */
function expected(caller: Caller, route: RegisteredRoute): 401 | 403 | 'allowed' {
  if (route.access === 'public') return 'allowed';
  if (caller === 'anonymous') return 401;
  if (caller === 'api-key') return 'allowed';
  // The worker token is a credential on worker routes only.
  if (caller === 'worker-token') return isWorkerPermission(route.access) ? 'allowed' : 401;
  if (route.access === 'signed-in') return 'allowed';
  return can(caller, route.access) ? 'allowed' : 403;
}

const concrete = (url: string): string => url.replace(/:\w+/g, 'no-such-id').replace(/\*/g, 'x');

describe('every route declares its permission, and every caller gets what the table says', () => {
  it('no route is registered without a permission (public, signed-in, or one of core/access.ts)', async () => {
    const { server } = await teamServer();
    const undeclared = routesOf(server.app.server)
      .filter((route) => route.declared === undefined)
      .map((route) => `${route.method} ${route.url}`);
    expect(undeclared).toEqual([]);
    for (const route of routesOf(server.app.server)) {
      expect(
        route.access === 'public' || route.access === 'signed-in' || isPermission(route.access),
        route.url,
      ).toBe(true);
    }
  });

  it('anonymous 401, viewer/operator/admin 403 or allowed by role, API key everything, worker token only worker routes', async () => {
    const { server, headers } = await teamServer();
    const routes = routesOf(server.app.server).filter((route) => route.access !== 'public');
    expect(routes.length).toBeGreaterThan(40);
    const wrong: string[] = [];
    let allowedForViewer = 0;
    for (const route of routes) {
      for (const caller of CALLERS) {
        const path = concrete(route.url);
        const response = await send(server, route.method, path, headers[caller]);
        const want = expected(caller, route);
        const got = response.status === 401 || response.status === 403 ? response.status : 'allowed';
        if (got !== want) {
          wrong.push(
            `${caller} ${route.method} ${route.url} (${route.access}): ${response.status}, want ${want}`,
          );
          continue;
        }
        if (caller === 'viewer' && got === 'allowed') allowedForViewer++;
        if (got !== 'allowed' && route.method !== 'HEAD') {
          expect(JSON.parse(response.body)).toMatchObject({
            error: { code: got === 401 ? 'unauthorized' : 'forbidden' },
          });
        }
      }
    }
    expect(wrong).toEqual([]);
    // Viewers do read: the table is not "everything refused".
    expect(allowedForViewer).toBeGreaterThan(20);
    // And nothing was started or saved by any of it.
    const runs = await send(server, 'GET', '/api/executions', headers['api-key']);
    expect((JSON.parse(runs.body) as { items: unknown[] }).items).toEqual([]);
  }, 120_000);

  it('the WebSocket takes every signed-in role (all may read runs), the key; not anonymous nor the worker token', async () => {
    const { server, headers } = await teamServer();
    expect(await upgrade(server, headers.anonymous)).toBe(401);
    expect(await upgrade(server, headers['worker-token'])).toBe(401);
    for (const caller of [...ROLES, 'api-key'] as const) {
      expect(await upgrade(server, headers[caller]), caller).toBe(101);
    }
    // A session that ended no longer upgrades.
    await fetch(`${server.url}/api/auth/logout`, { method: 'POST', headers: headers.viewer });
    expect(await upgrade(server, headers.viewer)).toBe(401);
  });
});
