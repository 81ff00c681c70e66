import crypto from 'node:crypto';
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { LIVE_PATH } from '../../src/protocol/live-messages.js';
import { routesOf } from '../../src/server/route-access.js';
import { useTestServers, type TestServer } from '../helpers/test-server.js';

/**
 * Authentication is decided on the route the router matched, never on the URL's text. Every
 * registered route (and the WebSocket endpoint) is tried with and without the key, and so is every
 * spelling of its path an attacker might use to slip past a prefix check: percent-encoded,
 * double-encoded, case-varied, doubled slashes, `;` suffixes, `..` segments.
 */
const start = useTestServers();
const KEY = `route-access-${crypto.randomUUID()}`;
const AUTH = { authorization: `Bearer ${KEY}` };

interface RawResponse {
  status: number;
  contentType: string;
  body: string;
}

/** node:http, because fetch (like a browser) normalises `..`, `//` and encodings before sending. */
function send(
  server: TestServer,
  method: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const body = ['POST', 'PUT', 'PATCH'].includes(method) ? '{}' : undefined;
    const request = http.request(
      {
        host: '127.0.0.1',
        port: server.port,
        // A fresh connection each time: a refused request may close its socket.
        agent: false,
        method,
        path,
        headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            contentType: String(response.headers['content-type'] ?? ''),
            body: text,
          }),
        );
      },
    );
    request.on('error', (error) => reject(new Error(`${method} ${path}: ${error.message}`)));
    request.end(body);
  });
}

/** Tries a WebSocket upgrade; resolves with 101 when it was accepted, else the refusal's status. */
function upgrade(server: TestServer, path: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.request({
      host: '127.0.0.1',
      port: server.port,
      agent: false,
      path,
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
    request.on('error', (error) => reject(new Error(`upgrade ${path}: ${error.message}`)));
    request.end();
  });
}

const hex = (char: string): string => char.charCodeAt(0).toString(16).padStart(2, '0');
const toggleCase = (text: string): string =>
  [...text].map((c, i) => (i % 2 === 0 ? c.toUpperCase() : c.toLowerCase())).join('');

/** Spellings of `path` that a router may decode to it, or that a prefix check may misread. */
function pathVariants(path: string): string[] {
  const segments = path.split('/').filter((s) => s !== '');
  const join = (parts: string[]): string => `/${parts.join('/')}`;
  const out = new Set<string>([path, `${path}/`, `${path}?x=1`]);
  segments.forEach((segment, i) => {
    const replaced = (value: string): string => join(segments.map((s, j) => (j === i ? value : s)));
    const first = segment[0] ?? '';
    out.add(replaced(`%${hex(first)}${segment.slice(1)}`));
    out.add(replaced(`%${hex(first).toUpperCase()}${segment.slice(1)}`));
    out.add(replaced([...segment].map((c) => `%${hex(c)}`).join('')));
    out.add(replaced(`%25${hex(first)}${segment.slice(1)}`)); // double-encoded
    out.add(replaced(segment.toUpperCase()));
    out.add(replaced(toggleCase(segment)));
    out.add(replaced(`${segment};x`));
    out.add(replaced(`${segment};`));
    // `..` segments: literal, encoded, and with a doubled slash after them.
    const before = segments.slice(0, i);
    const after = segments.slice(i);
    out.add(join([...before, 'x', '..', ...after]));
    out.add(join([...before, 'x', '%2e%2e', ...after]));
    out.add(join([...before, 'x', '%2E%2E', ...after]));
    out.add(join([...before, '.', ...after]));
    out.add(join([...before, '%2e', ...after]));
  });
  out.add(`/${path}`);
  out.add(`/${segments.join('//')}`);
  out.add(`${path.replaceAll('/', '//')}`);
  // Encoded separators (a request-target itself must start with a plain '/').
  out.add(`/${segments.join('%2f')}`);
  out.add(`/${segments.join('%2F')}`);
  out.add(`${path};jsessionid=x`);
  out.add(`${path}%00`);
  out.add(`${path}%20`);
  out.add(`${path}#x`);
  return [...out];
}

/** A concrete path for a route pattern: parameters and wildcards get a harmless value. */
const concrete = (url: string): string => url.replace(/:\w+/g, 'no-such-id').replace(/\*/g, 'x');

async function dashboardShell(server: TestServer): Promise<string> {
  const shell = await send(server, 'GET', '/');
  expect(shell.status).toBe(200);
  expect(shell.contentType).toMatch(/^text\/html/);
  return shell.body;
}

describe('authentication is decided on the matched route', () => {
  it('every protected route, in every spelling, answers nothing but 401 (or the public dashboard shell) without the key', async () => {
    const server = await start({ env: { STEPFLOW_API_KEY: KEY } });
    const shell = await dashboardShell(server);
    const routes = routesOf(server.app.server);
    const protectedRoutes = routes.filter((r) => r.access !== 'public');
    // The registry is real and complete enough to mean something.
    expect(protectedRoutes.map((r) => `${r.method} ${r.url}`)).toEqual(
      expect.arrayContaining([
        'POST /api/executions',
        'GET /api/executions',
        'HEAD /api/executions',
        'GET /api/jobs',
        'GET /metrics',
        'GET /docs/json',
        'GET /docs',
      ]),
    );
    expect(protectedRoutes.length).toBeGreaterThan(30);

    const leaks: string[] = [];
    let tried = 0;
    for (const route of protectedRoutes) {
      for (const path of pathVariants(concrete(route.url))) {
        tried++;
        const response = await send(server, route.method, path);
        if (response.status === 401) {
          if (route.method === 'HEAD') continue; // same answer, no body
          expect(JSON.parse(response.body)).toEqual({
            error: { code: 'unauthorized', message: 'missing or invalid bearer token' },
          });
          continue;
        }
        // Anything else must be the public dashboard shell (a spelling the router did not match,
        // such as `/API/executions`, is a client-side route of the dashboard) or a refusal that
        // happened before any route ran (a malformed URL).
        const isShell = response.status === 200 && response.body === shell;
        const isHeadOfShell = route.method === 'HEAD' && response.status === 200 && response.body === '';
        const refusedEarly = response.status === 400 && !response.body.includes('"items"');
        if (!isShell && !isHeadOfShell && !refusedEarly) {
          leaks.push(`${route.method} ${path} → ${response.status} ${response.body.slice(0, 80)}`);
        }
      }
    }
    expect(tried).toBeGreaterThan(1000);
    expect(leaks).toEqual([]);

    // Nothing ran and nothing was saved by any of those requests.
    const executions = await fetch(`${server.url}/api/executions`, { headers: AUTH });
    expect(((await executions.json()) as { items: unknown[] }).items).toEqual([]);
    const jobs = await fetch(`${server.url}/api/jobs`, { headers: AUTH });
    expect(((await jobs.json()) as { items: unknown[] }).items).toEqual([]);
  }, 120_000);

  it('with the key, every protected route is reached (no 401), and the public ones need none', async () => {
    const server = await start({ env: { STEPFLOW_API_KEY: KEY } });
    const routes = routesOf(server.app.server);
    for (const route of routes) {
      if (route.method !== 'GET' || route.url.includes(':')) continue;
      const path = concrete(route.url);
      const headers = route.access !== 'public' ? AUTH : {};
      const response = await send(server, 'GET', path, headers);
      expect(response.status, `GET ${path}`).not.toBe(401);
      expect(response.status, `GET ${path}`).toBeLessThan(500);
    }
    for (const route of routes.filter((r) => r.access !== 'public' && r.url.includes(':'))) {
      const response = await send(server, route.method, concrete(route.url), AUTH);
      expect(response.status, `${route.method} ${route.url}`).not.toBe(401);
    }
    // The public routes are exactly the dashboard's (its shell, client-side routes and files),
    // signing in and out, which sign-ins exist (the login page asks; with SSO configured also its
    // login and callback), and the health probe (Kubernetes and Docker probes carry no credentials).
    const publicRoutes = routes.filter((r) => r.access === 'public').map((r) => r.url);
    expect(publicRoutes).toEqual(expect.arrayContaining(['/', '/*', '/favicon.svg']));
    const signInRoutes = ['/api/auth/login', '/api/auth/logout', '/api/auth/providers', '/api/health'];
    expect([...new Set(publicRoutes.filter((url) => url.startsWith('/api')))].sort()).toEqual(
      [...signInRoutes].sort(),
    );
    const probe = await send(server, 'GET', '/api/health');
    expect(probe.status).toBe(200);
    expect(JSON.parse(probe.body)).toMatchObject({ status: 'ok' });
    expect((await send(server, 'GET', '/api/health/metrics')).status).toBe(401);
    for (const url of publicRoutes.filter((u) => !signInRoutes.includes(u))) {
      expect(url.startsWith('/api') || url.startsWith('/docs') || url.startsWith('/metrics'), url).toBe(
        false,
      );
    }
  });

  it('the WebSocket endpoint upgrades only with the key, in no spelling without it', async () => {
    const server = await start({ env: { STEPFLOW_API_KEY: KEY } });
    expect(await upgrade(server, LIVE_PATH, AUTH)).toBe(101);
    expect(await upgrade(server, LIVE_PATH, { 'sec-websocket-protocol': `stepflow, bearer.${KEY}` })).toBe(
      101,
    );
    for (const path of pathVariants(LIVE_PATH)) {
      expect(await upgrade(server, path), path).not.toBe(101);
    }
  });

  it('an unknown path is as protected as a known one: 401 without the key, 404 with it', async () => {
    const server = await start({ env: { STEPFLOW_API_KEY: KEY } });
    for (const [method, path] of [
      ['GET', '/api/no-such-route'],
      ['POST', '/api/no-such-route'],
      ['DELETE', '/no-such-route'],
      ['GET', '/api/executions;x'],
    ] as const) {
      expect((await send(server, method, path)).status, `${method} ${path}`).toBe(401);
      expect((await send(server, method, path, AUTH)).status, `${method} ${path}`).toBe(404);
    }
  });

  it('without keys on loopback, the API is open as before', async () => {
    const server = await start();
    expect((await send(server, 'GET', '/api/executions')).status).toBe(200);
    expect((await send(server, 'GET', '/%61pi/executions')).status).toBe(200);
    expect(await upgrade(server, LIVE_PATH)).toBe(101);
  });
});
