import path from 'node:path';
import Database from 'better-sqlite3';
import { expect, it } from 'vitest';
import type { ErrorBodyJson, ExecutionPageBody } from '../../src/protocol/api-schemas.js';
import type { JobBody, JobListBody } from '../../src/protocol/job-schemas.js';
import { DATABASE_FILE } from '../../src/store/sqlite/open-database.js';
import { listeningUrl, runCli, SERVER_ENV, startCli } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { startTestServer } from '../helpers/test-server.js';
import { call, startExecution, waitForStatus } from './execution-api-client.js';

const tempDir = useTempDirs();

const HUGE_JOB = '01hugeintervaljob000000001';
const DAMAGED_JOB = '01damagedjsonjob0000000001';

/**
 * Rows as an older version (or a damaged file) leaves them, written straight into the database:
 * a job with an interval of 8e12 s (what `POST /api/jobs` used to store before answering 500), a
 * job whose definition is cut off, an execution whose tags are cut off.
 */
function writeBadRows(dataDir: string, goodJobId: string, goodExecutionId: string): string {
  const db = new Database(path.join(dataDir, DATABASE_FILE));
  try {
    const { definition } = db.prepare('SELECT definition FROM jobs WHERE id = ?').get(goodJobId) as {
      definition: string;
    };
    const insertJob = db.prepare(
      `INSERT INTO jobs (id, name, enabled, definition, created_at, updated_at) VALUES (?, ?, 1, ?, ?, ?)`,
    );
    const now = new Date().toISOString();
    insertJob.run(HUGE_JOB, 'huge-interval', definition, now, now);
    db.prepare(
      'INSERT INTO job_triggers (id, job_id, position, spec, anchor_ms, next_fire_ms) VALUES (?, ?, 0, ?, ?, NULL)',
    ).run(
      '01hugeintervaltrigger00001',
      HUGE_JOB,
      '{"kind":"interval","intervalSeconds":8000000000000}',
      Date.now(),
    );
    insertJob.run(DAMAGED_JOB, 'damaged-json', '{"command":"true","cwd":', now, now);

    const damagedExecution = `${goodExecutionId.slice(0, -1)}${goodExecutionId.endsWith('z') ? 'y' : 'z'}`;
    db.prepare(
      `INSERT INTO executions (id, name, command, argv, cwd, tags, status, exit_code, signal, error,
         created_at, created_ms, started_at, ended_at, duration_ms, timeout_seconds, meta, owner_host,
         owner_pid, owner_start_time, line_count, resources, run_spec)
       SELECT ?, 'damaged run', command, argv, cwd, '{"team":', status, exit_code, signal, error,
         created_at, created_ms, started_at, ended_at, duration_ms, timeout_seconds, meta, owner_host,
         owner_pid, owner_start_time, line_count, resources, run_spec
       FROM executions WHERE id = ?`,
    ).run(damagedExecution, goodExecutionId);
    return damagedExecution;
  } finally {
    db.close();
  }
}

it('serves the readable jobs and executions around bad stored rows, names the bad ones, and deletes them', async () => {
  const dataDir = tempDir();
  const before = await startTestServer({ dataDir });
  let goodJob: JobBody;
  let goodExecution: string;
  try {
    goodJob = (
      await call<JobBody>(before.url, 'POST', '/api/jobs', {
        name: 'nightly',
        command: 'true',
        triggers: [{ intervalSeconds: 86_400 }],
      })
    ).body;
    goodExecution = (await startExecution(before.url, { command: 'true', name: 'good run' })).id;
    await waitForStatus(before.url, goodExecution);
  } finally {
    await before.close();
  }
  const damagedExecution = writeBadRows(dataDir, goodJob.id, goodExecution);

  // The real server, started on that file.
  const server = startCli(['server', '--port', '0'], { dataDir, env: SERVER_ENV });
  try {
    const url = await listeningUrl(server.child, 20_000);

    for (let i = 0; i < 2; i++) {
      const list = await call<JobListBody>(url, 'GET', '/api/jobs?recentRuns=3');
      expect(list.status).toBe(200);
      expect(list.body.items.map((job) => job.id)).toEqual([goodJob.id]);
      expect(list.body.problems).toEqual([
        {
          id: DAMAGED_JOB,
          name: 'damaged-json',
          error: expect.stringMatching(/definition is not valid JSON/),
        },
        { id: HUGE_JOB, name: 'huge-interval', error: expect.stringMatching(/triggers\.0\.intervalSeconds/) },
      ]);
    }
    const one = await call<ErrorBodyJson>(url, 'GET', `/api/jobs/${HUGE_JOB}`);
    expect(one.status).toBe(409);
    expect(one.body.error.code).toBe('unreadable');

    const cli = { dataDir, env: { STEPFLOW_SERVER: url } };
    const ls = await runCli(['jobs', 'ls'], cli);
    expect(ls.code).toBe(0);
    expect(ls.stdout).toContain('nightly');
    expect(ls.stderr).toMatch(new RegExp(`warning: job ${HUGE_JOB} .*cannot be read`));
    expect(ls.stderr).toMatch(new RegExp(`warning: job ${DAMAGED_JOB} .*cannot be read`));

    // Removable by id and by name.
    expect((await runCli(['jobs', 'rm', HUGE_JOB], cli)).code).toBe(0);
    expect((await runCli(['jobs', 'rm', 'damaged-json'], cli)).code).toBe(0);
    const after = await call<JobListBody>(url, 'GET', '/api/jobs');
    expect(after.body).toEqual({ items: [expect.objectContaining({ id: goodJob.id })] });

    const executions = await call<ExecutionPageBody>(url, 'GET', '/api/executions');
    expect(executions.status).toBe(200);
    expect(executions.body.items.map((e) => e.id)).toEqual([goodExecution]);
    expect(executions.body.problems).toEqual([
      {
        id: damagedExecution,
        name: 'damaged run',
        error: expect.stringMatching(/tags column is not valid JSON/),
      },
    ]);
    expect((await call(url, 'GET', `/api/executions/${damagedExecution}`)).status).toBe(409);
    expect((await call(url, 'DELETE', `/api/executions/${damagedExecution}`)).status).toBe(204);
    expect((await call<ExecutionPageBody>(url, 'GET', '/api/executions')).body).not.toHaveProperty(
      'problems',
    );
  } finally {
    server.child.kill('SIGTERM');
  }
  const { stdout } = await server.result;
  // Each bad job is logged once, however often it is listed.
  for (const id of [HUGE_JOB, DAMAGED_JOB]) {
    const warnings = stdout
      .split('\n')
      .filter((line) => line.includes(id) && line.includes('cannot be read'));
    expect(warnings, stdout).toHaveLength(1);
  }
});
