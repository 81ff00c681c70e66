import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPythonIndex, type PythonIndex } from '../helpers/python-index.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { LiveTestClient } from './live-test-kit.js';

/**
 * Settings and Python environments over HTTP (docs/WORKSPACE-ENVIRONMENTS.md), against a package
 * index on loopback set through the settings API: a build is an ordinary run whose log is live, a
 * run in the environment imports the package, a requirement the index lacks fails the build with
 * pip's error in its log, reset. One server, one index and one built environment for the file.
 */
const PASSWORD = 'correct horse battery';
let server: TestServer;
let index: PythonIndex;
let dir: string;
let admin: Record<string, string>;
let viewer: Record<string, string>;

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

/** Waits for the run to end; returns it and its log as text. */
async function ended(id: string): Promise<{ execution: Json; log: string }> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const { body } = await call('GET', `/api/executions/${id}`, admin);
    if (body.endedAt !== null) {
      const response = await fetch(`${server.url}/api/executions/${id}/logs?format=text`, { headers: admin });
      return { execution: body, log: await response.text() };
    }
    if (Date.now() > deadline) throw new Error(`run ${id} still ${body.status}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function run(body: Record<string, unknown>): Promise<{ execution: Json; log: string }> {
  const submitted = await call('POST', '/api/executions', admin, { cwd: dir, ...body });
  expect(submitted.status, JSON.stringify(submitted.body)).toBe(201);
  return ended(submitted.body.id);
}

/** A run in `demo`, re-run once `demo` is gone. */
let runInDemo: string;
let demoBuild: Promise<{ build: Json; liveLines: string[]; final: Json; concurrentRun: Json }>;
let brokenBuild: Promise<{ execution: Json; log: string; state: string }>;

/** The environment once its build's end is recorded (just after the run's). */
async function settled(name: string): Promise<Json> {
  for (let i = 0; ; i++) {
    const environment = (await call('GET', `/api/environments/${name}`, viewer)).body;
    if (environment.state !== 'building' || i === 100) return environment;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stepflow-envs-test-'));
  index = await startPythonIndex(dir, { sfdemo: '1.2.3' });
  server = await startTestServer();
  await server.stepflow.app.users.add({ name: 'root', role: 'admin', password: PASSWORD });
  await server.stepflow.app.users.add({ name: 'vera', role: 'viewer', password: PASSWORD });
  admin = await signIn('root');
  viewer = await signIn('vera');
  const settings = await call('PUT', '/api/settings', admin, { pythonIndexUrl: index.url });
  expect(settings.status, JSON.stringify(settings.body)).toBe(200);
  // The builds the file shares start at once, side by side: venv + pip take seconds each.
  demoBuild = (async () => {
    const added = await call('POST', '/api/environments', admin, {
      name: 'demo',
      requirements: ['sfdemo==1.2.3'],
    });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    const live = await LiveTestClient.connect(`ws://127.0.0.1:${server.port}/ws`, { headers: admin });
    const build = await call('POST', '/api/environments/demo/build', admin);
    expect(build.status, JSON.stringify(build.body)).toBe(202);
    const id: string = build.body.execution.id;
    await live.subscribe(`execution:${id}`, 0);
    // A run needing it while it builds (the build holds the lock: it is creating the venv) waits.
    await live.find(
      (m) => m.type === 'lines' && m.executionId === id && m.lines.some((l) => l.text.includes('-m venv')),
      60_000,
    );
    const concurrentRun = run({ environment: 'demo', command: 'echo concurrent run' });
    await live.find(
      (m) => m.type === 'execution' && m.execution.id === id && m.execution.endedAt !== null,
      120_000,
    );
    const liveLines = (live.lines.get(id) ?? []).map((line) => line.text);
    live.close();
    return { build: build.body, liveLines, final: await settled('demo'), concurrentRun: await concurrentRun };
  })();
  brokenBuild = (async () => {
    await call('POST', '/api/environments', admin, { name: 'broken', requirements: ['sfmissing==9.9'] });
    const build = await call('POST', '/api/environments/broken/build', admin);
    return { ...(await ended(build.body.execution.id)), state: (await settled('broken')).state };
  })();
  // Unhandled until a test awaits them.
  demoBuild.catch(() => undefined);
  brokenBuild.catch(() => undefined);
}, 60_000);

afterAll(async () => {
  await server?.close();
  await index?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('settings', () => {
  it('everyone signed in reads them; only an admin changes them; unknown keys are 400', async () => {
    // After the builds: they resolve the index settings when they start.
    await Promise.allSettled([demoBuild, brokenBuild]);
    const put = await call('PUT', '/api/settings', admin, {
      env: { SF_REGION: 'eu-west', SF_OWN: 'global' },
    });
    expect(put).toMatchObject({
      status: 200,
      body: { pythonIndexUrl: index.url, env: { SF_REGION: 'eu-west' } },
    });
    expect(await call('GET', '/api/settings', viewer)).toEqual(put);

    const denied = await call('PUT', '/api/settings', viewer, { env: {} });
    expect(denied.status).toBe(403);
    expect((await call('GET', '/api/settings', viewer)).body.env).toEqual({
      SF_REGION: 'eu-west',
      SF_OWN: 'global',
    });

    const unknown = await call('PUT', '/api/settings', admin, { pythonIndex: 'http://x/' });
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(unknown.body)).toContain('pythonIndex');
    const badUrl = await call('PUT', '/api/settings', admin, { pythonIndexUrl: 'ftp://mirror/' });
    expect(badUrl.status).toBe(400);
    expect(badUrl.body.error.message).toContain('pythonIndexUrl');
  }, 150_000);

  it('a global variable reaches every run; the run’s own env wins', async () => {
    await call('PUT', '/api/settings', admin, { env: { SF_REGION: 'eu-west', SF_OWN: 'global' } });
    const { execution, log } = await run({
      command: 'echo "region=$SF_REGION own=$SF_OWN"',
      env: { SF_OWN: 'mine' },
    });
    expect(execution.status).toBe('succeeded');
    expect(log).toContain('region=eu-west own=mine');
  }, 60_000);
});

describe('Python environments', () => {
  it('builds as an ordinary run, its pip log live over the WebSocket, and is then ready', async () => {
    const { build, liveLines, final } = await demoBuild;
    expect(build.environment).toMatchObject({
      name: 'demo',
      state: 'building',
      lastBuildId: build.execution.id,
    });
    expect(liveLines.some((line) => line.includes('Successfully installed sfdemo-1.2.3'))).toBe(true);
    const { execution } = await ended(build.execution.id);
    expect(execution).toMatchObject({ status: 'succeeded', tags: { environment: 'demo' } });
    expect(final).toMatchObject({ state: 'ready', lastBuildId: build.execution.id });
  }, 150_000);

  it('a run needing it while it builds waits for that build instead of building it too', async () => {
    const { build, concurrentRun } = await demoBuild;
    const buildLog = (await ended(build.execution.id)).log;
    expect(concurrentRun.execution.status, concurrentRun.log).toBe('succeeded');
    expect(concurrentRun.log).toContain('concurrent run');
    const installs = [buildLog, concurrentRun.log].filter((log) => log.includes('Successfully installed'));
    expect(installs).toHaveLength(1);
    expect(`${buildLog}\n${concurrentRun.log}`).toContain(
      'environment demo: waiting for another run building it',
    );
  }, 150_000);

  it('a run naming it imports the package from its copy, without building again', async () => {
    await demoBuild;
    const { execution, log } = await run({
      environment: 'demo',
      argv: [
        'python',
        '-c',
        'import os, sfdemo; print("sfdemo", sfdemo.__version__, os.environ["VIRTUAL_ENV"])',
      ],
    });
    expect(execution.status, log).toBe('succeeded');
    expect(log).toMatch(new RegExp(`sfdemo 1\\.2\\.3 ${server.dataDir}/envs/[0-9a-f]+`));
    expect(log).toContain('environment demo: ready in');
    expect(log).not.toContain('pip install');
    runInDemo = execution.id;
  }, 150_000);

  it('a job naming it runs in it; a job naming no saved environment is refused', async () => {
    await demoBuild;
    const created = await call('POST', '/api/jobs', admin, {
      name: 'in demo',
      triggers: [],
      cwd: dir,
      environment: 'demo',
      argv: ['python', '-c', 'import sfdemo; print("job sees sfdemo", sfdemo.__version__)'],
    });
    expect(created, JSON.stringify(created.body)).toMatchObject({
      status: 201,
      body: { environment: 'demo' },
    });
    const fired = await call('POST', `/api/jobs/${created.body.id}/run`, admin);
    const { execution, log } = await ended(fired.body.id);
    expect(execution.status, log).toBe('succeeded');
    expect(log).toContain('job sees sfdemo 1.2.3');

    const refused = await call('POST', '/api/jobs', admin, {
      name: 'nowhere',
      triggers: [],
      cwd: dir,
      command: 'true',
      environment: 'nope',
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toContain('"nope"');
    const cleared = await call('PATCH', `/api/jobs/${created.body.id}`, admin, { environment: null });
    expect(cleared.body.environment).toBeNull();
  }, 150_000);

  it('an unknown environment is a 400 naming it', async () => {
    const refused = await call('POST', '/api/executions', admin, {
      cwd: dir,
      command: 'true',
      environment: 'nope',
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toContain('"nope"');
  });

  it('a requirement the index lacks fails the build with pip’s error in its log', async () => {
    const { execution, log, state } = await brokenBuild;
    expect(execution.status).toBe('failed');
    expect(log).toContain('No matching distribution found for sfmissing==9.9');
    expect(execution.error).toContain('pip install failed');
    expect(state).toBe('failed');
  }, 150_000);

  it('reset deletes this host’s copy and starts a new generation; viewers cannot', async () => {
    await Promise.allSettled([demoBuild, brokenBuild]);
    const envs = path.join(server.dataDir, 'envs');
    const copies = () => fs.readdirSync(envs).filter((name) => !name.endsWith('.lock'));
    const before = copies();
    expect((await call('POST', '/api/environments/demo/reset', viewer)).status).toBe(403);
    const reset = await call('POST', '/api/environments/demo/reset', admin);
    expect(reset).toMatchObject({ status: 200, body: { state: 'new', generation: 1 } });
    expect(copies().length).toBe(before.length - 1);
    expect((await call('DELETE', '/api/environments/demo', admin)).status).toBe(204);
    const rerun = await call('POST', `/api/executions/${runInDemo}/rerun`, admin);
    expect(rerun.status).toBe(400);
    expect(rerun.body.error.message).toContain('environment "demo": no such environment');
    expect(
      (await call('GET', '/api/environments', viewer)).body.environments.map((e: Json) => e.name),
    ).toEqual(['broken']);
  }, 150_000);
});
