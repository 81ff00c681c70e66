import { describe, expect, it } from 'vitest';
import { executionOf } from '../../src/core/model.js';
import { openSqliteStores } from '../../src/store/sqlite/open-sqlite-stores.js';
import { runCli } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs();
const DAY = 86_400_000;

/** Makes a stored run look as if it ended `daysAgo` days ago (through the store, as a test may). */
async function endedDaysAgo(dataDir: string, id: string, daysAgo: number): Promise<void> {
  const { store } = await openSqliteStores({ dataDir });
  try {
    const detail = await store.getExecution(id);
    if (detail === undefined) throw new Error(`${id} not stored`);
    const endedAt = new Date(Date.now() - daysAgo * DAY).toISOString();
    await store.write({ executions: [{ ...executionOf(detail), endedAt }] });
  } finally {
    await store.close();
  }
}

async function runIds(dataDir: string): Promise<string[]> {
  const ls = await runCli(['ls', '--json'], { dataDir });
  return (JSON.parse(ls.stdout) as { items: { id: string }[] }).items.map((e) => e.id);
}

describe('stepflow prune', () => {
  it('--dry-run changes nothing and says what it would free; then prune deletes, pin protects', async () => {
    const dataDir = tempDir();
    const env = { STEPFLOW_RETENTION_DAYS: '30' };
    for (let i = 0; i < 3; i++) {
      expect((await runCli(['run', '--name', `r${i}`, '--', 'seq', '1', '5000'], { dataDir })).code).toBe(0);
    }
    const [young, pinned, old] = await runIds(dataDir);
    await endedDaysAgo(dataDir, old!, 40);
    await endedDaysAgo(dataDir, pinned!, 40);
    expect((await runCli(['pin', pinned!], { dataDir })).stdout).toContain('pinned');
    expect((await runCli(['show', pinned!], { dataDir, env })).stdout).toMatch(/pinned\s+yes/);

    const dry = await runCli(['prune', '--dry-run', '--json'], { dataDir, env });
    expect(dry.code).toBe(0);
    const report = JSON.parse(dry.stdout) as {
      dryRun: boolean;
      runsDeleted: number;
      freedBytes: { logs: number };
    };
    expect(report).toMatchObject({ dryRun: true, runsDeleted: 1 });
    // `seq 1 5000`: 23,893 bytes of text.
    expect(report.freedBytes.logs).toBeGreaterThanOrEqual(23_893 - 5_000);
    expect((await runIds(dataDir)).sort()).toEqual([young!, pinned!, old!].sort());

    const plain = await runCli(['prune', '--dry-run'], { dataDir, env });
    expect(plain.stdout).toMatch(
      /^would free \d+(\.\d)? KB: 1 run deleted, logs of 0 dropped, artifacts of 0 dropped/,
    );

    const real = await runCli(['prune'], { dataDir, env });
    expect(real.code).toBe(0);
    expect(real.stdout).toMatch(/^freed \d+(\.\d)? KB: 1 run deleted/);
    expect((await runIds(dataDir)).sort()).toEqual([young!, pinned!].sort());
    const gone = await runCli(['show', old!], { dataDir });
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toContain('not_found');
  });

  it('with no policy set, nothing ever expires', async () => {
    const dataDir = tempDir();
    expect((await runCli(['run', '--', 'true'], { dataDir })).code).toBe(0);
    const [id] = await runIds(dataDir);
    await endedDaysAgo(dataDir, id!, 10_000);
    const result = await runCli(['prune'], { dataDir });
    expect(result.stdout).toMatch(/^freed 0 B: 0 runs deleted/);
    expect(await runIds(dataDir)).toEqual([id]);
  });
});
