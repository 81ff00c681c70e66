import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs();

interface Report {
  ok: boolean;
  problems: {
    code: string;
    message: string;
    path?: string;
    executionId?: string;
    repair: string | null;
    repaired?: boolean;
  }[];
}

/** Two finished runs: one with two artifacts and a long log (several chunks), one short. */
async function dataDirWithRuns(): Promise<{ dataDir: string; withArtifacts: string; other: string }> {
  const dataDir = tempDir();
  const work = tempDir();
  fs.writeFileSync(path.join(work, 'kept.txt'), 'kept\n');
  fs.writeFileSync(path.join(work, 'lost.txt'), 'lost\n');
  // stdout and stderr alternate every 500 lines: one chunk each.
  const script =
    'for b in 1 2 3 4 5 6; do seq 1 500; seq 1 500 >&2; done; echo ARTIFACT:kept.txt; echo ARTIFACT:lost.txt';
  expect((await runCli(['run', '--', script], { dataDir, cwd: work })).code).toBe(0);
  expect((await runCli(['run', '--', 'echo short'], { dataDir })).code).toBe(0);
  const ls = JSON.parse((await runCli(['ls', '--json'], { dataDir })).stdout) as { items: { id: string }[] };
  return { dataDir, other: ls.items[0]!.id, withArtifacts: ls.items[1]!.id };
}

const verify = async (dataDir: string, ...args: string[]) => {
  const result = await runCli(['verify', '--json', ...args], { dataDir });
  return { code: result.code, report: JSON.parse(result.stdout) as Report, stderr: result.stderr };
};

describe('stepflow verify (built CLI: run `npm run build` first)', () => {
  it('finds a deleted artifact file, an orphan file, a log gap and a run whose owner is dead; --repair fixes the safe ones', async () => {
    const { dataDir, withArtifacts, other } = await dataDirWithRuns();
    const clean = await verify(dataDir);
    expect(clean.report.problems).toEqual([]);
    expect(clean.code).toBe(0);

    // The planted problems.
    const lost = `artifacts/${withArtifacts}/2/lost.txt`;
    fs.rmSync(path.join(dataDir, lost));
    const orphan = `artifacts/${withArtifacts}/9/stray.bin`;
    fs.mkdirSync(path.dirname(path.join(dataDir, orphan)), { recursive: true });
    fs.writeFileSync(path.join(dataDir, orphan), 'nobody names me');
    const db = new Database(path.join(dataDir, 'stepflow.db'));
    const middle = db
      .prepare(
        'SELECT seq_start, seq_end FROM log_chunks WHERE execution_id = ? ORDER BY seq_start LIMIT 1 OFFSET 3',
      )
      .get(withArtifacts) as { seq_start: number; seq_end: number };
    db.prepare('DELETE FROM log_chunks WHERE execution_id = ? AND seq_start = ?').run(
      withArtifacts,
      middle.seq_start,
    );
    // pid 2^22 + 1 is above Linux's pid_max: that owner cannot be alive.
    db.prepare(
      "UPDATE executions SET status = 'running', ended_at = NULL, owner_pid = 4194305 WHERE id = ?",
    ).run(other);
    db.close();

    const found = await verify(dataDir);
    expect(found.code).toBe(1);
    expect(found.report.ok).toBe(false);
    expect(found.report.problems.map((p) => p.code).sort()).toEqual([
      'artifact_missing',
      'log_gap',
      'orphan_artifact_file',
      'run_without_owner',
    ]);
    const byCode = Object.fromEntries(found.report.problems.map((p) => [p.code, p]));
    expect(byCode.artifact_missing).toMatchObject({ path: lost, executionId: withArtifacts });
    expect(byCode.orphan_artifact_file).toMatchObject({ path: orphan, repair: 'remove the file' });
    expect(byCode.log_gap).toMatchObject({ executionId: withArtifacts, repair: null });
    expect(byCode.log_gap!.message).toContain(`lines ${middle.seq_start}–${middle.seq_end} are missing`);
    expect(byCode.run_without_owner).toMatchObject({ executionId: other });
    // Reporting changed nothing.
    expect(fs.existsSync(path.join(dataDir, orphan))).toBe(true);

    const text = await runCli(['verify'], { dataDir });
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(`orphan_artifact_file: ${orphan}`);
    expect(text.stdout).toContain('--repair would remove the file');

    const repaired = await verify(dataDir, '--repair');
    expect(repaired.code).toBe(1); // the gap is left: lines cannot be made up
    const after = Object.fromEntries(repaired.report.problems.map((p) => [p.code, p.repaired]));
    expect(after).toEqual({
      artifact_missing: true,
      orphan_artifact_file: true,
      run_without_owner: true,
      log_gap: undefined,
    });
    expect(fs.existsSync(path.join(dataDir, orphan))).toBe(false);
    const shown = JSON.parse((await runCli(['show', other, '--json'], { dataDir })).stdout) as {
      status: string;
    };
    expect(shown.status).toBe('interrupted');
    const detail = JSON.parse((await runCli(['show', withArtifacts, '--json'], { dataDir })).stdout) as {
      artifacts: { status: string; error: string | null }[];
    };
    expect(detail.artifacts[1]).toMatchObject({ status: 'failed' });
    expect(detail.artifacts[1]!.error).toContain('file missing');

    // What is left is only what could not be repaired.
    const again = await verify(dataDir);
    expect(again.report.problems.map((p) => p.code)).toEqual(['log_gap']);
  }, 60_000);
});
