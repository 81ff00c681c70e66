import crypto from 'node:crypto';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { makeZip } from '../helpers/archives.js';
import { useTestServers, type TestServer } from '../helpers/test-server.js';
import { waitFor } from './execution-api-client.js';

/**
 * A project through the API as a user works with it (docs/WORKSPACE.md): upload, tree, edit with
 * an etag (a stale one is a 412 naming the current), a run in the project that sees the edit and
 * names its version, a rollback, the ZIP download; a viewer reads but cannot upload or edit.
 */
const start = useTestServers();
const KEY = `key-${crypto.randomUUID()}`;
const PASSWORD = `pw-${crypto.randomUUID()}`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers of several shapes
type Json = any;

function client(server: TestServer, headers: Record<string, string>) {
  return async (method: string, path: string, body?: unknown, extra: Record<string, string> = {}) => {
    const raw = Buffer.isBuffer(body) || typeof body === 'string';
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        ...headers,
        ...(body === undefined
          ? {}
          : { 'content-type': raw ? 'application/octet-stream' : 'application/json' }),
        ...extra,
      },
      ...(body === undefined ? {} : { body: raw ? (body as Buffer | string) : JSON.stringify(body) }),
    });
    const text = await response.text();
    let json: Json;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, text, json };
  };
}

async function runIn(
  call: ReturnType<typeof client>,
  project: string,
  command: string,
): Promise<{ id: string; log: string; project: unknown; cwd: string }> {
  const created = await call('POST', '/api/executions', { project, command });
  expect(created.status, created.text).toBe(201);
  const done = await waitFor(
    async () => {
      const detail = await call('GET', `/api/executions/${created.json.id}`);
      return ['succeeded', 'failed'].includes(detail.json.status) ? detail.json : undefined;
    },
    'the run to end',
    30_000,
  );
  expect(done.status).toBe('succeeded');
  const log = await call('GET', `/api/executions/${created.json.id}/logs?format=text`);
  return { id: created.json.id as string, log: log.text, project: done.project, cwd: done.cwd };
}

describe('projects API', () => {
  it('upload → tree → edit with etag (412 on a stale one) → run sees the edit and names its version → rollback', async () => {
    const server = await start({ env: { STEPFLOW_API_KEY: KEY } });
    const call = client(server, { authorization: `Bearer ${KEY}` });
    expect((await call('POST', '/api/projects', { name: 'site' })).status).toBe(201);
    const zip = await makeZip([
      { name: 'run.sh', content: 'cat message.txt\necho wrote > out.txt\n', mode: 0o100755 },
      { name: 'message.txt', content: 'hello from v2\n' },
      { name: 'sub/', folder: true },
      { name: 'sub/data.txt', content: 'data' },
    ]);
    const uploaded = await call('POST', '/api/projects/site/versions', zip, {
      'content-type': 'application/zip',
    });
    expect(uploaded.status, uploaded.text).toBe(201);
    expect(uploaded.json).toMatchObject({ version: 2, source: 'upload', files: 3 });

    const tree = await call('GET', '/api/projects/site/tree');
    expect(tree.json.version).toBe(2);
    expect(tree.json.entries.map((e: { path: string; type: string }) => `${e.type} ${e.path}`)).toEqual([
      'file message.txt',
      'file run.sh',
      'directory sub',
      'file sub/data.txt',
    ]);

    const read = await call('GET', '/api/projects/site/file?path=message.txt');
    expect(read.text).toBe('hello from v2\n');
    const etag = read.headers.get('etag')!;
    expect(etag).toMatch(/^"[0-9a-f]{64}"$/);

    const stale = await call('PUT', '/api/projects/site/file?path=message.txt', 'lost edit\n', {
      'if-match': '"0"',
    });
    expect(stale.status).toBe(412);
    expect(stale.json.error).toMatchObject({ code: 'precondition_failed', details: { etag } });
    expect(stale.headers.get('etag')).toBe(etag);
    const blind = await call('PUT', '/api/projects/site/file?path=message.txt', 'lost edit\n');
    expect(blind.status).toBe(412);

    const edited = await call('PUT', '/api/projects/site/file?path=message.txt', 'hello edited\n', {
      'if-match': etag,
    });
    expect(edited.status, edited.text).toBe(200);
    expect(edited.json.version).toMatchObject({ version: 3, source: 'edit', note: 'write message.txt' });
    expect(edited.headers.get('etag')).not.toBe(etag);

    const inV3 = await runIn(call, 'site', 'sh run.sh');
    expect(inV3.log).toContain('hello edited');
    expect(inV3.project).toEqual({ name: 'site', version: 3 });
    // The run wrote in its own copy: the version is unchanged.
    const after = await call('GET', '/api/projects/site/tree');
    expect(after.json.entries.map((e: { path: string }) => e.path)).not.toContain('out.txt');
    // And its copy goes once it has ended.
    await waitFor(async () => !fs.existsSync(inV3.cwd), 'the run copy to be removed');
    // Its copy is gone, so a re-run cannot work where it did: refused, saying how to run it again.
    const rerun = await call('POST', `/api/executions/${inV3.id}/rerun`);
    expect(rerun.status).toBe(409);
    expect(rerun.json.error.message).toBe(
      `execution ${inV3.id} ran in a copy of project site (version 3), removed when it ended; start it again in the project (POST /api/executions with "project", or stepflow run --project site)`,
    );

    expect((await call('POST', '/api/projects/site/rollback', { version: 2 })).json.currentVersion).toBe(2);
    expect((await call('GET', '/api/projects/site/file?path=message.txt')).text).toBe('hello from v2\n');
    const inV2 = await runIn(call, 'site', 'sh run.sh');
    expect(inV2.log).toContain('hello from v2');
    expect(inV2.project).toEqual({ name: 'site', version: 2 });
    const versions = await call('GET', '/api/projects/site/versions');
    expect(versions.json.versions.map((v: { version: number }) => v.version)).toEqual([3, 2, 1]);

    const download = await call('GET', '/api/projects/site/archive?version=3');
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('application/zip');

    // A cwd outside the project, or an unknown project: 400 and 404, nothing started.
    expect(
      (await call('POST', '/api/executions', { project: 'site', command: 'true', cwd: '../..' })).status,
    ).toBe(400);
    expect((await call('POST', '/api/executions', { project: 'nope', command: 'true' })).status).toBe(404);
  }, 90_000);

  it('on a server that runs nothing itself (--no-runner) a run in a project waits for a worker: no copy here, the version named by id', async () => {
    const server = await start({ env: { STEPFLOW_API_KEY: KEY }, config: { runsLocally: false } });
    const call = client(server, { authorization: `Bearer ${KEY}` });
    const created = await call('POST', '/api/projects', { name: 'far' });
    expect(created.status).toBe(201);
    const queued = await call('POST', '/api/executions', { project: 'far', command: 'true' });
    expect(queued.status, queued.text).toBe(201);
    expect(queued.json).toMatchObject({ status: 'queued', project: { name: 'far', version: 1 }, cwd: '.' });
    expect(queued.json.waitingFor).toBe('no live worker');
    // What the worker gets with its claim: the project's id, to fetch that version by.
    expect((await server.stepflow.store.getRunSpec(queued.json.id))?.project).toEqual({
      id: created.json.id,
      name: 'far',
      version: 1,
    });
    expect(fs.existsSync(`${server.dataDir}/projects/${created.json.id}/runs`)).toBe(false);
    const outside = await call('POST', '/api/executions', { project: 'far', cwd: 'sub', command: 'true' });
    expect(outside.status).toBe(400);
    expect(outside.json.error.message).toBe('body.cwd "sub" is not a folder of project far (version 1)');
  });

  it('a viewer reads the files but cannot upload, edit or roll back (403); an operator can', async () => {
    const server = await start({ env: { STEPFLOW_API_KEY: KEY } });
    const admin = client(server, { authorization: `Bearer ${KEY}` });
    await admin('POST', '/api/projects', { name: 'site' });
    const zip = await makeZip([{ name: 'a.txt', content: 'a' }]);
    await admin('POST', '/api/projects/site/versions', zip, { 'content-type': 'application/zip' });
    const as = async (role: 'viewer' | 'operator') => {
      await server.stepflow.app.users.add({ name: `${role}-user`, role, password: PASSWORD });
      const login = await fetch(`${server.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: `${role}-user`, password: PASSWORD }),
      });
      const { csrfToken } = (await login.json()) as { csrfToken: string };
      const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
      return client(server, { cookie, 'x-stepflow-csrf': csrfToken });
    };
    const viewer = await as('viewer');
    expect((await viewer('GET', '/api/projects/site/tree')).status).toBe(200);
    expect((await viewer('GET', '/api/projects/site/file?path=a.txt')).text).toBe('a');
    const refused = [
      await viewer('POST', '/api/projects/site/versions', zip, { 'content-type': 'application/zip' }),
      await viewer('PUT', '/api/projects/site/file?path=b.txt', 'b'),
      await viewer('POST', '/api/projects/site/rollback', { version: 1 }),
      await viewer('POST', '/api/projects', { name: 'other' }),
    ];
    expect(refused.map((r) => r.status)).toEqual([403, 403, 403, 403]);
    expect(refused[0]!.json.error.code).toBe('forbidden');
    expect((await admin('GET', '/api/projects/site/versions')).json.versions).toHaveLength(2);
    const operator = await as('operator');
    expect((await operator('PUT', '/api/projects/site/file?path=b.txt', 'b')).status).toBe(200);
  }, 60_000);

  it('a job in a project: each run works in a copy of the current version (cwd inside it); with runsOn, a folder inside it too', async () => {
    const server = await start({ env: { STEPFLOW_API_KEY: KEY } });
    const call = client(server, { authorization: `Bearer ${KEY}` });
    await call('POST', '/api/projects', { name: 'tools' });
    const zip = await makeZip([{ name: 'sub/what.txt', content: 'job sees v2\n' }]);
    await call('POST', '/api/projects/tools/versions', zip, { 'content-type': 'application/zip' });
    const job = await call('POST', '/api/jobs', {
      name: 'in-project',
      project: 'tools',
      cwd: 'sub',
      command: 'cat what.txt',
      triggers: [],
    });
    expect(job.status, job.text).toBe(201);
    expect(job.json).toMatchObject({ project: 'tools', cwd: 'sub' });
    const started = await call('POST', `/api/jobs/${job.json.id}/run`);
    expect(started.status, started.text).toBe(201);
    const done = await waitFor(
      async () => {
        const detail = await call('GET', `/api/executions/${started.json.id}`);
        return ['succeeded', 'failed'].includes(detail.json.status) ? detail.json : undefined;
      },
      'the job run to end',
      30_000,
    );
    expect(done).toMatchObject({ status: 'succeeded', project: { name: 'tools', version: 2 } });
    expect((await call('GET', `/api/executions/${started.json.id}/logs?format=text`)).text).toContain(
      'job sees v2',
    );

    const onWorker = await call('POST', '/api/jobs', {
      name: 'on-worker',
      project: 'tools',
      runsOn: ['gpu'],
      cwd: 'sub',
      command: 'true',
      triggers: [],
    });
    expect(onWorker.status, onWorker.text).toBe(201);
    const absolute = await call('POST', '/api/jobs', {
      name: 'nope',
      project: 'tools',
      runsOn: ['gpu'],
      cwd: '/abs',
      command: 'true',
      triggers: [],
    });
    expect(absolute.status).toBe(400);
    expect(absolute.json.error.message).toContain('cwd');
    const outside = await call('POST', '/api/jobs', {
      name: 'out',
      project: 'tools',
      cwd: '../x',
      command: 'true',
      triggers: [],
    });
    expect(outside.status).toBe(400);
    expect(outside.json.error.message).toContain('cwd');
  }, 60_000);
});
