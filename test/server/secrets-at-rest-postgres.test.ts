import { createHash } from 'node:crypto';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { databaseConfig, forServer, loadConfig } from '../../src/config.js';
import type { ExecutionBody } from '../../src/protocol/api-schemas.js';
import type { JobBody } from '../../src/protocol/job-schemas.js';
import { openSecret } from '../../src/secrets/secret-box.js';
import { generateSecretKey } from '../../src/secrets/secret-key.js';
import { createStepflow } from '../../src/stepflow.js';
import { usePostgres } from '../helpers/postgres.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { useTestServers } from '../helpers/test-server.js';
import { call, waitForStatus, type ApiResponse } from './execution-api-client.js';

const postgres = usePostgres();
const startServer = useTestServers();
const tempDir = useTempDirs();

const DECLARED = 'pg-Declared-3wQe71'; // a job's secretEnv DB_PASSWORD
const BY_NAME = 'pg-ByName-8rTy42'; // a job's env DEPLOY_TOKEN
const HOOK_KEY = 'pg-HookKey-6uIo93'; // a job's webhook secret
const SECRETS = [DECLARED, BY_NAME, HOOK_KEY];
const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const SCRIPT = 'printf %s "$DB_PASSWORD|$DEPLOY_TOKEN" | sha256sum';

/** Every row of every table of the database, as text. */
async function everyRow(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const tables = await client.query<{ name: string }>(
      "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'",
    );
    const out: string[] = [];
    for (const { name } of tables.rows) {
      const rows = await client.query<{ row: string }>(`SELECT t::text AS row FROM "${name}" t`);
      out.push(...rows.rows.map((r) => `${name}: ${r.row}`));
    }
    return out.join('\n');
  } finally {
    await client.end();
  }
}

describe('secrets at rest on PostgreSQL', () => {
  it('keeps no secret value in any row or API response; rotation re-seals them; without STEPFLOW_SECRET_KEY the start refuses', async () => {
    const url = await postgres().createDatabase();
    const oldKey = generateSecretKey();
    const server = await startServer({ config: { database: databaseConfig(url, {}), secretKey: oldKey } });
    const responses: ApiResponse[] = [];
    const api = async <T>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>> => {
      const response = await call<T>(server.url, method, path, body);
      responses.push(response);
      return response;
    };
    const created = await api<JobBody>('POST', '/api/jobs', {
      name: 'deploy',
      command: SCRIPT,
      secretEnv: { DB_PASSWORD: DECLARED },
      env: { DEPLOY_TOKEN: BY_NAME },
      triggers: [],
      webhooks: [{ url: 'http://127.0.0.1:9/hook', events: ['failure'], secret: HOOK_KEY }],
    });
    expect(created.status).toBe(201);
    const runJob = async (): Promise<string> => {
      const started = await api<ExecutionBody>('POST', `/api/jobs/${created.body.id}/run`);
      await waitForStatus(server.url, started.body.id, undefined, 30_000);
      return (await api<string>('GET', `/api/executions/${started.body.id}/logs?format=text`)).body;
    };
    expect(await runJob()).toContain(sha(`${DECLARED}|${BY_NAME}`));
    await api('GET', `/api/jobs/${created.body.id}`);
    await api('GET', '/api/jobs');
    await api('GET', '/api/executions');
    for (const response of responses) {
      for (const secret of SECRETS) expect(response.text.includes(secret), `API: ${secret}`).toBe(false);
    }
    const before = await everyRow(url);
    for (const secret of SECRETS) expect(before.includes(secret), `rows: ${secret}`).toBe(false);
    expect(before).toContain(`sfsec:1:${oldKey.id}:`);

    // Rotation through the application, as `stepflow secrets rotate-key` does.
    const newKey = generateSecretKey();
    const report = await server.stepflow.app.secrets.rotateKey(newKey);
    expect(report).toMatchObject({
      oldKeyId: oldKey.id,
      newKeyId: newKey.id,
      rewritten: { jobs: 1, runs: 1, settings: 0 },
    });
    const after = await everyRow(url);
    const sealed = after.match(/sfsec:1:[\w-]+:[\w-]+:[\w-]+/g) ?? [];
    expect(sealed.length).toBeGreaterThanOrEqual(5);
    for (const value of sealed) {
      expect(value).toContain(`:${newKey.id}:`);
      expect(() => openSecret([oldKey], value, 'any')).toThrow(/sealed under key/);
    }
    expect(await runJob()).toContain(sha(`${DECLARED}|${BY_NAME}`));
    // That run's spec came from the job as the scheduler held it: stored under the new key too.
    const later = (await everyRow(url)).match(/sfsec:1:[\w-]+:[\w-]+:[\w-]+/g) ?? [];
    expect(later.length).toBe(sealed.length + 2);
    expect(later.every((value) => value.includes(`:${newKey.id}:`))).toBe(true);

    // Another replica without the key: a clear refusal naming the variable, before it serves.
    const keyless = await createStepflow({
      ...forServer(loadConfig({}, tempDir())),
      dataDir: tempDir(),
      database: databaseConfig(url, {}),
    });
    try {
      await expect(keyless.app.secrets.prepare()).rejects.toThrow(
        /storing or running a secret needs STEPFLOW_SECRET_KEY .*on PostgreSQL StepFlow creates no key file/,
      );
    } finally {
      await keyless.close();
    }
  }, 120_000);
});
