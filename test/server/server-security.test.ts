import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { StepflowError } from '../../src/core/errors.js';
import { buildServer } from '../../src/server/build-server.js';
import { loadServerOptions } from '../../src/server/server-options.js';
import { createStepflow } from '../../src/stepflow.js';
import { runCli } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { useTestServers, type TestServer } from '../helpers/test-server.js';

const tempDir = useTempDirs();
const start = useTestServers();

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * Plain node:http, because fetch replaces the Host header with the URL's (browsers do too; an
 * attacker's DNS-rebinding page reaches us with its own name in Host, which this lets us send).
 */
function request(
  server: TestServer,
  urlPath: string,
  {
    method = 'GET',
    headers = {},
    body,
  }: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: server.port, path: urlPath, method, headers, setHost: !('host' in headers) },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const errorCode = (response: RawResponse): string =>
  (JSON.parse(response.body) as { error: { code: string } }).error.code;

describe('Host header while listening on loopback (DNS rebinding)', () => {
  it('refuses a foreign host name and accepts the loopback names with the port', async () => {
    const server = await start();
    const evil = await request(server, '/api/health', { headers: { host: `evil.example:${server.port}` } });
    expect(evil.status).toBe(403);
    expect(errorCode(evil)).toBe('forbidden');
    expect((await request(server, '/api/health', { headers: { host: 'evil.example' } })).status).toBe(403);
    for (const host of [`localhost:${server.port}`, `127.0.0.1:${server.port}`, `[::1]:${server.port}`]) {
      expect((await request(server, '/api/health', { headers: { host } })).status, host).toBe(200);
    }
  });

  it('accepts the names listed in STEPFLOW_ALLOWED_HOSTS', async () => {
    const server = await start({ env: { STEPFLOW_ALLOWED_HOSTS: 'stepflow.lan, build-box' } });
    for (const host of [`stepflow.lan:${server.port}`, 'build-box']) {
      expect((await request(server, '/api/health', { headers: { host } })).status, host).toBe(200);
    }
    expect((await request(server, '/api/health', { headers: { host: 'other.lan' } })).status).toBe(403);
  });
});

describe('Origin on state-changing requests (CSRF)', () => {
  it('refuses a POST from a foreign origin and allows a same-origin one', async () => {
    const server = await start();
    const foreign = await request(server, '/api/health/optimize', {
      method: 'POST',
      headers: { origin: 'http://evil.example' },
    });
    expect(foreign.status).toBe(403);
    expect(errorCode(foreign)).toBe('forbidden');
    const same = await request(server, '/api/health/optimize', {
      method: 'POST',
      headers: { origin: `http://127.0.0.1:${server.port}` },
    });
    expect(same.status).toBe(200);
    // Same host, other scheme: a page served over another scheme is another origin.
    for (const origin of [`https://127.0.0.1:${server.port}`, `ftp://127.0.0.1:${server.port}`]) {
      const response = await request(server, '/api/health/optimize', { method: 'POST', headers: { origin } });
      expect(response.status, origin).toBe(403);
    }
    // A read from a foreign page is harmless without credentials, and needed by some dashboards.
    expect(
      (await request(server, '/api/health', { headers: { origin: 'http://evil.example' } })).status,
    ).toBe(200);
  });
});

describe('behind a TLS proxy (STEPFLOW_TRUST_PROXY)', () => {
  it('takes the scheme from X-Forwarded-Proto only when told to trust the proxy', async () => {
    const trusting = await start({ env: { STEPFLOW_TRUST_PROXY: 'true' } });
    const post = (server: TestServer, origin: string) =>
      request(server, '/api/health/optimize', {
        method: 'POST',
        headers: { origin, 'x-forwarded-proto': 'https', host: `127.0.0.1:${server.port}` },
      });
    expect((await post(trusting, `https://127.0.0.1:${trusting.port}`)).status).toBe(200);
    expect((await post(trusting, `http://127.0.0.1:${trusting.port}`)).status).toBe(403);
    // Not trusted: anyone could send the header, so it is ignored.
    const plain = await start();
    expect((await post(plain, `https://127.0.0.1:${plain.port}`)).status).toBe(403);
    expect((await post(plain, `http://127.0.0.1:${plain.port}`)).status).toBe(200);
  });

  it('refuses a value that is not true or false', () => {
    expect(() => loadServerOptions({ STEPFLOW_TRUST_PROXY: 'maybe' })).toThrow(
      /STEPFLOW_TRUST_PROXY must be true or false/,
    );
  });
});

describe('bearer token (STEPFLOW_API_KEY)', () => {
  const key = `key-${Math.random().toString(36).slice(2)}-secret`;

  it('answers 401 without a token or with a wrong one, 200 with the right one, on /api and /metrics', async () => {
    const server = await start({ env: { STEPFLOW_API_KEY: key } });
    for (const urlPath of ['/api/executions', '/api/health/metrics', '/metrics']) {
      const none = await fetch(`${server.url}${urlPath}`);
      expect(none.status, urlPath).toBe(401);
      expect(((await none.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
      const wrong = await fetch(`${server.url}${urlPath}`, { headers: { authorization: `Bearer ${key}x` } });
      expect(wrong.status, urlPath).toBe(401);
      const basic = await fetch(`${server.url}${urlPath}`, { headers: { authorization: `Basic ${key}` } });
      expect(basic.status, urlPath).toBe(401);
      const right = await fetch(`${server.url}${urlPath}`, { headers: { authorization: `Bearer ${key}` } });
      expect(right.status, urlPath).toBe(200);
    }
  });

  it('never writes the key to the server log, even at trace level', async () => {
    const dataDir = tempDir();
    const stepflow = await createStepflow({ ...loadConfig({}, dataDir), dataDir });
    const options = loadServerOptions({ STEPFLOW_API_KEY: key, STEPFLOW_LOG_LEVEL: 'trace' }, { port: '0' });
    let log = '';
    const app = await buildServer(stepflow, options, { logStream: { write: (line) => (log += line) } });
    try {
      await app.listen({ host: '127.0.0.1', port: 0 });
      const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
      const auth = { authorization: `Bearer ${key}` };
      expect((await fetch(`${url}/api/health/metrics`, { headers: auth })).status).toBe(200);
      expect((await fetch(`${url}/api/nope`, { headers: auth })).status).toBe(404);
      expect(
        (await fetch(`${url}/api/health/metrics`, { headers: { authorization: `Bearer ${key}-wrong` } }))
          .status,
      ).toBe(401);
      const ws = { 'sec-websocket-protocol': `stepflow, bearer.${key}` };
      expect((await fetch(`${url}/api/health/metrics`, { headers: ws })).status).toBe(200);
      const body = JSON.stringify({ token: 'x'.repeat(10) });
      const posted = await fetch(`${url}/api/health/optimize`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body,
      });
      // The route takes no body: the field is refused (400), and still never logged.
      expect(posted.status).toBe(400);
    } finally {
      await app.close();
      await stepflow.close();
    }
    // The log is real (a line per request), and the key is nowhere in it.
    expect(log).toContain('"route":"/api/health/metrics"');
    expect(log).toContain('"route":"/api/health/optimize"');
    expect(log).not.toContain(key);
  });
});

describe('loadServerOptions', () => {
  it('refuses a non-loopback host without authentication, and says how to fix it', () => {
    let thrown: unknown;
    try {
      loadServerOptions({}, { host: '0.0.0.0' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(StepflowError);
    expect(thrown).toMatchObject({ code: 'usage' });
    expect((thrown as Error).message).toMatch(/refusing to listen on 0\.0\.0\.0 without authentication/);
    expect((thrown as Error).message).toMatch(/STEPFLOW_API_KEY.*--unsafe-no-auth/);
    expect(() => loadServerOptions({ STEPFLOW_HOST: '192.168.1.10' })).toThrow(/refusing to listen/);
  });

  it('allows a non-loopback host with a key, or with unsafeNoAuth', () => {
    expect(loadServerOptions({ STEPFLOW_API_KEY: 'k' }, { host: '0.0.0.0' })).toMatchObject({
      host: '0.0.0.0',
      apiKeys: ['k'],
    });
    expect(loadServerOptions({}, { host: '0.0.0.0', unsafeNoAuth: true })).toMatchObject({
      host: '0.0.0.0',
      apiKeys: [],
      unsafeNoAuth: true,
    });
    expect(loadServerOptions({}, { host: 'localhost' }).host).toBe('localhost');
  });

  it('rejects ports that are not whole numbers from 0 to 65535, and treats blank variables as unset', () => {
    for (const port of ['', ' ', '-1', '65536', '80.5', '0x50', 'http']) {
      expect(() => loadServerOptions({}, { port }), JSON.stringify(port)).toThrow(
        /port must be a whole number/,
      );
    }
    expect(loadServerOptions({ STEPFLOW_PORT: '', STEPFLOW_HOST: '' })).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
    });
    expect(() => loadServerOptions({ STEPFLOW_AUTH_ENABLED: 'true' })).toThrow(/needs at least one key/);
  });
});

describe('stepflow server (the built CLI)', () => {
  it('exits 2 with the reason when asked to listen on 0.0.0.0 without authentication', async () => {
    const dataDir = tempDir();
    const env = { STEPFLOW_API_KEY: '', STEPFLOW_API_KEYS: '', STEPFLOW_AUTH_ENABLED: '' };
    const result = await runCli(['server', '--host', '0.0.0.0', '--port', '0'], { dataDir, env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('refusing to listen on 0.0.0.0 without authentication');
    expect(result.stdout).not.toContain('listening');
    // It refused before opening anything.
    expect(fs.existsSync(path.join(dataDir, 'stepflow.db'))).toBe(false);
  });
});

describe('request bodies and unknown routes', () => {
  it('answers 413 for a body over the limit', async () => {
    const server = await start({ options: { bodyLimit: 1024 } });
    const response = await fetch(`${server.url}/api/health/optimize`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ padding: 'x'.repeat(4096) }),
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ error: { code: 'payload_too_large' } });
  });

  it('answers 415 for a body that is not JSON', async () => {
    const server = await start();
    for (const type of ['application/xml', 'application/x-www-form-urlencoded']) {
      const response = await fetch(`${server.url}/api/health/optimize`, {
        method: 'POST',
        headers: { 'content-type': type },
        body: '<a/>',
      });
      expect(response.status, type).toBe(415);
      expect(await response.json()).toMatchObject({ error: { code: 'unsupported_media_type' } });
    }
  });

  it('answers 404 with a JSON error for an unknown route', async () => {
    const server = await start();
    const response = await fetch(`${server.url}/api/no-such-thing?x=1`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({
      error: { code: 'not_found', message: 'no route GET /api/no-such-thing' },
    });
  });
});

describe('/docs', () => {
  it('serves the OpenAPI UI', async () => {
    const server = await start();
    const response = await fetch(`${server.url}/docs`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await response.text()).toContain('Swagger UI');
  });

  it('sends /docs/static/index.html with a query string to the UI once, not round in a loop', async () => {
    const server = await start();
    const first = await fetch(`${server.url}/docs/static/index.html?url=x`, { redirect: 'manual' });
    expect(first.status).toBe(302);
    expect(first.headers.get('location')).toBe('/docs/');
    const followed = await fetch(`${server.url}/docs/static/index.html?url=x`);
    expect(followed.status).toBe(200);
    expect(await followed.text()).toContain('Swagger UI');
  });

  it('lists every registered /api route with its methods and a success response', async () => {
    const server = await start();
    const spec = (await (await fetch(`${server.url}/docs/json`)).json()) as {
      paths: Record<string, Record<string, { responses?: Record<string, unknown> }>>;
    };
    const registered = registeredRoutes(server.app.printRoutes({ commonPrefix: false })).filter((route) =>
      route.path.startsWith('/api'),
    );
    expect(registered.map((r) => r.path)).toContain('/api/health');
    for (const { path: routePath, methods } of registered) {
      // OpenAPI writes `:id` as `{id}`.
      const documented = spec.paths[routePath.replace(/:(\w+)/g, '{$1}')];
      expect(documented, `${routePath} is missing from /docs/json`).toBeDefined();
      for (const method of methods) {
        const operation = documented?.[method.toLowerCase()];
        expect(operation, `${method} ${routePath} is missing from /docs/json`).toBeDefined();
        const statuses = Object.keys(operation?.responses ?? {});
        expect(
          statuses.some((s) => s.startsWith('2')),
          `${method} ${routePath} documents no success response`,
        ).toBe(true);
      }
    }
  });
});

/**
 * Reads Fastify's route tree (`printRoutes({ commonPrefix: false })`): each line is a path
 * segment below the line above it, indented four columns per level, with its methods.
 */
function registeredRoutes(tree: string): { path: string; methods: string[] }[] {
  const routes: { path: string; methods: string[] }[] = [];
  const prefixes: string[] = [];
  for (const line of tree.split('\n')) {
    const match = /^([│ ]*)[├└]── (.+?)(?: \(([^)]*)\))?$/.exec(line);
    if (!match) continue;
    const depth = (match[1] ?? '').length / 4;
    const full = (prefixes[depth - 1] ?? '') + (match[2] ?? '');
    prefixes[depth] = full;
    prefixes.length = depth + 1;
    const methods = (match[3] ?? '')
      .split(',')
      .map((m) => m.trim())
      .filter((m) => m !== '' && m !== 'HEAD' && m !== '-');
    if (methods.length > 0) routes.push({ path: full, methods });
  }
  return routes;
}
