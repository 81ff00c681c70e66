import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useTestServers, type TestServer } from '../helpers/test-server.js';

/**
 * The audit log through real HTTP (docs/AUDIT.md): a scripted sequence of actions by several
 * users, then exactly those entries, with the right actors, addresses and outcomes, and none of
 * the secrets that went over the wire. One server for the whole file.
 */
const start = useTestServers();
const PASSWORD = `pw-${crypto.randomUUID()}`;
const KEY = `key-${crypto.randomUUID()}`;
const SECRET = `secret-${crypto.randomUUID()}`;

interface Session {
  headers: Record<string, string>;
  ip: string;
}

async function login(server: TestServer, name: string, ip: string, password = PASSWORD): Promise<Session> {
  const response = await fetch(`${server.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
    body: JSON.stringify({ name, password }),
  });
  const body = (await response.json()) as { csrfToken?: string };
  const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  return {
    ip,
    headers: { cookie, 'x-stepflow-csrf': body.csrfToken ?? '', 'x-forwarded-for': ip },
  };
}

const post = (server: TestServer, path: string, headers: Record<string, string>, body?: unknown) =>
  fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

const get = (server: TestServer, path: string, headers: Record<string, string>) =>
  fetch(`${server.url}${path}`, { headers });

describe('the audit log', () => {
  it('records a scripted sequence by several users exactly, with actors, addresses and outcomes, and no secrets', async () => {
    const server = await start({ env: { STEPFLOW_TRUST_PROXY: 'true', STEPFLOW_API_KEY: KEY } });
    const { users } = server.stepflow.app;
    await users.add({ name: 'alice', role: 'operator', password: PASSWORD });
    await users.add({ name: 'bob', role: 'viewer', password: PASSWORD });
    await users.add({ name: 'carol', role: 'admin', password: PASSWORD });

    // A failed sign-in from one address, then an operator and a viewer sign in from theirs.
    const wrong = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '192.0.2.66' },
      body: JSON.stringify({ name: 'bob', password: `not-${PASSWORD}` }),
    });
    expect(wrong.status).toBe(401);
    const alice = await login(server, 'alice', '203.0.113.7');
    const bob = await login(server, 'bob', '198.51.100.4');

    // The operator starts a run (with a secret in its environment); the viewer may not cancel it,
    // nor may a caller without credentials; the operator cancels it.
    const started = await post(server, '/api/executions', alice.headers, {
      command: 'sleep 30',
      env: { PLAIN: 'x' },
      secretEnv: { TOKEN: SECRET },
    });
    expect(started.status).toBe(201);
    const run = ((await started.json()) as { id: string }).id;
    expect((await post(server, `/api/executions/${run}/cancel`, bob.headers)).status).toBe(403);
    expect(
      (await post(server, `/api/executions/${run}/cancel`, { 'x-forwarded-for': '192.0.2.99' })).status,
    ).toBe(401);
    expect((await post(server, `/api/executions/${run}/cancel`, alice.headers)).status).toBeLessThan(300);

    // An admin signs in and pins the run; the API key asks to cancel a run that does not exist.
    const carol = await login(server, 'carol', '203.0.113.50');
    expect((await post(server, `/api/executions/${run}/pin`, carol.headers)).status).toBe(200);
    const bearer = { authorization: `Bearer ${KEY}`, 'x-forwarded-for': '10.1.2.3' };
    expect((await post(server, '/api/executions/no-such-run/cancel', bearer)).status).toBe(404);
    // The API key creates a job and runs it: the run is the job's.
    const job = (await (
      await post(server, '/api/jobs', bearer, { name: 'nightly', command: 'true', triggers: [] })
    ).json()) as { id: string };
    const jobRun = await post(server, `/api/jobs/${job.id}/run`, bearer);
    expect(jobRun.status).toBe(201);
    expect(((await jobRun.json()) as { createdBy?: string }).createdBy).toBe('job:nightly');
    // The operator signs out.
    expect((await post(server, '/api/auth/logout', alice.headers)).status).toBe(204);

    // Reads change nothing: none of these is recorded. The run says who started it.
    const shown = await get(server, `/api/executions/${run}`, bob.headers);
    expect(((await shown.json()) as { createdBy?: string }).createdBy).toBe('alice');

    const response = await get(server, '/api/audit', carol.headers);
    expect(response.status).toBe(200);
    const text = await response.text();
    const { entries, nextCursor } = JSON.parse(text) as {
      entries: Record<string, unknown>[];
      nextCursor: string | null;
    };
    expect(nextCursor).toBeNull();
    const summary = entries.map((e) => [e.action, e.actor, e.ip, e.objectId, e.outcome, e.errorCode]);
    expect(summary.reverse()).toEqual([
      ['auth.login_failed', 'anonymous', '192.0.2.66', 'bob', 'denied', 'unauthorized'],
      ['auth.login', 'alice', '203.0.113.7', 'alice', 'ok', null],
      ['auth.login', 'bob', '198.51.100.4', 'bob', 'ok', null],
      ['run.start', 'alice', '203.0.113.7', run, 'ok', null],
      ['run.cancel', 'bob', '198.51.100.4', run, 'denied', 'forbidden'],
      ['run.cancel', 'anonymous', '192.0.2.99', run, 'denied', 'unauthorized'],
      ['run.cancel', 'alice', '203.0.113.7', run, 'ok', null],
      ['auth.login', 'carol', '203.0.113.50', 'carol', 'ok', null],
      ['run.pin', 'carol', '203.0.113.50', run, 'ok', null],
      ['run.cancel', 'api-key', '10.1.2.3', 'no-such-run', 'failed', 'not_found'],
      ['job.create', 'api-key', '10.1.2.3', job.id, 'ok', null],
      ['job.run', 'api-key', '10.1.2.3', job.id, 'ok', null],
      ['auth.logout', 'alice', '203.0.113.7', 'alice', 'ok', null],
    ]);
    expect(entries.every((e) => e.via === 'api' && e.token === null)).toBe(true);
    expect(entries.find((e) => e.actor === 'bob' && e.action === 'run.cancel')).toMatchObject({
      actorKind: 'user',
      objectKind: 'run',
    });
    // Nothing secret: passwords, the key, session cookies, CSRF tokens, env values.
    for (const secret of [
      PASSWORD,
      KEY,
      SECRET,
      alice.headers.cookie!.split('=')[1]!,
      bob.headers['x-stepflow-csrf']!,
    ]) {
      expect(text).not.toContain(secret);
    }

    // Admins only; filters, pages and the JSON-lines export.
    expect((await get(server, '/api/audit', bob.headers)).status).toBe(403);
    const actions = async (query: string) =>
      (
        (await (await get(server, `/api/audit?${query}`, carol.headers)).json()) as {
          entries: { action: string }[];
        }
      ).entries.map((e) => e.action);
    expect(await actions('actor=bob')).toEqual(['run.cancel', 'auth.login']);
    expect(await actions('action=auth.login')).toEqual(['auth.login', 'auth.login', 'auth.login']);
    expect(await actions(`object=run:${run}&outcome=denied`)).toEqual(['run.cancel', 'run.cancel']);
    const first = (await (await get(server, '/api/audit?limit=4', carol.headers)).json()) as {
      entries: unknown[];
      nextCursor: string;
    };
    expect(first.entries).toHaveLength(4);
    const second = (await (
      await get(server, `/api/audit?limit=4&cursor=${first.nextCursor}`, carol.headers)
    ).json()) as { entries: unknown[] };
    expect([...first.entries, ...second.entries]).toEqual(entries.slice(0, 8));
    const exported = await get(server, '/api/audit?format=jsonl&action=run.', carol.headers);
    expect(exported.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const lines = (await exported.text())
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { action: string });
    expect(lines.map((l) => l.action)).toEqual([
      'run.cancel',
      'run.pin',
      'run.cancel',
      'run.cancel',
      'run.cancel',
      'run.start',
    ]);
    for (const bad of ['cursor=abc', 'object=planet:x', 'action=RUN', 'since=yesterday', 'outcome=maybe']) {
      const refused = await get(server, `/api/audit?${bad}`, carol.headers);
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('validation_failed');
    }
  });
});
