import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isStepflowError } from '../core/errors.js';
import { newRunNodes, type PipelineRun } from '../core/pipelines/pipeline-run.js';
import type { PipelineRunStore } from './pipeline-run-store.js';

/** Fresh storage for one test. */
export interface PipelineRunStoreHarness {
  pipelineRuns: PipelineRunStore;
  cleanup(): Promise<void>;
}

let serial = 0;
/** A ULID-shaped id whose order follows `n`. */
const idOf = (n: number) => `01j${String(n).padStart(23, '0')}`;

function run(overrides: Partial<PipelineRun> = {}): PipelineRun {
  const definition = {
    name: 'nightly',
    env: { A: '1' },
    nodes: [
      {
        name: 'fetch',
        command: 'echo hi',
        env: {},
        needs: [],
        if: 'success' as const,
        retry: { max: 1, delaySeconds: 0 },
        runsOn: [],
        continueOnError: false,
      },
    ],
  };
  return {
    id: idOf(++serial),
    name: 'nightly',
    definition,
    status: 'queued',
    createdAt: '2030-01-01T00:00:00.000Z',
    startedAt: null,
    endedAt: null,
    createdBy: 'alice',
    rerunOf: null,
    cancelRequested: false,
    nodes: newRunNodes(definition),
    ...overrides,
  };
}

/**
 * The {@link PipelineRunStore} contract, run against every backend
 * (`sqlite/sqlite-pipeline-run-store.test.ts`, `postgres/pg-pipeline-run-store.test.ts`).
 */
export function describePipelineRunStoreContract(
  name: string,
  open: () => Promise<PipelineRunStoreHarness>,
): void {
  describe(`PipelineRunStore contract (${name})`, () => {
    let harness: PipelineRunStoreHarness;
    let store: PipelineRunStore;
    beforeEach(async () => {
      harness = await open();
      store = harness.pipelineRuns;
    });
    afterEach(async () => harness.cleanup());

    it('keeps a run as given, and its later states whole', async () => {
      const first = run();
      await store.insertPipelineRun(first);
      expect(await store.getPipelineRun(first.id)).toEqual(first);
      const later: PipelineRun = {
        ...first,
        status: 'failed',
        startedAt: '2030-01-01T00:00:01.000Z',
        endedAt: '2030-01-01T00:00:05.000Z',
        cancelRequested: true,
        nodes: [
          {
            name: 'fetch',
            status: 'failed',
            attempt: 2,
            attempts: [
              { executionId: 'e1', status: 'failed', startedAt: 'a', endedAt: 'b' },
              { executionId: 'e2', status: 'failed', startedAt: 'c', endedAt: 'd' },
            ],
            outputs: { version: '1.2' },
            startedAt: 'a',
            endedAt: 'd',
            reason: 'exit code 1',
          },
        ],
      };
      await store.updatePipelineRun(later);
      expect(await store.getPipelineRun(first.id)).toEqual(later);
      expect(await store.getPipelineRun(idOf(999_999))).toBeUndefined();
    });

    it('refuses a second run with the same id and an update of an unknown one', async () => {
      const first = run();
      await store.insertPipelineRun(first);
      await expect(store.insertPipelineRun(first)).rejects.toSatisfy(
        (error) => isStepflowError(error) && error.code === 'conflict',
      );
      await expect(store.updatePipelineRun(run())).rejects.toSatisfy(
        (error) => isStepflowError(error) && error.code === 'not_found',
      );
    });

    it('lists newest first by name and status, in pages that neither skip nor repeat', async () => {
      const runs = [
        run(),
        run({ name: 'other' }),
        run({ status: 'succeeded' }),
        run({ status: 'failed' }),
        run({ createdBy: undefined }),
      ];
      for (const item of runs) await store.insertPipelineRun(item);
      const ids = (page: { items: PipelineRun[] }) => page.items.map((item) => item.id);
      const all = runs.map((item) => item.id).reverse();
      const first = await store.listPipelineRuns({ limit: 3 });
      expect(ids(first)).toEqual(all.slice(0, 3));
      const second = await store.listPipelineRuns({ limit: 3, cursor: first.nextCursor! });
      expect(ids(second)).toEqual(all.slice(3));
      expect(second.nextCursor).toBeNull();
      expect(ids(await store.listPipelineRuns({ limit: 10, name: 'other' }))).toEqual([runs[1]!.id]);
      expect(ids(await store.listPipelineRuns({ limit: 10, status: ['succeeded', 'failed'] }))).toEqual([
        runs[3]!.id,
        runs[2]!.id,
      ]);
      await expect(store.listPipelineRuns({ limit: 1, cursor: 'nope' })).rejects.toSatisfy(
        (error) => isStepflowError(error) && error.code === 'validation_failed',
      );
    });

    it("keeps the job that started a run, and lists a job's runs by status", async () => {
      const link = { jobId: 'job-a', attempt: 1, retryOfId: null, scheduledAt: '2030-01-01T00:00:00.000Z' };
      const first = run({ job: link, driver: { host: 'h1', pid: 42, startTime: 1234 } });
      const retry = run({
        job: { ...link, attempt: 2, retryOfId: first.id },
        status: 'running',
        rerunOf: first.id,
      });
      const other = run({ job: { ...link, jobId: 'job-b' }, status: 'running' });
      const byHand = run({ status: 'running' });
      for (const item of [first, retry, other, byHand]) await store.insertPipelineRun(item);
      // A save of its state keeps the link.
      await store.updatePipelineRun({ ...first, status: 'failed' });
      expect(await store.getPipelineRun(first.id)).toEqual({ ...first, status: 'failed' });
      expect(await store.getPipelineRun(byHand.id)).not.toHaveProperty('job');
      const ids = (page: { items: PipelineRun[] }) => page.items.map((item) => item.id);
      expect(ids(await store.listPipelineRuns({ limit: 10, jobId: 'job-a' }))).toEqual([retry.id, first.id]);
      expect(
        ids(await store.listPipelineRuns({ limit: 10, jobId: 'job-a', status: ['queued', 'running'] })),
      ).toEqual([retry.id]);
      expect(ids(await store.listPipelineRuns({ limit: 10, jobId: 'no-such-job' }))).toEqual([]);
    });
  });
}
