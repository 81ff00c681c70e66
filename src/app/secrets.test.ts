import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_RETRY, type JobDefinition } from '../core/jobs/job.js';
import { DEFAULT_SECRET_ENV_PATTERNS } from '../core/markers/secret-env.js';
import { encodeSecretKey, generateSecretKey, parseSecretKey } from '../secrets/secret-key.js';
import { createSecretKeeper, SECRET_KEY_FILE } from '../secrets/secret-keeper.js';
import { openSqliteStores, type SqliteStores } from '../store/sqlite/open-sqlite-stores.js';
import { createSecrets } from './secrets.js';

// The application's part of secrets at rest on a real SQLite file: what an earlier version left
// in clear text, and a rotation that stopped half way. The server-level test is
// test/server/secrets-at-rest.test.ts.

const dirs: string[] = [];
const open: SqliteStores[] = [];
afterEach(async () => {
  for (const stores of open.splice(0)) await stores.store.close();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

const PASSWORD = 'clear-Pw-4kQz81';
const TOKEN = 'clear-Tok-7mRx22';
const HOOK = 'clear-Hook-9sLw05';

async function openDataDir(dataDir: string) {
  const stores = await openSqliteStores({ dataDir });
  open.push(stores);
  const keeper = createSecretKeeper({
    keyFile: path.join(dataDir, SECRET_KEY_FILE),
    secretEnvPatterns: DEFAULT_SECRET_ENV_PATTERNS,
  });
  return { stores, keeper, secrets: createSecrets({ keeper, documents: stores.secrets }) };
}

const databaseBytes = (dataDir: string): Buffer =>
  Buffer.concat(
    fs
      .readdirSync(dataDir)
      .filter((name) => name.startsWith('stepflow.db'))
      .map((name) => fs.readFileSync(path.join(dataDir, name))),
  );

const job: JobDefinition = {
  name: 'deploy',
  command: './deploy.sh',
  argv: null,
  cwd: '/srv',
  env: { MODE: 'full', DEPLOY_TOKEN: TOKEN },
  secretEnv: { DB_PASSWORD: PASSWORD },
  tags: {},
  timeoutSeconds: null,
  enabled: true,
  triggers: [],
  retry: DEFAULT_RETRY,
  overlap: 'skip',
  maxConcurrentRuns: null,
  missedFire: 'skip',
  lateAfterSeconds: null,
  lateByP95: false,
  webhooks: [
    { url: 'http://127.0.0.1:9/', events: ['failure'], secret: HOOK, maxAttempts: 1, backoffSeconds: 1 },
  ],
  runsOn: [],
  retryOnLost: false,
};

describe('secrets at rest in the application', () => {
  it('seals the clear text an earlier version stored on the first start, once, and the runs still get it', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stepflow-secrets-'));
    dirs.push(dataDir);
    const { stores, keeper, secrets } = await openDataDir(dataDir);
    // As an earlier version wrote them: straight to the store, in clear text.
    const saved = await stores.jobs.createJob(job);
    const run = await stores.store.createExecution({
      spec: {
        command: './deploy.sh',
        cwd: '/srv',
        env: { DEPLOY_TOKEN: TOKEN },
        secretEnv: { DB_PASSWORD: PASSWORD },
      },
      status: 'queued',
      owner: null,
      runsOn: [],
    });

    expect(await secrets.prepare()).toEqual({ sealed: { jobs: 1, runs: 1, settings: 0 } });
    const bytes = databaseBytes(dataDir);
    for (const value of [PASSWORD, TOKEN, HOOK]) expect(bytes.includes(value), value).toBe(false);
    // Idempotent: the key id recorded, the next start reads nothing.
    expect(await secrets.prepare()).toEqual({ sealed: { jobs: 0, runs: 0, settings: 0 } });
    expect(await secrets.status()).toMatchObject({ sealed: { jobs: 1, runs: 1 } });

    const spec = keeper.open((await stores.store.getRunSpec(run.id))!);
    expect(spec).toMatchObject({ env: { DEPLOY_TOKEN: TOKEN }, secretEnv: { DB_PASSWORD: PASSWORD } });
    const stored = (await stores.jobs.getJob(saved.id))!;
    expect(stored.env.MODE).toBe('full');
    expect(keeper.openWebhookSecret(stored.webhooks[0]!.secret!)).toBe(HOOK);
  });

  it('finishes a rotation that committed but did not rename its key file, at the next start', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stepflow-secrets-'));
    dirs.push(dataDir);
    const first = await openDataDir(dataDir);
    const saved = await first.stores.jobs.createJob(job);
    await first.secrets.prepare();
    const oldKey = first.keeper.current();
    const next = generateSecretKey();
    // What rotateKey does, stopped before the rename.
    first.keeper.stage(next);
    const { sealSecret, openSecret } = await import('../secrets/secret-box.js');
    await first.stores.secrets.rewrite(next.id, (json) =>
      JSON.stringify(
        first.keeper.map(JSON.parse(json) as JobDefinition, (value, context) =>
          sealSecret(next, openSecret([oldKey], value, context), context),
        ),
      ),
    );
    await first.stores.store.close();
    open.length = 0;

    const second = await openDataDir(dataDir);
    await second.secrets.prepare();
    const keyFile = path.join(dataDir, SECRET_KEY_FILE);
    expect(parseSecretKey(fs.readFileSync(keyFile, 'utf8'), 'key file').id).toBe(next.id);
    expect(fs.existsSync(`${keyFile}.next`)).toBe(false);
    const stored = (await second.stores.jobs.getJob(saved.id))!;
    expect(second.keeper.openWebhookSecret(stored.webhooks[0]!.secret!)).toBe(HOOK);
    expect(encodeSecretKey(next)).toBe(fs.readFileSync(keyFile, 'utf8'));
  });
});
