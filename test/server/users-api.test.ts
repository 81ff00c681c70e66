import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/**
 * `/api/users` through real HTTP (docs/USERS.md): an admin adds, lists, changes role, disables,
 * re-passwords and removes users; the last admin stays; other roles get 403. One server for the file.
 */
const PASSWORD = 'correct horse battery';
let server: TestServer;
let root: Record<string, string>;

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

async function signIn(name: string, password = PASSWORD): Promise<Record<string, string>> {
  const login = await fetch(`${server.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, password }),
  });
  expect(login.status, `sign-in of ${name}`).toBe(200);
  const { csrfToken } = (await login.json()) as { csrfToken: string };
  return {
    cookie: (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '',
    'x-stepflow-csrf': csrfToken,
  };
}

afterAll(async () => server?.close());
beforeAll(async () => {
  server = await startTestServer();
  await server.stepflow.app.users.add({ name: 'root', role: 'admin', password: PASSWORD });
  root = await signIn('root');
});

describe('users API', () => {
  it('an admin adds, lists, changes the role of, disables and removes a user', async () => {
    const added = await call('POST', '/api/users', root, {
      name: 'gina',
      role: 'viewer',
      password: PASSWORD,
    });
    expect(added).toMatchObject({ status: 201, body: { name: 'gina', role: 'viewer', disabled: false } });
    expect(JSON.stringify(added.body)).not.toContain(PASSWORD);
    const listed = await call('GET', '/api/users', root);
    expect(listed.body.users.map((u: { name: string }) => u.name)).toEqual(['gina', 'root']);
    expect(JSON.stringify(listed.body)).not.toMatch(/scrypt|password/i);

    const gina = await signIn('gina');
    expect((await call('POST', '/api/executions', gina, { argv: ['true'] })).status).toBe(403);
    expect((await call('PATCH', '/api/users/gina', root, { role: 'operator' })).body.role).toBe('operator');
    expect((await call('POST', '/api/executions', gina, { argv: ['true'] })).status).toBe(201);

    expect((await call('PATCH', '/api/users/gina', root, { disabled: true })).body.disabled).toBe(true);
    expect((await call('GET', '/api/executions', gina)).status).toBe(401);
    expect((await call('PATCH', '/api/users/gina', root, { disabled: false })).status).toBe(200);

    // A new password ends her sessions; the new one signs in.
    expect((await call('PATCH', '/api/users/gina', root, { password: 'another good one' })).status).toBe(200);
    expect((await call('GET', '/api/executions', gina)).status).toBe(401);
    await signIn('gina', 'another good one');

    expect((await call('DELETE', '/api/users/gina', root)).status).toBe(204);
    expect((await call('DELETE', '/api/users/gina', root)).status).toBe(404);
    expect((await call('PATCH', '/api/users/gina', root, { role: 'viewer' })).status).toBe(404);
  });

  it('refuses bad input with 400 naming the field, a taken name with 409', async () => {
    const badRole = await call('POST', '/api/users', root, { name: 'hal', role: 'boss', password: PASSWORD });
    expect(badRole).toMatchObject({
      status: 400,
      body: { error: { code: 'validation_failed', details: { field: 'role' } } },
    });
    const shortPassword = await call('POST', '/api/users', root, {
      name: 'hal',
      role: 'viewer',
      password: 'short',
    });
    expect(shortPassword.body.error.details).toEqual({ field: 'password' });
    const badName = await call('POST', '/api/users', root, {
      name: ' hal',
      role: 'viewer',
      password: PASSWORD,
    });
    expect(badName.body.error.details).toEqual({ field: 'name' });
    expect((await call('PATCH', '/api/users/root', root, {})).status).toBe(400);
    expect((await call('PATCH', '/api/users/root', root, { disabled: 'yes' })).status).toBe(400);
    expect(
      (await call('POST', '/api/users', root, { name: 'root', role: 'viewer', password: PASSWORD })).status,
    ).toBe(409);
  });

  it('keeps the last enabled admin: no demotion, disabling or removal (409); with a second admin, yes', async () => {
    for (const change of [{ role: 'viewer' }, { disabled: true }]) {
      const refused = await call('PATCH', '/api/users/root', root, change);
      expect(refused.status).toBe(409);
      expect(refused.body.error.message).toContain('last admin');
    }
    expect((await call('DELETE', '/api/users/root', root)).status).toBe(409);
    expect((await call('GET', '/api/users', root)).body.users).toContainEqual(
      expect.objectContaining({ name: 'root', role: 'admin', disabled: false }),
    );
    await call('POST', '/api/users', root, { name: 'ivy', role: 'admin', password: PASSWORD });
    // A disabled admin does not count.
    await call('PATCH', '/api/users/ivy', root, { disabled: true });
    expect((await call('PATCH', '/api/users/root', root, { role: 'viewer' })).status).toBe(409);
    await call('PATCH', '/api/users/ivy', root, { disabled: false });
    expect((await call('PATCH', '/api/users/ivy', root, { role: 'operator' })).status).toBe(200);
  });

  it('an operator gets 403 on every users route', async () => {
    await server.stepflow.app.users.add({ name: 'jo', role: 'operator', password: PASSWORD });
    const jo = await signIn('jo');
    expect((await call('GET', '/api/users', jo)).status).toBe(403);
    expect(
      (await call('POST', '/api/users', jo, { name: 'x', role: 'admin', password: PASSWORD })).status,
    ).toBe(403);
    expect((await call('PATCH', '/api/users/jo', jo, { role: 'admin' })).status).toBe(403);
    expect((await call('DELETE', '/api/users/root', jo)).status).toBe(403);
  });
});
