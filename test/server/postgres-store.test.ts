import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { ExecutionPageBody } from '../../src/protocol/api-schemas.js';
import { usePostgres } from '../helpers/postgres.js';
import { runCli, SERVER_ENV } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { useTestServers } from '../helpers/test-server.js';
import { call, startExecution, waitForStatus } from './execution-api-client.js';

const postgres = usePostgres();
const tempDir = useTempDirs();
const startServer = useTestServers();

/** A URL of the test cluster with a password in it: the server trusts any, nothing may print it. */
const withPassword = (url: string): string => url.replace('postgres@', 'postgres:sup3r-s3cret@');

describe('the server on PostgreSQL (STEPFLOW_DATABASE_URL)', () => {
  it('runs a submitted command whose steps and log come back over the API, and another process lists it with --database-url', async () => {
    const url = withPassword(await postgres().createDatabase());
    // Through the environment's parsing, as `stepflow server` reads it.
    const { database } = loadConfig({ STEPFLOW_DATABASE_URL: url });
    expect(database?.url).toBe(url);
    const server = await startServer({ config: { database } });

    const started = await startExecution(server.url, {
      command: "echo '::group::build'; printf 'nul\\0byte\\n'; echo compiled; echo '::endgroup::'; echo done",
    });
    const done = await waitForStatus(server.url, started.id);
    expect(done).toMatchObject({ status: 'succeeded', exitCode: 0 });
    expect(done.steps.map((s) => [s.name, s.status])).toContainEqual(['build', 'succeeded']);
    const log = await call<string>(server.url, 'GET', `/api/executions/${started.id}/logs?format=text`);
    expect(log.body).toContain('nul\0byte\ncompiled\n');
    expect(log.body).toContain('done\n');
    // The health check reads through the store; no SQLite maintenance routes on PostgreSQL.
    expect((await call(server.url, 'GET', '/api/health')).body).toMatchObject({ status: 'ok' });
    expect((await call(server.url, 'GET', '/api/health/database')).status).toBe(404);
    const metrics = await call<Record<string, unknown>>(server.url, 'GET', '/api/health/metrics');
    expect(metrics.body).not.toHaveProperty('database');
    // A backup job backs up the SQLite data dir: refused here, pointing to pg_dump.
    const backupJob = await call<{ error: { code: string; message: string } }>(
      server.url,
      'POST',
      '/api/jobs',
      {
        name: 'nightly-backup',
        triggers: [],
        backup: { dir: tempDir(), keep: 3 },
      },
    );
    expect(backupJob.status).toBe(400);
    expect(backupJob.body.error.code).toBe('unsupported');
    expect(backupJob.body.error.message).toContain('pg_dump');

    // Another process, another data dir: the same database.
    const ls = await runCli(['ls', '--json', '--database-url', url], { dataDir: tempDir() });
    expect(ls.stderr).toBe('');
    expect(ls.code).toBe(0);
    const page = JSON.parse(ls.stdout) as ExecutionPageBody;
    expect(page.items.map((e) => [e.id, e.status])).toEqual([[started.id, 'succeeded']]);
    const logs = await runCli(['logs', started.id], {
      dataDir: tempDir(),
      env: { STEPFLOW_DATABASE_URL: url },
    });
    expect(logs.stdout).toContain('compiled\n');
  });

  it('says which host and port it cannot reach, without the password, and exits non-zero', async () => {
    const url = 'postgres://stepflow:sup3r-s3cret@127.0.0.1:1/stepflow';
    for (const args of [
      ['ls', '--database-url', url],
      ['show', 'x'],
      ['server', '--port', '0'],
    ]) {
      const result = await runCli(args, {
        dataDir: tempDir(),
        env: { ...SERVER_ENV, STEPFLOW_DATABASE_URL: url },
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        /^stepflow: store_unavailable: cannot reach PostgreSQL at 127\.0\.0\.1:1/,
      );
      expect(result.stderr).not.toContain('sup3r-s3cret');
      expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
    }
    const bad = await runCli(['ls', '--database-url', 'mysql://root:sup3r-s3cret@db/x'], {
      dataDir: tempDir(),
    });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('validation_failed');
    expect(bad.stderr).not.toContain('sup3r-s3cret');
  });
});
