import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../../test/helpers/temp-dir.js';
import { openSqliteStores } from '../store/sqlite/open-sqlite-stores.js';
import { createRetention } from './retention.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 1);
const RUNS = 300;
const tempDir = useTempDirs();

/** Ten lines of a run, some of them with characters of 2 and 3 bytes in UTF-8. */
const linesOf = (run: number): string[] =>
  Array.from({ length: 10 }, (_, i) => `run ${run} ligne ${i} é → ${'x'.repeat((run * 7 + i) % 50)}`);

describe('the retention sweep over a few hundred runs (real SQLite)', () => {
  it('frees exactly the log bytes of the runs it deletes or whose logs it drops, in several pages', async () => {
    const dataDir = tempDir();
    const { store, maintenance } = await openSqliteStores({ dataDir });
    // A third of the runs ended 40 days ago, a third 10, a third 1; written a page at a time.
    const ageOf = (run: number): number => [40, 10, 1][run % 3]!;
    for (let first = 0; first < RUNS; first += 100) {
      const runs = [];
      for (let run = first; run < first + 100; run++) {
        const created = await store.createExecution({
          spec: { command: `./task-${run}.sh`, cwd: '/srv' },
          status: 'running',
          createdAt: new Date(NOW - 50 * DAY + run * 1000).toISOString(),
        });
        runs.push({ run, created });
      }
      await store.write({
        lines: runs.map(({ run, created }) => ({
          executionId: created.id,
          lines: linesOf(run).map((text, i) => ({
            seq: i + 1,
            ts: NOW - 50 * DAY,
            stream: 'stdout' as const,
            stepId: null,
            text,
            flags: 0,
          })),
        })),
      });
      await store.write({
        executions: runs.map(({ run, created }) => ({
          ...created,
          status: 'succeeded' as const,
          exitCode: 0,
          lineCount: 10,
          endedAt: new Date(NOW - ageOf(run) * DAY).toISOString(),
        })),
      });
    }
    // What a run's log holds on disk: its lines, one per row of text, separated by newlines.
    const bytesOf = (run: number): number => Buffer.byteLength(linesOf(run).join('\n'));
    const expected = { deleted: 0, dropped: 0 };
    for (let run = 0; run < RUNS; run++) {
      if (ageOf(run) === 40) expected.deleted += bytesOf(run);
      if (ageOf(run) === 10) expected.dropped += bytesOf(run);
    }

    const retention = createRetention({
      store,
      maintenance,
      dataDir,
      policy: async () => ({ days: 30, logDays: 7 }),
      now: () => new Date(NOW),
      batchSize: 64,
    });
    const dry = await retention.sweep({ dryRun: true });
    const report = await retention.sweep();
    expect(report).toMatchObject({
      runsExamined: RUNS,
      runsDeleted: RUNS / 3,
      logsDropped: RUNS / 3,
      artifactsDropped: 0,
      freedBytes: {
        logs: expected.deleted + expected.dropped,
        artifacts: 0,
        total: expected.deleted + expected.dropped,
      },
    });
    expect(dry.freedBytes).toEqual(report.freedBytes);
    expect(retention.totals()).toEqual({
      sweeps: 1,
      runsDeleted: RUNS / 3,
      logsDropped: RUNS / 3,
      artifactsDropped: 0,
      freedBytes: { logs: expected.deleted + expected.dropped, artifacts: 0 },
    });
    // The young third is whole; the store measures what is left as what was never freed.
    const left = await store.listEndedRuns({ limit: RUNS });
    expect(left).toHaveLength((2 * RUNS) / 3);
    const remaining = await store.measureRuns(left.map((run) => run.id));
    expect(remaining.reduce((n, run) => n + run.logBytes, 0)).toBe(
      Array.from({ length: RUNS }, (_, run) => run)
        .filter((run) => ageOf(run) === 1)
        .reduce((n, run) => n + bytesOf(run), 0),
    );
    expect((await retention.sweep()).freedBytes.total).toBe(0);
    await retention.close();
    await store.close();
  });
});
