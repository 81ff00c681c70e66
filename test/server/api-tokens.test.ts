import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/**
 * Users' API tokens through real HTTP (docs/USERS.md): created once with the secret shown that
 * once, used as `Authorization: Bearer`, with the user's current role, refused at once when revoked,
 * expired or its user disabled. One server for the file; each case has its own users.
 */
const PASSWORD = 'correct horse battery';
let server: TestServer;
let admin: Record<string, string>;

/** A parsed JSON answer: tests read into it freely. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

async function call(
  method: string,
  url: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<{ status: number; body: Json }> {
  const response = await fetch(`${server.url}${url}`, {
    method,
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
}

async function signIn(name: string): Promise<Record<string, string>> {
  const login = await fetch(`${server.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, password: PASSWORD }),
  });
  expect(login.status, `sign-in of ${name}`).toBe(200);
  const { csrfToken } = (await login.json()) as { csrfToken: string };
  return {
    cookie: (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '',
    'x-stepflow-csrf': csrfToken,
  };
}

let users = 0;
/** A new user of `role`, signed in: its browser's headers. */
async function user(
  role: 'admin' | 'operator' | 'viewer',
): Promise<{ name: string; session: Record<string, string> }> {
  const name = `${role}-${++users}`;
  await server.stepflow.app.users.add({ name, role, password: PASSWORD });
  return { name, session: await signIn(name) };
}

const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });

afterAll(async () => server?.close());
beforeAll(async () => {
  server = await startTestServer();
  await server.stepflow.app.users.add({ name: 'root', role: 'admin', password: PASSWORD });
  admin = await signIn('root');
});

describe('API tokens', () => {
  it('create shows the secret once; it works as a bearer; revoked, the very next request is 401', async () => {
    const alice = await user('operator');
    const created = await call('POST', '/api/tokens', alice.session, { name: 'ci' });
    expect(created.status).toBe(201);
    const secret = created.body.secret as string;
    expect(secret).toMatch(/^sft_[\w-]{43}$/);
    expect(created.body.token).toMatchObject({
      user: alice.name,
      name: 'ci',
      expiresAt: null,
      lastUsedAt: null,
    });

    const me = await call('GET', '/api/auth/me', bearer(secret));
    expect(me).toMatchObject({ status: 200, body: { kind: 'user', name: alice.name, role: 'operator' } });
    expect((await call('GET', '/api/executions', bearer(secret))).status).toBe(200);
    // A bearer needs no CSRF token: the operator's token changes state.
    expect((await call('POST', '/api/executions', bearer(secret), { argv: ['true'] })).status).toBe(201);

    // Listed without its secret, with its last use.
    const listed = await call('GET', '/api/tokens', alice.session);
    expect(listed.body.tokens).toHaveLength(1);
    expect(JSON.stringify(listed.body)).not.toContain(secret.slice(4));
    expect(listed.body.tokens[0].lastUsedAt).not.toBeNull();

    const revoked = await call('DELETE', `/api/tokens/${created.body.token.id}`, alice.session);
    expect(revoked).toMatchObject({ status: 200, body: { name: 'ci' } });
    expect(revoked.body.revokedAt).not.toBeNull();
    const refused = await call('GET', '/api/executions', bearer(secret));
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe('unauthorized');
  });

  it('the secret is nowhere in the data dir: only its SHA-256 is stored', async () => {
    const bob = await user('viewer');
    const { body } = await call('POST', '/api/tokens', bob.session, { name: 'laptop' });
    const secret = body.secret as string;
    expect((await call('GET', '/api/tokens', bearer(secret))).status).toBe(200);
    const files = fs.readdirSync(server.dataDir, { recursive: true, encoding: 'utf8' });
    const dbFiles = files.filter((file) => /stepflow\.db/.test(file));
    expect(dbFiles.length).toBeGreaterThan(0);
    const secretPart = Buffer.from(secret.slice(4));
    for (const file of files) {
      const full = path.join(server.dataDir, file);
      if (!fs.statSync(full).isFile()) continue;
      expect(fs.readFileSync(full).includes(secretPart), file).toBe(false);
    }
  });

  it('an expired token is 401', async () => {
    const carol = await user('viewer');
    const expiresAt = new Date(Date.now() + 3000).toISOString();
    const { body } = await call('POST', '/api/tokens', carol.session, { name: 'short', expiresAt });
    expect(body.token.expiresAt).toBe(expiresAt);
    expect((await call('GET', '/api/executions', bearer(body.secret))).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, Date.parse(expiresAt) - Date.now() + 50));
    expect((await call('GET', '/api/executions', bearer(body.secret))).status).toBe(401);
    // An expiry in the past is refused at creation, naming the field.
    const past = await call('POST', '/api/tokens', carol.session, {
      name: 'old',
      expiresAt: '2001-01-01T00:00:00Z',
    });
    expect(past).toMatchObject({
      status: 400,
      body: { error: { code: 'validation_failed', details: { field: 'expiresAt' } } },
    });
  });

  it("a token acts with its user's current role, and stops while its user is disabled", async () => {
    const dave = await user('operator');
    const { body } = await call('POST', '/api/tokens', dave.session, { name: 'deploy' });
    const token = bearer(body.secret);
    expect((await call('POST', '/api/executions', token, { argv: ['true'] })).status).toBe(201);
    expect((await call('PATCH', `/api/users/${dave.name}`, admin, { role: 'viewer' })).status).toBe(200);
    expect((await call('GET', '/api/auth/me', token)).body.role).toBe('viewer');
    const refused = await call('POST', '/api/executions', token, { argv: ['true'] });
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toContain('runs:write');

    expect((await call('PATCH', `/api/users/${dave.name}`, admin, { disabled: true })).status).toBe(200);
    expect((await call('GET', '/api/executions', token)).status).toBe(401);
    expect((await call('PATCH', `/api/users/${dave.name}`, admin, { disabled: false })).status).toBe(200);
    expect((await call('GET', '/api/executions', token)).status).toBe(200);
  });

  it("a viewer can neither list nor revoke another user's tokens; an admin can; a token cannot mint tokens", async () => {
    const erin = await user('operator');
    const frank = await user('viewer');
    const { body } = await call('POST', '/api/tokens', erin.session, { name: 'ci' });
    const others = await call('GET', `/api/tokens?user=${erin.name}`, frank.session);
    expect(others.status).toBe(403);
    expect(others.body.error.code).toBe('forbidden');
    expect((await call('GET', '/api/tokens', frank.session)).body).toEqual({ tokens: [] });
    expect((await call('DELETE', `/api/tokens/${body.token.id}`, frank.session)).status).toBe(404);
    expect((await call('GET', '/api/executions', bearer(body.secret))).status).toBe(200);

    const asAdmin = await call('GET', `/api/tokens?user=${erin.name}`, admin);
    expect(asAdmin.body.tokens.map((t: { name: string }) => t.name)).toEqual(['ci']);
    // The same name twice is a conflict; a token cannot create another (it would outlive its revocation).
    expect((await call('POST', '/api/tokens', erin.session, { name: 'ci' })).status).toBe(409);
    const minted = await call('POST', '/api/tokens', bearer(body.secret), { name: 'more' });
    expect(minted.status).toBe(403);
    expect((await call('DELETE', `/api/tokens/${body.token.id}`, admin)).status).toBe(200);
    expect((await call('GET', '/api/executions', bearer(body.secret))).status).toBe(401);
  });
});
