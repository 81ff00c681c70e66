import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ExecutionBody, ExecutionDetailBody } from '../../src/protocol/api-schemas.js';
import { startPythonIndex } from '../helpers/python-index.js';
import { listeningUrl, ROOT, runCli, SERVER_ENV, startCli, type CliResult } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { useTestServers } from '../helpers/test-server.js';
import { call, waitForStatus } from './execution-api-client.js';

/**
 * The settings the issue added to the first ones (docs/WORKSPACE-ENVIRONMENTS.md): secret global
 * variables (sealed at rest, names only in the API, masked in every run's log, rotated with the
 * key), the default timeout, and index URL credentials kept out of what readers see.
 */
const tempDir = useTempDirs();
const startTestServer = useTestServers();

const FROM_CLI = 'gs-FromCli-4kQ9xw2Z'; // set with `stepflow settings set-secret` (stdin)
const FROM_API = 'gs-FromApi-8mR3vb7N'; // set with PUT /api/settings
const sha = (text: string) => createHash('sha256').update(text).digest('hex');
/** Prints both values (the log masks them) and their hash (which shows the run got the right ones). */
const PRINT = 'echo "values=$DEPLOY_KEY,$API_PASS"; printf %s "$DEPLOY_KEY|$API_PASS" | sha256sum';

interface Server {
  url: string;
  stop(): Promise<CliResult>;
}
const running = new Set<Server>();
afterAll(async () => {
  await Promise.all([...running].map((server) => server.stop()));
});

async function startServer(dataDir: string): Promise<Server> {
  const { child, result } = startCli(['server', '--port', '0'], { dataDir, env: SERVER_ENV });
  const url = await Promise.race([
    listeningUrl(child, 20_000),
    result.then((r) => Promise.reject(new Error(`server exited ${r.code}: ${r.stderr}`))),
  ]);
  const server: Server = {
    url,
    stop: async () => {
      running.delete(server);
      child.kill('SIGTERM');
      return result;
    },
  };
  running.add(server);
  return server;
}

/** `stepflow settings set-secret NAME` with `value` written to its stdin. */
function setSecret(dataDir: string, name: string, value: string): Promise<CliResult> {
  const child = spawn(
    process.execPath,
    [path.join(ROOT, 'bin/stepflow.js'), 'settings', 'set-secret', name],
    {
      env: { ...process.env, NO_COLOR: '1', STEPFLOW_SERVER: '', STEPFLOW_STORAGE_PATH: dataDir },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin.end(`${value}\n`);
  return new Promise((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
}

async function runAndLog(
  url: string,
  body: Record<string, unknown>,
): Promise<{ run: ExecutionDetailBody; log: string }> {
  const started = await call<ExecutionBody>(url, 'POST', '/api/executions', { cwd: '/', ...body });
  expect(started.status, started.text).toBe(201);
  const run = await waitForStatus(url, started.body.id, undefined, 30_000);
  const log = await call<string>(url, 'GET', `/api/executions/${run.id}/logs?format=text`);
  return { run, log: log.text };
}

function storeBytes(dataDir: string): Buffer {
  return Buffer.concat(
    fs
      .readdirSync(dataDir)
      .filter((name) => /\.(db|sqlite)(-wal|-shm)?$/.test(name))
      .map((name) => fs.readFileSync(path.join(dataDir, name))),
  );
}

describe('secret global variables (the built CLI and server)', () => {
  it('every run gets them masked; the API, the CLI, the audit log and the database show no value; rotate-key re-seals them', async () => {
    const dataDir = tempDir();
    const set = await setSecret(dataDir, 'DEPLOY_KEY', FROM_CLI);
    expect(set).toMatchObject({ code: 0, stdout: 'set secretEnv.DEPLOY_KEY\n' });
    const refused = await setSecret(dataDir, 'bad-name', 'x');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('secretEnv.bad-name');
    const shown = await runCli(['settings', 'show', '--json'], { dataDir });
    expect(JSON.parse(shown.stdout)).toMatchObject({ secretEnvNames: ['DEPLOY_KEY'] });
    expect((await runCli(['settings', 'show'], { dataDir })).stdout).toContain('secretEnv.DEPLOY_KEY=***');

    const server = await startServer(dataDir);
    const texts: string[] = [];
    const api = async (method: string, url: string, body?: unknown) => {
      const response = await call<Record<string, unknown>>(server.url, method, url, body);
      texts.push(response.text);
      return response;
    };
    const put = await api('PUT', '/api/settings', {
      env: { REGION: 'eu' },
      secretEnv: { API_PASS: FROM_API },
    });
    expect(put.status, put.text).toBe(200);
    expect(put.body).toMatchObject({ env: { REGION: 'eu' }, secretEnvNames: ['API_PASS', 'DEPLOY_KEY'] });
    // Bad names, and a name that is both a plain and a secret variable: 400s naming them.
    const badName = await api('PUT', '/api/settings', { secretEnv: { 'NOT-A-NAME': 'x' } });
    expect(badName.status).toBe(400);
    expect(badName.text).toContain('secretEnv.NOT-A-NAME');
    const twice = await api('PUT', '/api/settings', { secretEnv: { REGION: 'x' } });
    expect(twice.status).toBe(400);
    expect(twice.text).toContain('REGION is also a global variable');

    const { run, log } = await runAndLog(server.url, { command: PRINT });
    expect(run.status).toBe('succeeded');
    expect(log).toContain('values=***,***');
    expect(log).toContain(sha(`${FROM_CLI}|${FROM_API}`));
    // A run's own env wins over a global secret of that name (masked all the same: *_KEY is a
    // secret name by STEPFLOW_SECRET_ENV_PATTERNS' defaults).
    const own = await runAndLog(server.url, { command: PRINT, env: { DEPLOY_KEY: 'mine' } });
    expect(own.log).toContain(sha(`mine|${FROM_API}`));
    await api('GET', `/api/executions/${run.id}`);
    await api('GET', '/api/settings');
    const audit = await api('GET', '/api/audit?action=settings.');
    // The CLI's changes too, naming the variable, never its value; the refused one as failed.
    expect((audit.body as { entries: unknown[] }).entries).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ via: 'cli', objectId: 'secretEnv.DEPLOY_KEY', outcome: 'ok' }),
        expect.objectContaining({ via: 'cli', objectId: 'secretEnv.bad-name', outcome: 'failed' }),
        expect.objectContaining({ action: 'settings.update', actorKind: 'local', via: 'api', outcome: 'ok' }),
      ]),
    );
    for (const text of texts) {
      expect(text).not.toContain(FROM_CLI);
      expect(text).not.toContain(FROM_API);
    }
    // Removing one by name keeps the other.
    const removed = await api('PUT', '/api/settings', { secretEnv: { API_PASS: null } });
    expect(removed.body).toMatchObject({ secretEnvNames: ['DEPLOY_KEY'] });
    expect((await server.stop()).code).toBe(0);
    const bytes = storeBytes(dataDir);
    expect(bytes.includes(FROM_CLI)).toBe(false);
    expect(bytes.includes(FROM_API)).toBe(false);

    const rotated = await runCli(['secrets', 'rotate-key'], { dataDir });
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(rotated.stdout).toContain('(and the settings)');
    const again = await startServer(dataDir);
    const after = await runAndLog(again.url, { command: PRINT });
    expect(after.log).toContain(sha(`${FROM_CLI}|`));
    await again.stop();
  }, 120_000);
});

describe('the default timeout', () => {
  it('a run or a job run without a timeout of its own gets it when submitted; its own wins; it must be a whole number of seconds', async () => {
    const server = await startTestServer();
    for (const bad of [0, -5, 1.5, 'soon']) {
      const refused = await call(server.url, 'PUT', '/api/settings', { defaultTimeoutSeconds: bad });
      expect(refused.status, `${bad}`).toBe(400);
      expect(refused.text).toContain('defaultTimeoutSeconds');
    }
    const put = await call(server.url, 'PUT', '/api/settings', { defaultTimeoutSeconds: 1 });
    expect(put.body).toMatchObject({ defaultTimeoutSeconds: 1 });

    const slow = await runAndLog(server.url, { command: 'sleep 30' });
    expect(slow.run).toMatchObject({ status: 'timed_out', timeoutSeconds: 1 });
    const own = await runAndLog(server.url, { command: 'sleep 2; echo finished', timeout: 20 });
    expect(own.run).toMatchObject({ status: 'succeeded', timeoutSeconds: 20 });

    const job = await call<{ id: string }>(server.url, 'POST', '/api/jobs', {
      name: 'slow-job',
      command: 'sleep 30',
      cwd: '/',
      triggers: [],
    });
    expect(job.status, job.text).toBe(201);
    const fired = await call<ExecutionBody>(server.url, 'POST', `/api/jobs/${job.body.id}/run`);
    expect(fired.status, fired.text).toBe(201);
    expect(await waitForStatus(server.url, fired.body.id, undefined, 20_000)).toMatchObject({
      status: 'timed_out',
      timeoutSeconds: 1,
    });

    // null: none again.
    await call(server.url, 'PUT', '/api/settings', { defaultTimeoutSeconds: null });
    const free = await runAndLog(server.url, { command: 'sleep 1.5; echo finished' });
    expect(free.run).toMatchObject({ status: 'succeeded', timeoutSeconds: null });
  }, 60_000);
});

describe('index URL credentials', () => {
  it('are masked in what the API returns and in the run specs; a build still gets them, and a masked URL sent back keeps them', async () => {
    const dir = tempDir();
    const index = await startPythonIndex(dir, { sfauthdemo: '0.3.0' });
    // The index behind basic auth: only the clear credentials get the package.
    const expected = `Basic ${Buffer.from('builder:pw-Idx-6tY2').toString('base64')}`;
    const guard = http.createServer((request, response) => {
      if (request.headers.authorization !== expected) {
        response.writeHead(401, { 'www-authenticate': 'Basic realm="index"' }).end();
        return;
      }
      const upstream = http.request(new URL(request.url ?? '/', index.url), (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      });
      upstream.end();
    });
    await new Promise<void>((resolve) => guard.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = guard.address() as AddressInfo;
      const server = await startTestServer();
      const clear = `http://builder:pw-Idx-6tY2@127.0.0.1:${port}/simple/`;
      const masked = `http://builder:***@127.0.0.1:${port}/simple/`;
      const put = await call<Record<string, unknown>>(server.url, 'PUT', '/api/settings', {
        pythonIndexUrl: clear,
        pythonExtraIndexUrls: [`https://token-Xtra-3pL@extra.invalid/simple/`],
      });
      expect(put.body).toMatchObject({
        pythonIndexUrl: masked,
        pythonExtraIndexUrls: ['https://***@extra.invalid/simple/'],
      });
      // The form sends every field back as shown: the stored credentials stay.
      const again = await call(server.url, 'PUT', '/api/settings', {
        pythonIndexUrl: masked,
        pythonExtraIndexUrls: [],
        env: { REGION: 'eu' },
      });
      expect(again.status).toBe(200);
      const get = await call(server.url, 'GET', '/api/settings');
      expect(get.text).not.toContain('pw-Idx-6tY2');
      expect(get.body).toMatchObject({ pythonIndexUrl: masked, pythonExtraIndexUrls: [] });

      const added = await call(server.url, 'POST', '/api/environments', {
        name: 'authdemo',
        requirements: ['sfauthdemo==0.3.0'],
      });
      expect(added.status, added.text).toBe(201);
      const { run, log } = await runAndLog(server.url, {
        environment: 'authdemo',
        command:
          'python -c "import sfauthdemo; print(\'got\', sfauthdemo.__version__)"; echo "idx=${STEPFLOW_PIP_INDEX_URL:-unset}"',
      });
      expect(run.status, log).toBe('succeeded');
      expect(log).toContain('got 0.3.0');
      // The run's own command does not get them; the log never shows the password.
      expect(log).toContain('idx=unset');
      expect(log).not.toContain('pw-Idx-6tY2');
      const spec = await server.stepflow.store.getRunSpec(run.id);
      expect(spec?.pythonEnvironment?.indexUrl).toBe(masked);
      expect(JSON.stringify(spec)).not.toContain('pw-Idx-6tY2');
    } finally {
      await new Promise((resolve) => guard.close(resolve));
      await index.close();
    }
  }, 120_000);
});
