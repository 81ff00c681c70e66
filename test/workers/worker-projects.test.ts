import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { makeZip } from '../helpers/archives.js';
import { runCli, startCli, waitForOutput } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { useTestServers, type TestServer } from '../helpers/test-server.js';
import { call, waitFor } from '../server/execution-api-client.js';
import type { ExecutionDetailBody } from '../../src/protocol/api-schemas.js';

/**
 * Runs in a project on a worker (docs/WORKSPACE.md, scaled mode): the worker fetches the version
 * the run names (by id and number) once, keeps it, and runs in a copy of its own; an edit makes a
 * new version, which the next run fetches; a version it cannot take fails the run with the reason.
 */
const tempDir = useTempDirs();
const startServer = useTestServers();
const ADMIN = { authorization: 'Bearer admin-key' };
const WORKER = { authorization: 'Bearer worker-token' };
const workers: ChildProcess[] = [];
afterEach(() => {
  for (const worker of workers.splice(0)) worker.kill('SIGKILL');
});

async function startWorker(
  server: TestServer,
  name: string,
  options: { labels?: string; env?: Record<string, string> } = {},
): Promise<{ dataDir: string; child: ChildProcess }> {
  const dataDir = tempDir();
  const { child } = startCli(
    [
      'worker',
      '--server',
      server.url,
      '--name',
      name,
      ...(options.labels ? ['--labels', options.labels] : []),
    ],
    {
      dataDir,
      env: { STEPFLOW_SPOOL_DIR: tempDir(), STEPFLOW_WORKER_TOKEN: 'worker-token', ...options.env },
    },
  );
  workers.push(child);
  await waitForOutput(child, (stdout) => stdout.includes('claiming runs'), 20_000);
  return { dataDir, child };
}

async function upload(
  server: TestServer,
  name: string,
  files: { name: string; content: string; mode?: number }[],
) {
  const created = await call(server.url, 'POST', '/api/projects', { name }, ADMIN);
  expect(created.status, created.text).toBe(201);
  const response = await fetch(`${server.url}/api/projects/${name}/versions`, {
    method: 'POST',
    headers: { ...ADMIN, 'content-type': 'application/zip' },
    body: await makeZip(files),
  });
  expect(response.status, await response.clone().text()).toBe(201);
  const project = await call<{ id: string; currentVersion: number }>(
    server.url,
    'GET',
    `/api/projects/${name}`,
    undefined,
    ADMIN,
  );
  return project.body;
}

async function runToEnd(
  server: TestServer,
  body: Record<string, unknown>,
): Promise<{ run: ExecutionDetailBody; log: string }> {
  const created = await call<{ id: string }>(server.url, 'POST', '/api/executions', body, ADMIN);
  expect(created.status, created.text).toBe(201);
  return ended(server, created.body.id);
}

async function ended(server: TestServer, id: string): Promise<{ run: ExecutionDetailBody; log: string }> {
  const read = async () =>
    (await call<ExecutionDetailBody>(server.url, 'GET', `/api/executions/${id}`, undefined, ADMIN)).body;
  const run = await waitFor(
    async () => {
      const now = await read();
      return ['succeeded', 'failed', 'lost', 'cancelled'].includes(now.status) ? now : undefined;
    },
    `${id} to end`,
    60_000,
  );
  const log = (
    await call<{ lines: { text: string }[] }>(
      server.url,
      'GET',
      `/api/executions/${id}/logs?limit=1000`,
      undefined,
      ADMIN,
    )
  ).body.lines
    .map((line) => line.text)
    .join('\n');
  return { run, log };
}

const SCRIPT = {
  name: 'sub/hello.sh',
  content: '#!/bin/sh\necho "hello from $(pwd)"\ncat ../data.txt\n',
  mode: 0o100755,
};

it('a server that runs nothing itself sends a run in a project to a worker, which fetches the version once and the next one after an edit', async () => {
  const server = await startServer({
    config: { runsLocally: false },
    env: { STEPFLOW_API_KEY: 'admin-key', STEPFLOW_WORKER_TOKEN: 'worker-token' },
  });
  const project = await upload(server, 'site', [SCRIPT, { name: 'data.txt', content: 'data of v2\n' }]);
  // It keeps one version: the run after an edit fetches the new one and drops the old.
  const worker = await startWorker(server, 'w-proj', {
    env: { STEPFLOW_WORKER_PROJECT_CACHE_VERSIONS: '1' },
  });
  const cache = path.join(worker.dataDir, 'worker-projects');

  const first = await runToEnd(server, { project: 'site', cwd: 'sub', command: './hello.sh' });
  expect(first.run.status, first.log).toBe('succeeded');
  expect(first.run.worker?.name).toBe('w-proj');
  expect(first.run.project).toEqual({ name: 'site', version: 2 });
  expect(first.run.command).toBe('./hello.sh');
  expect(first.log).toContain('data of v2');
  // Its cwd was a copy of its own under the worker's data dir, removed once it ended.
  expect(first.log).toMatch(new RegExp(`hello from ${cache}/\\.runs/[0-9a-f-]+/sub`));
  await waitFor(async () => fs.readdirSync(path.join(cache, '.runs')).length === 0, 'the copy to go');
  expect(fs.readFileSync(path.join(cache, project.id, '2', 'data.txt'), 'utf8')).toBe('data of v2\n');
  // The same version again: taken from the cache (a new download would be a new folder).
  const cached = fs.statSync(path.join(cache, project.id, '2')).ino;
  const again = await runToEnd(server, { project: 'site', cwd: 'sub', command: './hello.sh' });
  expect(again.log).toContain('data of v2');
  expect(fs.statSync(path.join(cache, project.id, '2')).ino).toBe(cached);

  // An edit is a new version: the next run fetches it.
  const etag = (
    await fetch(`${server.url}/api/projects/site/file?path=data.txt`, { headers: ADMIN })
  ).headers.get('etag')!;
  const edited = await fetch(`${server.url}/api/projects/site/file?path=data.txt`, {
    method: 'PUT',
    headers: { ...ADMIN, 'if-match': etag, 'content-type': 'application/octet-stream' },
    body: 'edited in v3\n',
  });
  expect(edited.status).toBe(200);
  const second = await runToEnd(server, {
    project: 'site',
    command: 'cat data.txt; ls sub; echo "written beside v3" > out.txt; echo ARTIFACT:out.txt',
  });
  expect(second.run.status, second.log).toBe('succeeded');
  expect(second.run.project).toEqual({ name: 'site', version: 3 });
  expect(second.log).toContain('edited in v3');
  expect(second.log).toContain('hello.sh');
  expect(fs.readFileSync(path.join(cache, project.id, '3', 'data.txt'), 'utf8')).toBe('edited in v3\n');
  expect(fs.existsSync(path.join(cache, project.id, '2'))).toBe(false);
  // What it wrote in its copy reached the server as an artifact (the copy went, the version is unchanged).
  const stored = await waitFor(async () => {
    const detail = (
      await call<ExecutionDetailBody>(server.url, 'GET', `/api/executions/${second.run.id}`, undefined, ADMIN)
    ).body;
    return detail.artifacts.find((artifact) => artifact.path === 'out.txt' && artifact.status === 'stored');
  }, 'the artifact to be stored');
  const artifact = await fetch(`${server.url}/api/executions/${second.run.id}/artifacts/${stored.id}`, {
    headers: ADMIN,
  });
  expect(await artifact.text()).toBe('written beside v3\n');
  expect(fs.existsSync(path.join(cache, project.id, '3', 'out.txt'))).toBe(false);

  // A cwd that is not a folder of the version is refused at once, not after a worker fetched it.
  const missing = await call<{ error: { message: string } }>(
    server.url,
    'POST',
    '/api/executions',
    { project: 'site', cwd: 'nope', command: 'true' },
    ADMIN,
  );
  expect(missing.status).toBe(400);
  expect(missing.body.error.message).toContain('"nope" is not a folder of project site');

  // The worker token fetches a version's archive by id, and nothing else of projects.
  const archive = await fetch(`${server.url}/api/projects/${project.id}/versions/3/archive`, {
    headers: WORKER,
  });
  expect(archive.status).toBe(200);
  expect(archive.headers.get('content-type')).toBe('application/zip');
  expect((await archive.arrayBuffer()).byteLength).toBeGreaterThan(100);
  for (const url of [
    '/api/projects',
    '/api/projects/site',
    '/api/projects/site/tree',
    '/api/projects/site/archive',
  ])
    expect((await fetch(`${server.url}${url}`, { headers: WORKER })).status, url).toBe(401);
  const upload403 = await fetch(`${server.url}/api/projects/site/versions`, {
    method: 'POST',
    headers: { ...WORKER, 'content-type': 'application/zip' },
    body: await makeZip([{ name: 'x', content: 'x' }]),
  });
  expect(upload403.status).toBe(401);
  expect((await fetch(`${server.url}/api/projects/${project.id}/versions/3/archive`)).status).toBe(401);
  expect(
    (await fetch(`${server.url}/api/projects/${project.id}/versions/99/archive`, { headers: WORKER })).status,
  ).toBe(404);
}, 120_000);

it('a job in a project fires onto the worker (runsOn), and a version the worker refuses fails the run saying why', async () => {
  const server = await startServer({
    env: { STEPFLOW_API_KEY: 'admin-key', STEPFLOW_WORKER_TOKEN: 'worker-token' },
  });
  await upload(server, 'tools', [
    { name: 'a.txt', content: 'job sees a\n' },
    { name: 'b.txt', content: 'b\n' },
  ]);
  const worker = await startWorker(server, 'w-gpu', { labels: 'gpu' });

  const job = await call<{ id: string }>(
    server.url,
    'POST',
    '/api/jobs',
    { name: 'on-worker', project: 'tools', runsOn: ['gpu'], command: 'cat a.txt', triggers: [] },
    ADMIN,
  );
  expect(job.status, job.text).toBe(201);
  const fired = await call<{ id: string }>(
    server.url,
    'POST',
    `/api/jobs/${job.body.id}/run`,
    undefined,
    ADMIN,
  );
  expect(fired.status, fired.text).toBe(201);
  const done = await ended(server, fired.body.id);
  expect(done.run.status, done.log).toBe('succeeded');
  expect(done.run.worker?.name).toBe('w-gpu');
  expect(done.run.project).toEqual({ name: 'tools', version: 2 });
  expect(done.log).toContain('job sees a');
  // Nothing was copied on the server's side for it.
  expect(
    fs
      .readdirSync(path.join(server.dataDir, 'projects'))
      .flatMap((id) =>
        fs.existsSync(path.join(server.dataDir, 'projects', id, 'runs'))
          ? fs.readdirSync(path.join(server.dataDir, 'projects', id, 'runs'))
          : [],
      ),
  ).toEqual([]);

  // From a terminal: the log printed here, the exit code the script's.
  const cli = await runCli(
    ['run', '--server', server.url, '--project', 'tools', '--runs-on', 'gpu', '--', 'cat b.txt; exit 3'],
    { dataDir: tempDir(), env: { STEPFLOW_TOKEN: 'admin-key' } },
  );
  expect(cli.stdout, cli.stderr).toContain('b\n');
  expect(cli.code, cli.stderr).toBe(3);
  worker.child.kill('SIGKILL');

  // A worker whose limits refuse the archive (at most 1 entry): the same checks as an upload.
  const strict = await startWorker(server, 'w-strict', {
    labels: 'strict',
    env: { STEPFLOW_PROJECT_MAX_ENTRIES: '1' },
  });
  const refused = await runToEnd(server, { project: 'tools', runsOn: ['strict'], command: 'cat a.txt' });
  expect(refused.run.status, refused.log).toBe('failed');
  expect(refused.run.worker?.name).toBe('w-strict');
  expect(refused.run.command).toBe('cat a.txt');
  expect(refused.run.error).toMatch(
    /^project tools version 2: could not fetch it from http:\/\/127\.0\.0\.1:\d+: .*refused \(entries\)/,
  );
  expect(
    fs.readdirSync(path.join(strict.dataDir, 'worker-projects')).filter((name) => !name.startsWith('.')),
  ).toEqual([]);
}, 120_000);
