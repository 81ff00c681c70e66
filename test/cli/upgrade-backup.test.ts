import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { SERVER_ENV, listeningUrl, runCli, startCli } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs();

/**
 * A data dir as the version before the last schema change left it: every migration but the last,
 * and one finished run, written with the first migration's columns (later ones only add columns
 * with defaults, or tables).
 */
function olderDataDir(): string {
  const dataDir = tempDir();
  const db = new Database(path.join(dataDir, 'stepflow.db'));
  try {
    db.pragma('journal_mode = WAL');
    for (const step of MIGRATIONS.slice(0, -1)) db.exec(step);
    db.pragma(`user_version = ${MIGRATIONS.length - 1}`);
    const at = '2026-01-02T03:04:05.000Z';
    db.prepare(
      `INSERT INTO executions (id, name, command, argv, cwd, tags, status, exit_code, created_at, created_ms,
         started_at, ended_at, duration_ms, meta, line_count, run_spec)
       VALUES ('old-run', 'before the upgrade', 'true', NULL, '/', '{}', 'succeeded', 0, ?, ?, ?, ?, 0, '{}', 0, ?)`,
    ).run(at, Date.parse(at), at, at, JSON.stringify({ command: 'true', cwd: '/' }));
  } finally {
    db.close();
  }
  return dataDir;
}

function schemaVersion(dataDir: string): number {
  const db = new Database(path.join(dataDir, 'stepflow.db'), { readonly: true });
  try {
    return db.pragma('user_version', { simple: true }) as number;
  } finally {
    db.close();
  }
}

describe('upgrades: a start that migrates the schema backs up first (built CLI: run `npm run build` first)', () => {
  it('stepflow server on an older schema writes a checked backup before migrating, logs its path, and the backup restores', async () => {
    const dataDir = olderDataDir();
    const server = startCli(['server', '--port', '0'], {
      dataDir,
      env: { ...SERVER_ENV, STEPFLOW_LOG_LEVEL: 'info' },
    });
    try {
      await listeningUrl(server.child, 30_000);
    } finally {
      server.child.kill('SIGTERM');
    }
    const { stdout, code } = await server.result;
    expect(code).toBe(0);
    expect(schemaVersion(dataDir)).toBe(MIGRATIONS.length);
    const backups = fs.readdirSync(path.join(dataDir, 'backups'));
    expect(backups).toHaveLength(1);
    expect(backups[0]).toMatch(
      new RegExp(`^stepflow-pre-migrate-\\d{8}T\\d{9}Z-schema-${MIGRATIONS.length - 1}\\.tar\\.gz$`),
    );
    const file = path.join(dataDir, 'backups', backups[0]!);
    // The server log says what it did and where the backup is.
    expect(stdout).toContain(
      `schema ${MIGRATIONS.length - 1} migrated to ${MIGRATIONS.length}; backed up first to ${file}`,
    );

    // The backup is the data dir as it was: it restores (and is then migrated), with its run.
    const restored = path.join(tempDir(), 'restored');
    const restore = await runCli(['restore', file, '--data-dir', restored], { dataDir: tempDir() });
    expect(restore.stderr).toBe('');
    expect(restore.code).toBe(0);
    expect(restore.stdout).toContain(`schema ${MIGRATIONS.length - 1} migrated to ${MIGRATIONS.length}`);
    const ls = JSON.parse((await runCli(['ls', '--json'], { dataDir: restored })).stdout) as {
      items: { id: string; name: string }[];
    };
    expect(ls.items).toMatchObject([{ id: 'old-run', name: 'before the upgrade' }]);

    // Already current: the next start takes none.
    const again = await runCli(['ls'], { dataDir });
    expect(again.code).toBe(0);
    expect(again.stderr).not.toContain('backed up');
    expect(fs.readdirSync(path.join(dataDir, 'backups'))).toHaveLength(1);
  }, 90_000);

  it('stepflow ls (which opens the store without the engine) on an older schema backs up first too, and says where', async () => {
    const dataDir = olderDataDir();
    const ls = await runCli(['ls', '--json'], { dataDir });
    expect(ls.code).toBe(0);
    expect((JSON.parse(ls.stdout) as { items: { id: string }[] }).items).toMatchObject([{ id: 'old-run' }]);
    const backups = fs.readdirSync(path.join(dataDir, 'backups'));
    expect(backups).toHaveLength(1);
    expect(ls.stderr).toContain(
      `stepflow: schema ${MIGRATIONS.length - 1} migrated to ${MIGRATIONS.length}; backed up first to ${path.join(dataDir, 'backups', backups[0]!)}`,
    );
    expect(schemaVersion(dataDir)).toBe(MIGRATIONS.length);
  }, 60_000);

  it('stepflow server refuses a database newer than itself, saying so, and changes nothing', async () => {
    const dataDir = olderDataDir();
    const db = new Database(path.join(dataDir, 'stepflow.db'));
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    db.close();
    const result = await runCli(['server', '--port', '0'], { dataDir, env: SERVER_ENV });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `the database has schema version ${MIGRATIONS.length + 1}, newer than this StepFlow supports (${MIGRATIONS.length}); upgrade StepFlow`,
    );
    expect(result.stdout).not.toContain('listening');
    expect(schemaVersion(dataDir)).toBe(MIGRATIONS.length + 1);
    expect(fs.existsSync(path.join(dataDir, 'backups'))).toBe(false);
  }, 60_000);
});
