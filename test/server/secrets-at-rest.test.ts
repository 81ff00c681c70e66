import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ExecutionBody, ExecutionDetailBody } from '../../src/protocol/api-schemas.js';
import type { JobBody } from '../../src/protocol/job-schemas.js';
import { openSecret } from '../../src/secrets/secret-box.js';
import { encodeSecretKey, generateSecretKey, parseSecretKey } from '../../src/secrets/secret-key.js';
import { listeningUrl, runCli, SERVER_ENV, startCli, type CliResult } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { call, waitForStatus, type ApiResponse } from './execution-api-client.js';
import { LiveTestClient } from './live-test-kit.js';

const tempDir = useTempDirs();

// Each reaches the script a different way; none may be found in clear anywhere the server keeps.
const DECLARED = 'sv-Declared-7f3KqzR2'; // a job's secretEnv DB_PASSWORD
const BY_NAME = 'sv-ByName-9hT4wmX8'; // a job's env DEPLOY_TOKEN: secret by its name
const HOOK_KEY = 'sv-HookKey-2bN6pcL1'; // a job's webhook secret (an HMAC key: must stay reversible)
const AD_HOC = 'sv-AdHoc-5jV8rdS3'; // an ad-hoc run's secretEnv API_KEY
const SECRETS = [DECLARED, BY_NAME, HOOK_KEY, AD_HOC];
const sha = (text: string) => createHash('sha256').update(text).digest('hex');

/** Prints the values (the log masks them) and their hash (which shows the script got the right ones). */
const SCRIPT = String.raw`
import hashlib, os, time
time.sleep(0.5)  # time for the WebSocket client to subscribe
values = [os.environ.get(n, "") for n in ("DB_PASSWORD", "DEPLOY_TOKEN", "API_KEY")]
print("values=" + ",".join(values), flush=True)
print("hash=" + hashlib.sha256("|".join(values).encode()).hexdigest(), flush=True)
`;

function expectAbsent(where: string, bytes: Buffer | string): void {
  const buffer = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
  for (const secret of SECRETS) expect(buffer.includes(secret), `${where} holds ${secret}`).toBe(false);
}

/** Every file of the store: the database, its WAL and shared memory (whichever exist now). */
function storeFiles(dataDir: string): string[] {
  return fs.readdirSync(dataDir).filter((name) => /\.(db|sqlite)(-wal|-shm)?$/.test(name));
}

interface Server {
  url: string;
  stop(): Promise<CliResult>;
}

const running = new Set<Server>();
afterAll(async () => {
  await Promise.all([...running].map((s) => s.stop()));
});

async function startServer(dataDir: string, env: Record<string, string> = {}): Promise<Server> {
  const { child, result } = startCli(['server', '--port', '0'], {
    dataDir,
    env: { ...SERVER_ENV, STEPFLOW_LOG_LEVEL: 'info', ...env },
  });
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

async function runJob(url: string, jobId: string): Promise<ExecutionDetailBody> {
  const started = await call<ExecutionBody>(url, 'POST', `/api/jobs/${jobId}/run`);
  expect(started.status).toBe(201);
  return waitForStatus(url, started.body.id, undefined, 30_000);
}

describe('secrets at rest (SQLite, the built server)', () => {
  // Three server starts, a CLI rotation and two refused starts: a generous timeout for a loaded machine.
  it('the secret values appear nowhere in the database files, the API, the WebSocket or the server log; rotate-key re-seals them', async () => {
    const dataDir = tempDir();
    const server = await startServer(dataDir);
    const responses: ApiResponse[] = [];
    const api = async <T>(method: string, url: string, body?: unknown): Promise<ApiResponse<T>> => {
      const response = await call<T>(server.url, method, url, body);
      responses.push(response);
      return response;
    };

    const created = await api<JobBody>('POST', '/api/jobs', {
      name: 'deploy',
      argv: ['python3', '-c', SCRIPT],
      secretEnv: { DB_PASSWORD: DECLARED },
      env: { DEPLOY_TOKEN: BY_NAME, REGION: 'eu-west' },
      triggers: [],
      webhooks: [{ url: 'http://127.0.0.1:9/hook', events: ['failure'], secret: HOOK_KEY }],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      envNames: ['DEPLOY_TOKEN', 'REGION'],
      secretEnvNames: ['DB_PASSWORD'],
    });
    const jobId = created.body.id;

    const client = await LiveTestClient.connect(server.url.replace('http', 'ws') + '/ws');
    const fired = await api<ExecutionBody>('POST', `/api/jobs/${jobId}/run`);
    await client.subscribe(`execution:${fired.body.id}`, 0);
    const jobRun = await waitForStatus(server.url, fired.body.id, undefined, 30_000);
    await client.finished(jobRun.id);
    client.close();

    const adHoc = await api<ExecutionBody>('POST', '/api/executions', {
      argv: ['python3', '-c', SCRIPT],
      secretEnv: { API_KEY: AD_HOC },
    });
    await waitForStatus(server.url, adHoc.body.id, undefined, 30_000);
    // A re-run starts from the stored spec: the value must come back out of it.
    const rerun = await api<ExecutionBody>('POST', `/api/executions/${adHoc.body.id}/rerun`, {});
    await waitForStatus(server.url, rerun.body.id, undefined, 30_000);

    for (const id of [jobRun.id, adHoc.body.id, rerun.body.id]) {
      await api('GET', `/api/executions/${id}`);
      await api('GET', `/api/executions/${id}/logs?limit=1000`);
      await api('GET', `/api/executions/${id}/logs?format=text`);
    }
    await api('GET', `/api/jobs/${jobId}`);
    await api('GET', '/api/jobs');
    await api('GET', '/api/executions');
    await api('GET', `/api/jobs/${jobId}/history`);

    const jobLog = await call<string>(server.url, 'GET', `/api/executions/${jobRun.id}/logs?format=text`);
    expect(jobLog.body).toContain('values=***,***,');
    expect(jobLog.body).toContain(`hash=${sha([DECLARED, BY_NAME, ''].join('|'))}`);
    const rerunLog = await call<string>(
      server.url,
      'GET',
      `/api/executions/${rerun.body.id}/logs?format=text`,
    );
    expect(rerunLog.body).toContain(`hash=${sha(['', '', AD_HOC].join('|'))}`);

    for (const response of responses) expectAbsent(`a response (${response.status})`, response.text);
    expectAbsent('the WebSocket frames', JSON.stringify(client.messages));
    expect(client.messages.some((m) => m.type === 'lines')).toBe(true);
    // While it runs (the WAL holds the latest commits) and after it stopped.
    const whileRunning = storeFiles(dataDir);
    expect(whileRunning.some((name) => name.endsWith('-wal'))).toBe(true);
    for (const name of whileRunning) expectAbsent(name, fs.readFileSync(path.join(dataDir, name)));
    const stopped = await server.stop();
    expect(stopped.code).toBe(0);
    expectAbsent('the server stdout', stopped.stdout);
    expectAbsent('the server stderr', stopped.stderr);
    for (const name of storeFiles(dataDir)) expectAbsent(name, fs.readFileSync(path.join(dataDir, name)));

    // The key file: created on first start, readable by its owner only.
    const keyFile = path.join(dataDir, 'secret.key');
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    const oldKey = parseSecretKey(fs.readFileSync(keyFile, 'utf8'), 'key file');
    const sealedBefore = sealedValues(dataDir);
    expect(sealedBefore.length).toBeGreaterThanOrEqual(4);
    expect(sealedBefore.every((v) => v.includes(`:${oldKey.id}:`))).toBe(true);

    const rotated = await runCli(['secrets', 'rotate-key'], { dataDir });
    expect(rotated.stderr).toBe('');
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toMatch(/re-sealed 1 job definitions and \d+ run specs: key \w+ → \w+/);
    const newKey = parseSecretKey(fs.readFileSync(keyFile, 'utf8'), 'key file');
    expect(newKey.id).not.toBe(oldKey.id);
    const status = await runCli(['secrets', 'status', '--json'], { dataDir });
    expect(JSON.parse(status.stdout)).toMatchObject({ keyId: newKey.id, storedKeyId: newKey.id });

    // The old key opens nothing any more; every value names the new one.
    const sealedAfter = sealedValues(dataDir);
    // A value copied from the job into its run's spec was one ciphertext; each is sealed anew.
    expect(sealedAfter.length).toBeGreaterThanOrEqual(sealedBefore.length);
    for (const value of sealedAfter) {
      expect(value).toContain(`:${newKey.id}:`);
      expect(() => openSecret([oldKey], value, 'any')).toThrow(/sealed under key/);
    }

    // The job still runs with the right values under the new key.
    const again = await startServer(dataDir);
    const after = await runJob(again.url, jobId);
    const afterLog = await call<string>(again.url, 'GET', `/api/executions/${after.id}/logs?format=text`);
    expect(afterLog.body).toContain(`hash=${sha([DECLARED, BY_NAME, ''].join('|'))}`);
    await again.stop();

    // A key that is not the one they were sealed with: a clear start-up error, not a stack.
    const wrong = await runCli(['server', '--port', '0'], {
      dataDir,
      env: { ...SERVER_ENV, STEPFLOW_SECRET_KEY: encodeSecretKey(generateSecretKey()).trim() },
    });
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(
      new RegExp(
        `secret_key: the secret key from STEPFLOW_SECRET_KEY \\(key id \\w+\\) is not the key the stored secrets were sealed with \\(key id ${newKey.id}\\)`,
      ),
    );
    expect(wrong.stderr).not.toMatch(/\n\s+at /);
    const malformed = await runCli(['server', '--port', '0'], {
      dataDir,
      env: { ...SERVER_ENV, STEPFLOW_SECRET_KEY: 'too-short' },
    });
    expect(malformed.code).not.toBe(0);
    expect(malformed.stderr).toMatch(/secret_key: STEPFLOW_SECRET_KEY must be 32 bytes/);
    expect(malformed.stderr).not.toMatch(/\n\s+at /);
  }, 180_000);
});

/** Every sealed value in the database file (read after a clean stop: the WAL is checkpointed). */
function sealedValues(dataDir: string): string[] {
  const text = storeFiles(dataDir)
    .map((name) => fs.readFileSync(path.join(dataDir, name)).toString('latin1'))
    .join('\n');
  return [...new Set(text.match(/sfsec:1:[\w-]+:[\w-]+:[\w-]+/g) ?? [])];
}
