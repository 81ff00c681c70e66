import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SERVER_ENV, listeningUrl, runCli, startCli } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs();

/** What the data dir's database has committed, read as another process would. */
function committed(dataDir: string): { lastSeq: number; storedArtifacts: number } {
  const db = new Database(path.join(dataDir, 'stepflow.db'), { readonly: true, fileMustExist: true });
  try {
    return {
      lastSeq: (db.prepare('SELECT coalesce(max(seq_end), 0) FROM log_chunks').pluck().get() as number) ?? 0,
      storedArtifacts: db
        .prepare("SELECT count(*) FROM artifacts WHERE status = 'stored'")
        .pluck()
        .get() as number,
    };
  } finally {
    db.close();
  }
}

async function until<T>(read: () => T, ok: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const value = read();
      if (ok(value)) return value;
    } catch (error) {
      // The database may not exist yet: the run has not opened it.
      if (Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A finished run with one file artifact, and the backup of its data dir. */
async function backedUpRun(): Promise<{ dataDir: string; archive: string; id: string }> {
  const dataDir = tempDir();
  const work = tempDir();
  fs.writeFileSync(path.join(work, 'report.txt'), 'the report\n');
  const run = await runCli(['run', '--', 'seq 1 3000; echo ARTIFACT:report.txt'], { dataDir, cwd: work });
  expect(run.code).toBe(0);
  const archive = path.join(tempDir(), 'backup.tar.gz');
  const backup = await runCli(['backup', archive], { dataDir });
  expect(backup.stderr).not.toContain('stepflow:');
  expect(backup.code).toBe(0);
  const ls = JSON.parse((await runCli(['ls', '--json'], { dataDir })).stdout) as { items: { id: string }[] };
  return { dataDir, archive, id: ls.items[0]!.id };
}

describe('stepflow backup and restore (built CLI: run `npm run build` first)', () => {
  it('a backup taken while a run writes restores every line committed before it began, and the artifact byte for byte', async () => {
    const dataDir = tempDir();
    const work = tempDir();
    const blob = randomBytes(3 * 1024 * 1024 + 17);
    fs.writeFileSync(path.join(work, 'blob.bin'), blob);
    const script =
      'echo ARTIFACT:blob.bin; for i in $(seq 1 400000); do echo "line $i"; if [ $((i % 4000)) -eq 0 ]; then sleep 0.05; fi; done';
    const writer = startCli(['run', '--', script], { dataDir, cwd: work });

    const before = await until(
      () => committed(dataDir),
      (c) => c.storedArtifacts === 1 && c.lastSeq >= 20_000,
    );
    const archive = path.join(tempDir(), 'live.tar.gz');
    const backup = await runCli(['backup', archive], { dataDir });
    expect(backup.stderr).not.toContain('stepflow:');
    expect(backup.code).toBe(0);
    expect(backup.stdout).toMatch(/backed up .* 1 executions, 0 jobs, 1 artifacts/);
    // Progress, as plain lines off a terminal.
    expect(backup.stderr).toMatch(/backup: copying the database \d+%/);
    expect(backup.stderr).toMatch(/backup: archiving 100%/);
    // The run was still writing: the backup is of a moment in the middle of it.
    expect(writer.child.exitCode).toBeNull();
    writer.child.kill('SIGTERM');
    await writer.result;

    const restored = path.join(tempDir(), 'restored');
    const restore = await runCli(['restore', archive, '--data-dir', restored], { dataDir: tempDir() });
    expect(restore.stderr).toBe('');
    expect(restore.code).toBe(0);
    expect(restore.stdout).toContain(`into ${restored}: 1 executions, 0 jobs, 1 artifacts, 2 files checked`);

    const ls = JSON.parse((await runCli(['ls', '--json'], { dataDir: restored })).stdout) as {
      items: { id: string }[];
    };
    const id = ls.items[0]!.id;
    const show = await runCli(['show', id, '--json'], { dataDir: restored });
    expect(show.code).toBe(0);
    const detail = JSON.parse(show.stdout) as { artifacts: { status: string; size: number }[] };
    expect(detail.artifacts).toMatchObject([{ status: 'stored', size: blob.length }]);
    const copy = fs.readFileSync(path.join(restored, 'artifacts', id, '1', 'blob.bin'));
    expect(copy.equals(blob)).toBe(true);

    const logs = await runCli(['logs', id], { dataDir: restored });
    expect(logs.code).toBe(0);
    const numbers = logs.stdout
      .split('\n')
      .filter((line) => /^line \d+$/.test(line))
      .map((line) => Number(line.slice(5)));
    // Every line committed before the backup began, in order, none twice, none missing.
    expect(numbers.length).toBeGreaterThanOrEqual(before.lastSeq - 1);
    expect(numbers.every((n, i) => n === i + 1)).toBe(true);
    expect(numbers.length).toBeLessThan(400_000);
  }, 120_000);

  it('a member whose bytes were changed makes restore fail naming it, and nothing is restored', async () => {
    const { archive, id } = await backedUpRun();
    // Flip one byte of the artifact's content inside the tar.
    const tar = gunzipSync(fs.readFileSync(archive));
    const at = tar.indexOf('the report\n');
    expect(at).toBeGreaterThan(0);
    tar[at] = tar[at]! ^ 0x01;
    const tampered = path.join(tempDir(), 'tampered.tar.gz');
    fs.writeFileSync(tampered, gzipSync(tar));

    const restored = path.join(tempDir(), 'restored');
    const restore = await runCli(['restore', tampered, '--data-dir', restored], { dataDir: tempDir() });
    expect(restore.code).toBe(1);
    expect(restore.stderr).toContain('backup_invalid');
    expect(restore.stderr).toContain(`member "artifacts/${id}/1/report.txt" is damaged`);
    expect(fs.existsSync(restored)).toBe(false);
    expect(fs.readdirSync(path.dirname(restored))).toEqual([]);
  }, 60_000);

  it.each([
    [
      'a path out of the target',
      ['--transform', 's,^manifest.json,artifacts/../../escaped,'],
      'unexpected member "artifacts/../../escaped"',
    ],
    [
      'an absolute path',
      ['--absolute-names', '--transform', 's,^manifest.json,/tmp/escaped,'],
      'unexpected member "/tmp/escaped"',
    ],
    [
      'a symbolic link',
      ['--transform', 's,^link,artifacts/link,'],
      'member "artifacts/link" is not a regular file',
    ],
  ])(
    'refuses a crafted archive with %s, naming the member, and writes nothing',
    async (_what, flags, message) => {
      const { archive } = await backedUpRun();
      const members = tempDir();
      execFileSync('tar', ['xzf', archive, '-C', members]);
      fs.symlinkSync('/etc/passwd', path.join(members, 'link'));
      const crafted = path.join(tempDir(), 'crafted.tar.gz');
      const names = flags.includes('s,^link,artifacts/link,')
        ? ['link', 'manifest.json', 'stepflow.db']
        : ['manifest.json', 'stepflow.db'];
      execFileSync('tar', ['czf', crafted, '-C', members, ...flags, ...names]);

      const parent = tempDir();
      const restore = await runCli(['restore', crafted, '--data-dir', path.join(parent, 'restored')], {
        dataDir: tempDir(),
      });
      expect(restore.code).toBe(1);
      expect(restore.stderr).toContain(message);
      expect(fs.readdirSync(parent)).toEqual([]);
      expect(fs.existsSync('/tmp/escaped')).toBe(false);
    },
    60_000,
  );

  it('refuses a data dir a server holds, even with --force, and a non-empty one without --force', async () => {
    const { archive } = await backedUpRun();
    const live = tempDir();
    const server = startCli(['server', '--port', '0'], { dataDir: live, env: SERVER_ENV });
    try {
      await listeningUrl(server.child, 20_000);
      const refused = await runCli(['restore', archive, '--data-dir', live, '--force'], {
        dataDir: tempDir(),
      });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`conflict: ${live} is in use`);
    } finally {
      server.child.kill('SIGTERM');
      await server.result;
    }
    // The server has stopped: not empty, so --force is needed, and then it replaces the data dir.
    const notEmpty = await runCli(['restore', archive, '--data-dir', live], { dataDir: tempDir() });
    expect(notEmpty.code).toBe(1);
    expect(notEmpty.stderr).toContain('is not empty');
    const forced = await runCli(['restore', archive, '--data-dir', live, '--force'], { dataDir: tempDir() });
    expect(forced.stderr).toBe('');
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('replacing its database and artifacts');
    const ls = JSON.parse((await runCli(['ls', '--json'], { dataDir: live })).stdout) as { items: unknown[] };
    expect(ls.items).toHaveLength(1);
  }, 60_000);

  it('refuses on PostgreSQL, pointing to pg_dump in docs/OPERATIONS.md', async () => {
    const result = await runCli(['backup', path.join(tempDir(), 'x.tar.gz')], {
      dataDir: tempDir(),
      env: { STEPFLOW_DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('unsupported:');
    expect(result.stderr).toContain('pg_dump');
    expect(result.stderr).toContain('docs/OPERATIONS.md');
  });
});
