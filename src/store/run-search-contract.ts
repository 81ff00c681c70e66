import { describe, expect, it } from 'vitest';
import { StepflowError } from '../core/errors.js';
import type { Execution, LogLine, Step } from '../core/model.js';
import type { ExecutionStore, RunSearchPage, RunSearchQuery } from './store.js';

/**
 * The contract of {@link ExecutionStore.searchRuns}, part of `store-contract.ts` (which calls this
 * with its fresh store): what every backend's search across runs must answer.
 */
export function describeRunSearchContract(getStore: () => ExecutionStore): void {
  describe('searchRuns', () => {
    const TS = 1_700_000_000_000;
    const line = (seq: number, text: string, fields: Partial<LogLine> = {}): LogLine => ({
      seq,
      ts: TS + seq,
      stream: 'stdout',
      stepId: null,
      text,
      flags: 0,
      ...fields,
    });
    const step = (id: number, name: string): Step => ({
      id,
      parentId: null,
      name,
      status: 'succeeded',
      startedAt: new Date(TS).toISOString(),
      endedAt: new Date(TS + 10).toISOString(),
      durationMs: 10,
      meta: {},
      implicit: false,
      hasSummary: false,
      source: 'stepflow',
      error: null,
      estimatedDurationSeconds: null,
      firstSeq: 1,
    });
    /** A run created `minute` minutes after a fixed time, with these log texts (in one or more batches). */
    const run = async (
      minute: number,
      texts: string[],
      options: { tags?: Record<string, string>; jobId?: string; batch?: number } = {},
    ): Promise<Execution> => {
      const store = getStore();
      const execution = await store.createExecution({
        spec: { command: `run-${minute}`, cwd: '/', ...(options.tags ? { tags: options.tags } : {}) },
        status: 'running',
        createdAt: new Date(Date.UTC(2024, 0, 1, 0, minute)).toISOString(),
        ...(options.jobId
          ? { job: { jobId: options.jobId, attempt: 1, retryOfId: null, scheduledAt: null } }
          : {}),
      });
      const lines = texts.map((text, i) => line(i + 1, text));
      const batch = options.batch ?? lines.length;
      for (let from = 0; from < lines.length; from += batch) {
        await store.write({ lines: [{ executionId: execution.id, lines: lines.slice(from, from + batch) }] });
      }
      return execution;
    };
    const search = (query: RunSearchQuery): Promise<RunSearchPage> => getStore().searchRuns(query);
    const ids = (page: RunSearchPage): string[] => page.items.map((item) => item.execution.id);

    it('finds runs newest first with exact counts, first lines and their step, as searchLog matches', async () => {
      const store = getStore();
      const texts = Array.from({ length: 3000 }, (_, i) =>
        i % 700 === 5
          ? `\x1b[31mTime\x1b[0mout waiting for db (timeout TIMEOUT) at ${i}`
          : i % 1000 === 7
            ? `Überweisung TIMEOUT ${i}`
            : `ok ${i}`,
      );
      const old = await run(1, texts, { batch: 450 });
      await run(2, ['nothing here', 'time out is two words']);
      const mid = await run(3, ['one Timeout'], { batch: 1 });
      await store.write({
        steps: [{ executionId: mid.id, step: step(1, 'build') }],
        lines: [{ executionId: mid.id, lines: [line(2, 'step timeout', { stepId: 1, stream: 'stderr' })] }],
      });
      const newest = await run(4, ['no match']);

      const page = await search({ text: 'timeout', linesPerRun: 2 });
      expect(ids(page)).toEqual([mid.id, old.id]);
      expect(page).toMatchObject({ nextCursor: null, truncated: false });
      expect(page.items[0]).toMatchObject({
        execution: { id: mid.id, name: 'run-3' },
        total: 2,
        lineTotal: 2,
        lines: [
          { seq: 1, stream: 'stdout', stepId: null, stepName: null, text: 'one Timeout', count: 1 },
          { seq: 2, stream: 'stderr', stepId: 1, stepName: 'build', text: 'step timeout', count: 1 },
        ],
      });
      // The same counts as the run's own log search: escapes removed, case folded.
      const own = await store.searchLog(old.id, { text: 'timeout' });
      const oldHit = page.items[1];
      expect(oldHit).toMatchObject({ total: own.total, lineTotal: own.lineTotal });
      expect(own.lineTotal).toBe(
        texts.filter((t) => /timeout/i.test(t.replaceAll('\x1b[31m', '').replaceAll('\x1b[0m', ''))).length,
      );
      expect(oldHit?.lines.map((l) => [l.seq, l.count])).toEqual([
        [6, 3],
        [8, 1],
      ]);
      expect(oldHit?.lines[0]?.text).toBe(texts[5]);
      // Beyond ASCII, and a query spanning an escape sequence in the raw text.
      expect(ids(await search({ text: 'ÜBERWEISUNG' }))).toEqual([old.id]);
      expect(ids(await search({ text: 'timeout waiting' }))).toEqual([old.id]);
      expect(ids(await search({ text: '[31m' }))).toEqual([]);
      expect(ids(await search({ text: 'no match' }))).toEqual([newest.id]);
      expect(await search({ text: 'nowhere at all' })).toEqual({
        items: [],
        nextCursor: null,
        scannedRuns: 0,
        truncated: false,
      });
      expect((await search({ text: 'timeout', linesPerRun: 0 })).items[0]?.lines).toEqual([]);
    });

    it('filters by status, since, job and tags, and pages newest first with a cursor', async () => {
      const store = getStore();
      const runs: Execution[] = [];
      for (let minute = 0; minute < 7; minute++) {
        runs.push(
          await run(minute, [`deploy step ${minute}`, 'deploy done'], {
            tags: { env: minute % 2 === 0 ? 'prod' : 'dev' },
            ...(minute === 3 ? { jobId: 'job-nightly' } : {}),
          }),
        );
      }
      await store.write({
        executions: [{ ...(runs[2] as Execution), status: 'failed', endedAt: '2024-01-01T00:03:00.000Z' }],
      });
      const newestFirst = runs.map((r) => r.id).reverse();

      const collected: string[] = [];
      let cursor: string | undefined;
      for (let pages = 0; pages < 10; pages++) {
        const page = await search({ text: 'DEPLOY', limit: 3, ...(cursor ? { cursor } : {}) });
        for (const item of page.items) expect(item).toMatchObject({ total: 2, lineTotal: 2 });
        collected.push(...ids(page));
        if (page.nextCursor === null) break;
        cursor = page.nextCursor;
      }
      expect(collected).toEqual(newestFirst);

      expect(ids(await search({ text: 'deploy', status: ['failed'] }))).toEqual([runs[2]?.id]);
      expect(ids(await search({ text: 'deploy', status: ['failed', 'running'], limit: 2 }))).toEqual(
        newestFirst.slice(0, 2),
      );
      expect(ids(await search({ text: 'deploy', since: '2024-01-01T00:05:00.000Z' }))).toEqual(
        newestFirst.slice(0, 2),
      );
      expect(ids(await search({ text: 'deploy', jobId: 'job-nightly' }))).toEqual([runs[3]?.id]);
      expect(ids(await search({ text: 'deploy', tags: ['env=dev'] }))).toEqual([
        runs[5]?.id,
        runs[3]?.id,
        runs[1]?.id,
      ]);
      expect(ids(await search({ text: 'step 4', tags: ['env'] }))).toEqual([runs[4]?.id]);
    });

    it('forgets a deleted run', async () => {
      const store = getStore();
      const kept = await run(1, ['needle in a haystack']);
      const gone = await run(2, ['another needle']);
      expect(ids(await search({ text: 'needle' }))).toEqual([gone.id, kept.id]);
      await store.write({ executions: [{ ...gone, status: 'succeeded', endedAt: gone.createdAt }] });
      await store.deleteExecution(gone.id);
      expect(ids(await search({ text: 'needle' }))).toEqual([kept.id]);
    });

    it('rejects short or long text, bad sizes, cursors and statuses, naming the field', async () => {
      await run(1, ['abc']);
      const cases: [RunSearchQuery, string][] = [
        [{ text: 'ab' }, 'q'],
        [{ text: '😀😀' }, 'q'],
        [{ text: 'x'.repeat(201) }, 'q'],
        [{ text: 'abc', limit: 0 }, 'limit'],
        [{ text: 'abc', limit: 101 }, 'limit'],
        [{ text: 'abc', linesPerRun: 21 }, 'lines'],
        [{ text: 'abc', cursor: 'nope!' }, 'cursor'],
        [{ text: 'abc', status: ['bogus' as never] }, 'status'],
      ];
      for (const [query, field] of cases) {
        const error: unknown = await search(query).then(
          () => new Error(`expected a rejection for ${JSON.stringify(query)}`),
          (reason: unknown) => reason,
        );
        expect(error).toBeInstanceOf(StepflowError);
        expect(error).toMatchObject({ code: 'validation_failed' });
        expect((error as StepflowError).message).toContain(field);
      }
      expect(ids(await search({ text: 'abc', limit: 100, linesPerRun: 20 }))).toHaveLength(1);
      expect(ids(await search({ text: '😀😀😀' }))).toEqual([]);
    });
  });
}
