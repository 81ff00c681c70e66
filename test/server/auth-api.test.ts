import { describe, expect, it } from 'vitest';
import { useTestServers, type TestServer } from '../helpers/test-server.js';

/** Sign-in, sessions, CSRF and the login rate limit through real HTTP (docs/USERS.md). */
const start = useTestServers();
const PASSWORD = 'correct horse battery';

async function login(
  server: TestServer,
  name: string,
  password = PASSWORD,
  headers: Record<string, string> = {},
) {
  const response = await fetch(`${server.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ name, password }),
  });
  const setCookie = response.headers.get('set-cookie') ?? '';
  const body = (await response.json()) as { csrfToken?: string; error?: { code: string; message: string } };
  return {
    status: response.status,
    setCookie,
    body,
    headers: { cookie: setCookie.split(';')[0] ?? '', 'x-stepflow-csrf': body.csrfToken ?? '' },
  };
}

const get = (server: TestServer, path: string, headers: Record<string, string> = {}) =>
  fetch(`${server.url}${path}`, { headers });

async function withUser(
  settings: Parameters<typeof start>[0] = {},
  role: 'admin' | 'operator' | 'viewer' = 'operator',
): Promise<TestServer> {
  const server = await start(settings);
  await server.stepflow.app.users.add({ name: 'alice', role, password: PASSWORD });
  return server;
}

describe('sign-in', () => {
  it('with no users and no key the API is open on loopback as before, and me says local admin', async () => {
    const server = await start();
    expect((await get(server, '/api/executions')).status).toBe(200);
    expect(await (await get(server, '/api/auth/me')).json()).toMatchObject({ kind: 'local', role: 'admin' });
  });

  it('once a user exists the API asks for a sign-in: 401 naming it, then a session cookie opens it', async () => {
    const server = await withUser();
    const refused = await get(server, '/api/executions');
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({
      error: {
        code: 'unauthorized',
        message: 'sign in, or send a valid bearer token',
        details: { signIn: true },
      },
    });
    expect((await get(server, '/api/auth/me')).status).toBe(401);

    const signedIn = await login(server, 'alice');
    expect(signedIn.status).toBe(200);
    // HttpOnly (no script reads it), SameSite=Lax, not Secure over plain HTTP, lives the absolute expiry.
    expect(signedIn.setCookie).toMatch(
      /^stepflow_session=[\w-]{43}; Path=\/; Max-Age=604800; HttpOnly; SameSite=Lax$/,
    );
    expect(signedIn.body).toMatchObject({ kind: 'user', name: 'alice', role: 'operator' });
    expect((await get(server, '/api/executions', signedIn.headers)).status).toBe(200);
    const me = (await (await get(server, '/api/auth/me', signedIn.headers)).json()) as Record<
      string,
      unknown
    >;
    expect(me).toMatchObject({
      kind: 'user',
      name: 'alice',
      role: 'operator',
      csrfToken: signedIn.body.csrfToken,
    });
    expect(me.permissions).toContain('runs:write');
    expect(me.permissions).not.toContain('users:admin');
  });

  it('marks the cookie Secure when the browser came over HTTPS (behind a trusted proxy)', async () => {
    const server = await withUser({ env: { STEPFLOW_TRUST_PROXY: 'true' } });
    const signedIn = await login(server, 'alice', PASSWORD, { 'x-forwarded-proto': 'https' });
    expect(signedIn.setCookie).toMatch(/; HttpOnly; SameSite=Lax; Secure$/);
  });

  it('sign-out ends the session at once; the old cookie gets 401', async () => {
    const server = await withUser();
    const { headers } = await login(server, 'alice');
    const out = await fetch(`${server.url}/api/auth/logout`, { method: 'POST', headers });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^stepflow_session=; Path=\/; Max-Age=0; HttpOnly/);
    expect((await get(server, '/api/executions', headers)).status).toBe(401);
  });

  it('a wrong password and an unknown user get the same answer in about the same time', async () => {
    const server = await withUser();
    const time = async (name: string, password: string) => {
      const began = performance.now();
      const result = await login(server, name, password);
      return { ...result, ms: performance.now() - began };
    };
    await time('alice', 'warm-up-wrong'); // the dummy hash is made on first use
    const wrong = await time('alice', 'not the password');
    const unknown = await time('nobody', 'not the password');
    for (const result of [wrong, unknown]) {
      expect(result.status).toBe(401);
      expect(result.body).toEqual({
        error: { code: 'unauthorized', message: 'wrong user name or password' },
      });
      expect(result.setCookie).toBe('');
    }
    // Both verify an scrypt hash (tens of ms); without the dummy hash the unknown user would answer
    // in about 1 ms. Generous bounds for a loaded machine.
    expect(unknown.ms).toBeGreaterThan(wrong.ms / 4);
    expect(unknown.ms).toBeGreaterThan(15);
  });

  it('sessions end after the idle time unless used, and at the absolute time even if used', async () => {
    const server = await withUser({ options: { sessions: { idleMs: 2000, maxMs: 5000 } } });
    const { headers } = await login(server, 'alice');
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    // Used every ~0.8 s: the idle expiry moves, the session lives past 2 s…
    for (let i = 0; i < 4; i++) {
      await sleep(800);
      expect((await get(server, '/api/executions', headers)).status, `use ${i}`).toBe(200);
    }
    // …but not past its absolute 5 s.
    await sleep(2500);
    expect((await get(server, '/api/executions', headers)).status).toBe(401);
    // Left idle, a new one ends after 2 s.
    const idle = await login(server, 'alice');
    expect((await get(server, '/api/executions', idle.headers)).status).toBe(200);
    await sleep(2600);
    expect((await get(server, '/api/executions', idle.headers)).status).toBe(401);
  }, 30_000);

  it('refuses a cookie-authenticated change without the CSRF token, or from a foreign Origin', async () => {
    const server = await withUser();
    const { headers } = await login(server, 'alice');
    const post = (extra: Record<string, string>) =>
      fetch(`${server.url}/api/executions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...extra },
        body: JSON.stringify({ command: 'echo hi', cwd: '/tmp' }),
      });
    const noToken = await post({ cookie: headers.cookie });
    expect(noToken.status).toBe(403);
    expect(await noToken.json()).toEqual({
      error: { code: 'forbidden', message: 'missing or wrong CSRF token (x-stepflow-csrf): reload the page' },
    });
    expect((await post({ cookie: headers.cookie, 'x-stepflow-csrf': 'x'.repeat(43) })).status).toBe(403);
    expect((await post({ ...headers, origin: 'http://evil.example' })).status).toBe(403);
    // A login from a foreign page is refused too (Origin), and nothing ran.
    expect((await login(server, 'alice', PASSWORD, { origin: 'http://evil.example' })).status).toBe(403);
    const runs = (await (await get(server, '/api/executions', headers)).json()) as { items: unknown[] };
    expect(runs.items).toEqual([]);
    expect((await post(headers)).status).toBe(201);
  });

  it('rate-limits failed sign-ins per user and per address with 429, the right password included', async () => {
    const server = await withUser({
      options: { loginRateLimit: { windowMs: 60_000, perName: 3, perAddress: 5 } },
    });
    await server.stepflow.app.users.add({ name: 'bob', role: 'viewer', password: PASSWORD });
    for (let i = 0; i < 3; i++) expect((await login(server, 'alice', 'wrong-password')).status).toBe(401);
    const limited = await login(server, 'alice', PASSWORD);
    expect(limited.status).toBe(429);
    expect(limited.body.error).toMatchObject({ code: 'rate_limited' });
    expect(limited.body.error?.message).toMatch(/^too many failed sign-ins: try again in \d+ s$/);
    // Another user from the same address still may, until the address's allowance is spent.
    expect((await login(server, 'bob')).status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await login(server, 'bob', 'wrong-password')).status).toBe(401);
    expect((await login(server, 'bob')).status).toBe(429);
  });
});
