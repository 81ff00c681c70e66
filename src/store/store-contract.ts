import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StepflowError } from '../core/errors.js';
import { renderLogText } from '../core/log-text.js';
import { EXECUTION_STATUSES } from '../core/statuses.js';
import type { ErrorCode } from '../core/errors.js';
import type {
  Annotation,
  Artifact,
  Execution,
  ExecutionDetail,
  ExecutionOwner,
  LogLine,
  RunSpec,
  Step,
} from '../core/model.js';
import { executionOf, LineFlag } from '../core/model.js';
import { matchesExecutionFilter, type ExecutionFilter } from '../core/execution-filter.js';
import { describeRunSearchContract } from './run-search-contract.js';
import { describeRetentionContract } from './retention-contract.js';
import type { ExecutionStore, LogQuery } from './store.js';

/** What a backend's test file hands to {@link describeStoreContract} for each test. */
export interface StoreHarness {
  /** A store on fresh, empty storage. */
  store: ExecutionStore;
  /** Opens another store (its own connection) on the same storage, as a second process would. */
  openAnother(): Promise<ExecutionStore>;
  /** Closes every store the harness opened and removes the storage. */
  cleanup(): Promise<void>;
  /**
   * Makes `store`'s storage refuse to grow, as a full disk does, until the returned function gives
   * it room again.
   */
  fill(): Promise<() => Promise<void>>;
}

/**
 * The behaviour every {@link ExecutionStore} backend must have. A backend's test file calls this
 * once with a factory for fresh storage; backend-specific tests live beside it.
 */
export function describeStoreContract(name: string, open: () => Promise<StoreHarness>): void {
  describe(`ExecutionStore contract: ${name}`, () => {
    let harness: StoreHarness;
    let store: ExecutionStore;

    beforeEach(async () => {
      harness = await open();
      store = harness.store;
    });
    afterEach(async () => {
      await harness.cleanup();
    });

    describe('executions', () => {
      it('creates a queued execution with defaults and reads it back', async () => {
        const created = await store.createExecution({ spec: { command: 'make test', cwd: '/src' } });
        expect(created).toMatchObject({
          name: 'make test',
          command: 'make test',
          argv: null,
          cwd: '/src',
          tags: {},
          status: 'queued',
          exitCode: null,
          startedAt: null,
          owner: null,
          lineCount: 0,
          resources: null,
          meta: {},
          rerunOf: null,
          resumeFrom: null,
        });
        expect(created.id).toMatch(/^[0-9a-z]{26}$/);
        expect(Number.isNaN(Date.parse(created.createdAt))).toBe(false);
        expect(await store.getExecution(created.id)).toEqual({
          ...created,
          steps: [],
          artifacts: [],
          annotations: [],
        });
      });

      it('keeps argv, tags, owner, status and createdAt given at creation', async () => {
        const owner: ExecutionOwner = { host: 'build-1', pid: 4321, startTime: 987654 };
        const created = await store.createExecution({
          spec: {
            name: 'deploy',
            argv: ['deploy.sh', '--prod'],
            cwd: '/srv',
            tags: { env: 'prod' },
            timeoutSeconds: 60,
          },
          status: 'running',
          owner,
          createdAt: '2024-03-01T10:00:00.000Z',
        });
        expect(created).toMatchObject({
          name: 'deploy',
          command: 'deploy.sh --prod',
          argv: ['deploy.sh', '--prod'],
          tags: { env: 'prod' },
          status: 'running',
          owner,
          createdAt: '2024-03-01T10:00:00.000Z',
          startedAt: '2024-03-01T10:00:00.000Z',
          timeoutSeconds: 60,
        });
        expect(await store.getExecution(created.id)).toMatchObject(created);
      });

      it('keeps the project and version a run ran in through later writes of its row; absent outside one', async () => {
        const created = await store.createExecution({
          spec: { command: 'make', cwd: '/', project: { name: 'site', version: 3 } },
        });
        expect(created.project).toEqual({ name: 'site', version: 3 });
        const { project: _project, ...rest } = created;
        await store.write({ executions: [{ ...rest, status: 'succeeded' }] });
        expect(await store.getExecution(created.id)).toMatchObject({
          project: { name: 'site', version: 3 },
          status: 'succeeded',
        });
        const plain = await store.createExecution({ spec: { command: 'make', cwd: '/' } });
        expect(await store.getExecution(plain.id)).not.toHaveProperty('project');
      });

      it('keeps who created a run through later writes of its row; absent when not given', async () => {
        const created = await store.createExecution({
          spec: { command: 'make', cwd: '/' },
          createdBy: 'alice',
        });
        expect(created.createdBy).toBe('alice');
        const { createdBy: _createdBy, ...rest } = created;
        await store.write({ executions: [{ ...rest, status: 'succeeded' }] });
        expect(await store.getExecution(created.id)).toMatchObject({
          createdBy: 'alice',
          status: 'succeeded',
        });
        const anonymous = await store.createExecution({ spec: { command: 'make', cwd: '/' } });
        expect(await store.getExecution(anonymous.id)).not.toHaveProperty('createdBy');
        const listed = await store.listExecutions({});
        expect(listed.items.map((e) => e.createdBy)).toEqual([undefined, 'alice']);
      });

      it('keeps the limits a run was created with, the limits that triggered, and its run spec’s limits', async () => {
        const limits = { memoryLimitMb: 512, maxLines: 1000, logLimitPolicy: 'truncate' as const };
        const created = await store.createExecution({ spec: { command: 'make', cwd: '/', limits } });
        expect(created).toMatchObject({ limits, limitHits: [] });
        const hit = {
          kind: 'lines' as const,
          limit: 1000,
          observed: 5000,
          enforcement: 'counted' as const,
          action: 'truncated' as const,
          at: '2024-03-01T10:00:00.000Z',
          dropped: { lines: 4000, bytes: 40_000 },
          message: 'log truncated by maxLines 1,000',
        };
        await store.write({ executions: [{ ...created, status: 'succeeded', limitHits: [hit] }] });
        expect(await store.getExecution(created.id)).toMatchObject({ limits, limitHits: [hit] });
        expect(await store.getRunSpec(created.id)).toMatchObject({ limits });
      });

      it('keeps a re-run’s link and resume step as created, and lists the direct re-runs of an execution', async () => {
        const spec = { command: 'make', cwd: '/' };
        const original = await store.createExecution({ spec });
        const resumed = await store.createExecution({
          spec,
          rerun: { rerunOf: original.id, resumeFrom: 'Test' },
        });
        const full = await store.createExecution({ spec, rerun: { rerunOf: original.id, resumeFrom: null } });
        const nested = await store.createExecution({
          spec,
          rerun: { rerunOf: resumed.id, resumeFrom: null },
        });
        expect(resumed).toMatchObject({ rerunOf: original.id, resumeFrom: 'Test' });
        expect(await store.getExecution(resumed.id)).toMatchObject({
          rerunOf: original.id,
          resumeFrom: 'Test',
        });
        // Set once: the writer's rows (whatever they carry) do not move the link.
        await store.write({
          executions: [{ ...resumed, status: 'failed', rerunOf: null, resumeFrom: null }],
        });
        expect(await store.getExecution(resumed.id)).toMatchObject({
          status: 'failed',
          rerunOf: original.id,
          resumeFrom: 'Test',
        });
        const rerunsOf = async (id: string) =>
          (await store.listExecutions({ rerunOf: id })).items.map((execution) => execution.id);
        expect(await rerunsOf(original.id)).toEqual([full.id, resumed.id]);
        expect(await rerunsOf(resumed.id)).toEqual([nested.id]);
        expect(await rerunsOf(nested.id)).toEqual([]);
      });

      it('rejects a run spec with both or neither of command and argv', async () => {
        await expectCode(
          store.createExecution({ spec: { command: 'a', argv: ['b'], cwd: '/' } }),
          'validation_failed',
        );
        await expectCode(store.createExecution({ spec: { cwd: '/' } }), 'validation_failed');
      });

      it('returns the run spec with env only through getRunSpec', async () => {
        const spec: RunSpec = {
          name: 'n',
          command: 'env',
          cwd: '/w',
          env: { TOKEN: 's3cret' },
          tags: { a: '1' },
        };
        const created = await store.createExecution({ spec });
        expect(await store.getRunSpec(created.id)).toEqual(spec);
        expect(JSON.stringify(await store.getExecution(created.id))).not.toContain('s3cret');
        expect(await store.getRunSpec('nope')).toBeUndefined();
      });

      it('returns undefined for an unknown execution', async () => {
        expect(await store.getExecution('01hzzzzzzzzzzzzzzzzzzzzzzz')).toBeUndefined();
      });

      it('overwrites every execution field from a written row', async () => {
        const created = await store.createExecution({ spec: { command: 'x', cwd: '/' }, status: 'running' });
        const finished: Execution = {
          ...created,
          name: 'renamed',
          tags: { team: 'core', env: 'ci' },
          status: 'failed',
          exitCode: 3,
          signal: 'SIGTERM',
          error: 'step 2 failed',
          startedAt: '2024-01-01T00:00:01.000Z',
          endedAt: '2024-01-01T00:00:03.500Z',
          durationMs: 2500,
          meta: { version: '1.2' },
          owner: { host: 'h', pid: 7, startTime: 8 },
          lineCount: 42,
          resources: { cpuPercentPeak: 180.5, memoryBytesPeak: 1 << 30, processCountPeak: 4 },
          outputs: { version: '1.2', notes: 'two\nlines' },
        };
        await store.write({ executions: [finished] });
        expect(await store.getExecution(created.id)).toEqual({
          ...finished,
          steps: [],
          artifacts: [],
          annotations: [],
        });
        const tagged = await store.listExecutions({ tags: ['team=core'] });
        expect(tagged.items.map((e) => e.id)).toEqual([created.id]);
      });

      it("keeps the run's summary and each step's apart, and says where there is one", async () => {
        const e = await store.createExecution({ spec: { command: 'x', cwd: '/' }, status: 'running' });
        expect(await store.getSummary(e.id)).toEqual({ summary: null, steps: [] });
        await store.write({
          // `hasSummary` of a written row is not what decides: the texts held do.
          executions: [{ ...e, hasSummary: false }],
          steps: [
            { executionId: e.id, step: step(1) },
            { executionId: e.id, step: step(2) },
          ],
          summaries: [
            { executionId: e.id, stepId: 2, summary: '# Two\n' },
            { executionId: e.id, stepId: null, summary: '# Two\n' },
          ],
        });
        await store.write({
          steps: [{ executionId: e.id, step: step(2, { status: 'succeeded' }) }],
          summaries: [{ executionId: e.id, stepId: null, summary: '# Two\n| a |\n' }],
        });

        expect(await store.getSummary(e.id)).toEqual({
          summary: '# Two\n| a |\n',
          steps: [{ stepId: 2, summary: '# Two\n' }],
        });
        const detail = await store.getExecution(e.id);
        expect(detail?.hasSummary).toBe(true);
        expect(detail?.steps.map((s) => s.hasSummary)).toEqual([false, true]);
        const listed = (await store.listExecutions()).items.find((item) => item.id === e.id);
        expect(listed?.hasSummary).toBe(true);
        expect(JSON.stringify(listed)).not.toContain('# Two');
        expect(await store.getSummary('01hzzzzzzzzzzzzzzzzzzzzzzz')).toBeUndefined();
        await store.deleteExecution(e.id);
        expect(await store.getSummary(e.id)).toBeUndefined();
      });

      it('upserts steps, artifacts and annotations by id and returns them ordered by id', async () => {
        const e = await store.createExecution({ spec: { command: 'x', cwd: '/' }, status: 'running' });
        const s2 = step(2, { parentId: 1, status: 'running' });
        await store.write({
          steps: [
            { executionId: e.id, step: s2 },
            { executionId: e.id, step: step(1) },
          ],
          artifacts: [
            { executionId: e.id, artifact: artifact(2) },
            { executionId: e.id, artifact: artifact(1, { status: 'failed', error: 'missing', kind: null }) },
          ],
          annotations: [{ executionId: e.id, annotation: annotation(1) }],
        });
        const closed = {
          ...s2,
          status: 'succeeded' as const,
          endedAt: '2024-01-01T00:00:09.000Z',
          durationMs: 8000,
        };
        await store.write({
          steps: [{ executionId: e.id, step: closed }],
          annotations: [{ executionId: e.id, annotation: annotation(1, { message: 'edited' }) }],
        });
        const detail = await store.getExecution(e.id);
        expect(detail?.steps).toEqual([step(1), closed]);
        expect(detail?.artifacts).toEqual([
          artifact(1, { status: 'failed', error: 'missing', kind: null }),
          artifact(2),
        ]);
        expect(detail?.annotations).toEqual([annotation(1, { message: 'edited' })]);
      });

      it('stores resource samples in time order', async () => {
        const e = await store.createExecution({ spec: { command: 'x', cwd: '/' } });
        const samples = [
          { ts: 2000, cpuPercent: 50.5, memoryBytes: 2048, processCount: 2 },
          { ts: 1000, cpuPercent: 10, memoryBytes: 1024, processCount: 1 },
        ];
        await store.write({ samples: [{ executionId: e.id, samples }] });
        expect(await store.listResourceSamples(e.id)).toEqual([samples[1], samples[0]]);
        await expectCode(store.listResourceSamples('unknown'), 'not_found');
      });

      it('applies a batch atomically: one bad part stores nothing, and a retry stores everything', async () => {
        const e = await store.createExecution({ spec: { command: 'x', cwd: '/' }, status: 'running' });
        const batch = {
          steps: [{ executionId: e.id, step: step(1) }],
          lines: [
            { executionId: e.id, lines: makeLines(1, 5) },
            { executionId: 'missing-execution', lines: makeLines(1, 2) },
          ],
        };
        await expect(store.write(batch)).rejects.toBeInstanceOf(StepflowError);
        expect((await store.getExecution(e.id))?.steps).toEqual([]);
        expect((await store.readLog(e.id)).lines).toEqual([]);

        await store.write({ steps: batch.steps, lines: [{ executionId: e.id, lines: makeLines(1, 5) }] });
        expect((await store.readLog(e.id)).lines).toEqual(makeLines(1, 5));
      });

      it('counts executions by status, with 0 for statuses nobody has', async () => {
        const spec = { command: 'x', cwd: '/' };
        expect(Object.values(await store.countByStatus())).toEqual(EXECUTION_STATUSES.map(() => 0));
        await store.createExecution({ spec });
        await store.createExecution({ spec, status: 'running' });
        const done = await store.createExecution({ spec, status: 'running' });
        await store.write({ executions: [{ ...done, status: 'succeeded', endedAt: done.createdAt }] });
        expect(await store.countByStatus()).toEqual({
          queued: 1,
          running: 1,
          succeeded: 1,
          failed: 0,
          cancelled: 0,
          timed_out: 0,
          interrupted: 0,
          lost: 0,
        });
      });

      it('finds the newest succeeded execution of a name created before a time', async () => {
        const at = (minute: number) => `2024-05-01T10:0${minute}:00.000Z`;
        const make = async (name: string, minute: number, status: Execution['status']) => {
          const e = await store.createExecution({
            spec: { command: 'x', cwd: '/', name },
            status: 'running',
            createdAt: at(minute),
          });
          await store.write({ executions: [{ ...e, status, endedAt: at(minute) }] });
          return e;
        };
        const old = await make('nightly', 1, 'succeeded');
        const newer = await make('nightly', 2, 'succeeded');
        await make('nightly', 3, 'failed');
        await make('other', 4, 'succeeded');
        const current = await make('nightly', 5, 'succeeded');

        expect((await store.lastSucceededByName('nightly', current.createdAt))?.id).toBe(newer.id);
        expect((await store.lastSucceededByName('nightly', newer.createdAt))?.id).toBe(old.id);
        expect(await store.lastSucceededByName('nightly', old.createdAt)).toBeUndefined();
        expect(await store.lastSucceededByName('Nightly', current.createdAt)).toBeUndefined();
        await expectCode(store.lastSucceededByName('nightly', 'yesterday'), 'validation_failed');
      });

      it('reads the recent runs of the same job, else of the same name, up to a run, with their steps', async () => {
        const at = (minute: number) => `2024-05-02T10:0${minute}:00.000Z`;
        const make = async (name: string, minute: number, jobId?: string) => {
          const e = await store.createExecution({
            spec: { command: 'x', cwd: '/', name },
            status: 'running',
            createdAt: at(minute),
            ...(jobId ? { job: { jobId, attempt: 1, retryOfId: null, scheduledAt: null } } : {}),
          });
          await store.write({
            executions: [{ ...e, status: 'succeeded', endedAt: at(minute), durationMs: minute * 1000 }],
            steps: [
              { executionId: e.id, step: step(1, { name: 'build', durationMs: minute * 100 }) },
              { executionId: e.id, step: step(2, { name: 'test', status: 'failed', durationMs: 7 }) },
            ],
          });
          return e;
        };
        const one = await make('trend', 1);
        const two = await make('trend', 2);
        await make('trend', 3, 'job-x');
        await make('other', 4);
        const four = await make('trend', 5);
        const later = await make('trend', 6);

        const byName = await store.recentRuns(four.id, 10);
        expect(byName?.basis).toBe('name');
        // Newest first, this run included, nothing after it, no job's run of the same name.
        expect(byName?.runs.map((r) => r.id)).toEqual([four.id, two.id, one.id]);
        expect(byName?.runs[0]).toMatchObject({ status: 'succeeded', durationMs: 5000, createdAt: at(5) });
        expect(byName?.runs[0]?.steps).toEqual([
          { name: 'build', status: 'succeeded', durationMs: 500 },
          { name: 'test', status: 'failed', durationMs: 7 },
        ]);
        expect((await store.recentRuns(later.id, 2))?.runs.map((r) => r.id)).toEqual([later.id, four.id]);

        const jobRun = await make('renamed', 7, 'job-x');
        const byJob = await store.recentRuns(jobRun.id, 10);
        expect(byJob?.basis).toBe('job');
        expect(byJob?.runs).toHaveLength(2);
        expect(await store.recentRuns('no-such-run', 10)).toBeUndefined();
      });

      it('deletes an execution with everything hanging off it', async () => {
        const keep = await store.createExecution({ spec: { command: 'keep', cwd: '/' } });
        const gone = await store.createExecution({ spec: { command: 'gone', cwd: '/', tags: { a: 'b' } } });
        for (const id of [keep.id, gone.id]) {
          await store.write({
            steps: [{ executionId: id, step: step(1) }],
            lines: [{ executionId: id, lines: makeLines(1, 3) }],
            artifacts: [{ executionId: id, artifact: artifact(1) }],
            annotations: [{ executionId: id, annotation: annotation(1) }],
            samples: [
              { executionId: id, samples: [{ ts: 1, cpuPercent: 1, memoryBytes: 1, processCount: 1 }] },
            ],
          });
        }
        await store.deleteExecution(gone.id);
        expect(await store.getExecution(gone.id)).toBeUndefined();
        expect(await store.getRunSpec(gone.id)).toBeUndefined();
        await expectCode(store.readLog(gone.id), 'not_found');
        expect((await store.listExecutions({ tags: ['a'] })).items).toEqual([]);
        await expectCode(store.deleteExecution(gone.id), 'not_found');

        const kept = await store.getExecution(keep.id);
        expect([kept?.steps.length, kept?.artifacts.length, kept?.annotations.length]).toEqual([1, 1, 1]);
        expect((await store.readLog(keep.id)).lines).toHaveLength(3);
      });
    });

    describe('listExecutions', () => {
      it('filters by status, tag and job exactly as matchesExecutionFilter does (the live filter)', async () => {
        // Every combination over a small world: tags with empty values and `=` in values, runs
        // with and without a job. A backend that disagreed would make the live list and the
        // listed page differ.
        const tagSets: Record<string, string>[] = [
          {},
          { a: '' },
          { a: 'x' },
          { a: 'x', b: 'x=y' },
          { b: 'x' },
        ];
        const statuses = ['running', 'succeeded', 'failed'] as const;
        const jobs = [null, 'job-1', 'job-2'];
        const all: Execution[] = [];
        for (const [i, tags] of tagSets.entries()) {
          for (const [j, status] of statuses.entries()) {
            const jobId = jobs[(i + j) % jobs.length] ?? null;
            const created = await store.createExecution({
              spec: { command: 'x', cwd: '/', tags },
              status: 'running',
              ...(jobId ? { job: { jobId, attempt: 1, retryOfId: null, scheduledAt: null } } : {}),
            });
            const execution: Execution = { ...created, status };
            await store.write({ executions: [execution] });
            all.push(execution);
          }
        }
        const tagFilters = [[], ['a'], ['a='], ['a=x'], ['b=x=y'], ['a', 'b'], ['a=x', 'b=x'], ['c']];
        const statusFilters = [undefined, ['running'], ['succeeded', 'failed']] as const;
        for (const tag of tagFilters) {
          for (const status of statusFilters) {
            for (const jobId of [undefined, 'job-1']) {
              const filter: ExecutionFilter = {
                tag,
                ...(status ? { status: [...status] } : {}),
                ...(jobId ? { jobId } : {}),
              };
              const listed = await store.listExecutions({
                tags: tag,
                status: filter.status,
                jobId,
                limit: 500,
              });
              const expected = all.filter((e) => matchesExecutionFilter(e, filter)).map((e) => e.id);
              expect(listed.items.map((e) => e.id).sort(), JSON.stringify(filter)).toEqual(expected.sort());
            }
          }
        }
      });

      // Created oldest first, so the expected listing order is the reverse.
      const seed = async (): Promise<Record<string, Execution>> => {
        const make = async (key: string, spec: Partial<RunSpec>, createdAt: string, status?: 'running') => {
          const created = await store.createExecution({
            spec: { command: `run ${key}`, cwd: '/', ...spec },
            createdAt,
            ...(status ? { status } : {}),
          });
          return [key, created] as const;
        };
        return Object.fromEntries([
          await make(
            'a',
            { name: 'Nightly Build', tags: { env: 'prod', team: 'core' } },
            '2024-01-01T00:00:00.000Z',
          ),
          await make('b', { name: 'lint', tags: { env: 'dev' } }, '2024-01-02T00:00:00.000Z', 'running'),
          await make('c', { name: 'Été déploiement', tags: { team: 'web' } }, '2024-01-03T00:00:00.000Z'),
          await make('d', { command: 'NIGHTLY.sh --fast' }, '2024-01-04T00:00:00.000Z', 'running'),
          await make('e', { name: 'e', tags: { env: 'prod' } }, '2024-01-05T00:00:00.000Z'),
        ]);
      };
      const ids = (items: Execution[]): string[] => items.map((e) => e.id);

      it('lists newest first with a default page size', async () => {
        const x = await seed();
        const page = await store.listExecutions();
        expect(ids(page.items)).toEqual([x.e, x.d, x.c, x.b, x.a].map((e) => e?.id));
        expect(page.nextCursor).toBeNull();
        expect(page.items[0]).toEqual(x.e);
      });

      it('filters by any of several statuses', async () => {
        const x = await seed();
        expect(ids((await store.listExecutions({ status: ['running'] })).items)).toEqual([x.d?.id, x.b?.id]);
        expect((await store.listExecutions({ status: ['queued', 'running'] })).items).toHaveLength(5);
        expect((await store.listExecutions({ status: ['failed'] })).items).toEqual([]);
      });

      it('filters by tags: key=value exact, bare key present, all must match', async () => {
        const x = await seed();
        expect(ids((await store.listExecutions({ tags: ['env=prod'] })).items)).toEqual([x.e?.id, x.a?.id]);
        expect(ids((await store.listExecutions({ tags: ['team'] })).items)).toEqual([x.c?.id, x.a?.id]);
        expect(ids((await store.listExecutions({ tags: ['env=prod', 'team'] })).items)).toEqual([x.a?.id]);
        expect((await store.listExecutions({ tags: ['env=pro'] })).items).toEqual([]);
      });

      it('filters by case-insensitive text in the name or the command', async () => {
        const x = await seed();
        expect(ids((await store.listExecutions({ text: 'nightly' })).items)).toEqual([x.d?.id, x.a?.id]);
        expect(ids((await store.listExecutions({ text: 'ÉTÉ' })).items)).toEqual([x.c?.id]);
        expect(ids((await store.listExecutions({ text: 'run b' })).items)).toEqual([x.b?.id]);
      });

      it('filters by createdAt, both bounds inclusive, combined with other filters', async () => {
        const x = await seed();
        const range = { since: '2024-01-02T00:00:00.000Z', until: '2024-01-04T00:00:00Z' };
        expect(ids((await store.listExecutions(range)).items)).toEqual([x.d?.id, x.c?.id, x.b?.id]);
        expect(
          ids((await store.listExecutions({ ...range, status: ['running'], text: 'lint' })).items),
        ).toEqual([x.b?.id]);
        await expectCode(store.listExecutions({ since: 'yesterday' }), 'validation_failed');
      });

      it('pages with a cursor: pages do not overlap and cover everything', async () => {
        const created: string[] = [];
        for (let i = 0; i < 7; i++)
          created.push((await store.createExecution({ spec: { command: `c${i}`, cwd: '/' } })).id);
        const seen: string[] = [];
        let cursor: string | undefined;
        const sizes: number[] = [];
        for (;;) {
          const page = await store.listExecutions({ limit: 3, ...(cursor ? { cursor } : {}) });
          sizes.push(page.items.length);
          seen.push(...ids(page.items));
          if (page.nextCursor === null) break;
          cursor = page.nextCursor;
        }
        expect(sizes).toEqual([3, 3, 1]);
        expect(seen).toEqual([...created].reverse());
      });

      it('pages within a filter and ends with a null cursor on an exactly full last page', async () => {
        const x = await seed();
        const first = await store.listExecutions({ tags: ['env'], limit: 2 });
        expect(ids(first.items)).toEqual([x.e?.id, x.b?.id]);
        const second = await store.listExecutions({
          tags: ['env'],
          limit: 2,
          cursor: first.nextCursor ?? '',
        });
        expect(ids(second.items)).toEqual([x.a?.id]);
        expect(second.nextCursor).toBeNull();
        expect((await store.listExecutions({ limit: 5 })).nextCursor).toBeNull();
      });

      it('rejects a malformed cursor and a bad limit', async () => {
        for (const cursor of ['not a cursor!', '', '%%%', 'AAAA====']) {
          const error = await rejection(store.listExecutions({ cursor }));
          expect(error.code).toBe('validation_failed');
          expect(error.message).toContain('cursor');
        }
        for (const limit of [0, -1, 1.5, 501, Number.NaN]) {
          await expectCode(store.listExecutions({ limit }), 'validation_failed');
        }
        expect((await store.listExecutions({ limit: 500 })).items).toEqual([]);
      });

      it('lists oldest first with order asc, its cursor paging forwards within the filters', async () => {
        const x = await seed();
        const first = await store.listExecutions({ order: 'asc', limit: 2 });
        expect(ids(first.items)).toEqual([x.a?.id, x.b?.id]);
        const second = await store.listExecutions({ order: 'asc', limit: 2, cursor: first.nextCursor ?? '' });
        expect(ids(second.items)).toEqual([x.c?.id, x.d?.id]);
        const last = await store.listExecutions({ order: 'asc', limit: 2, cursor: second.nextCursor ?? '' });
        expect(ids(last.items)).toEqual([x.e?.id]);
        expect(last.nextCursor).toBeNull();
        expect(ids((await store.listExecutions({ order: 'asc', tags: ['env=prod'] })).items)).toEqual([
          x.a?.id,
          x.e?.id,
        ]);
      });
    });

    describe('executionStats', () => {
      const HOUR = 3_600_000;
      const FROM = Date.parse('2024-03-01T00:00:00.000Z');
      /** An ended execution created `hours` after FROM. */
      const ended = async (hours: number, status: Execution['status'], durationMs: number | null) => {
        const created = await store.createExecution({
          spec: { command: 'x', cwd: '/' },
          createdAt: new Date(FROM + hours * HOUR).toISOString(),
        });
        await store.write({ executions: [{ ...created, status, durationMs }] });
      };

      it('counts by status and per bucket, with nearest-rank median and p95, empty buckets included', async () => {
        for (const [i, ms] of [100, 200, 300, 400, 500, 600, 700, 800, 900, 1000].entries()) {
          await ended(0, i < 7 ? 'succeeded' : 'failed', ms);
        }
        await ended(2, 'timed_out', 50);
        await ended(2, 'interrupted', null);
        await ended(2, 'cancelled', 10);
        await ended(-1, 'succeeded', 1); // before the range
        await ended(4, 'succeeded', 1); // after it
        const stats = await store.executionStats({ fromMs: FROM, toMs: FROM + 3 * HOUR - 1, bucketMs: HOUR });
        expect(stats.byStatus).toMatchObject({ succeeded: 7, failed: 3, timed_out: 1, interrupted: 1 });
        expect(stats.byStatus.cancelled).toBe(1);
        expect(stats.byStatus.queued).toBe(0);
        expect(stats.buckets).toEqual([
          {
            start: '2024-03-01T00:00:00.000Z',
            total: 10,
            succeeded: 7,
            failed: 3,
            cancelled: 0,
            medianDurationMs: 500,
            p95DurationMs: 1000,
          },
          {
            start: '2024-03-01T01:00:00.000Z',
            total: 0,
            succeeded: 0,
            failed: 0,
            cancelled: 0,
            medianDurationMs: null,
            p95DurationMs: null,
          },
          {
            start: '2024-03-01T02:00:00.000Z',
            total: 3,
            succeeded: 0,
            failed: 2,
            cancelled: 1,
            medianDurationMs: 10,
            p95DurationMs: 50,
          },
        ]);
      });

      it('rejects a range of too many buckets and a bad bucket size', async () => {
        await expectCode(
          store.executionStats({ fromMs: 0, toMs: 1e12, bucketMs: 1000 }),
          'validation_failed',
        );
        await expectCode(store.executionStats({ fromMs: 0, toMs: 10, bucketMs: 0 }), 'validation_failed');
      });
    });

    describe('listArtifacts', () => {
      const withArtifacts = async (name: string, createdAt: string, artifacts: Artifact[]) => {
        const created = await store.createExecution({ spec: { name, command: 'x', cwd: '/' }, createdAt });
        await store.write({ artifacts: artifacts.map((a) => ({ executionId: created.id, artifact: a })) });
        return created;
      };

      it('lists newest execution first, its artifacts newest first, with their execution, paging by cursor', async () => {
        const old = await withArtifacts('数据处理', '2024-01-01T00:00:00.000Z', [artifact(1), artifact(2)]);
        await withArtifacts('no artifacts', '2024-01-02T00:00:00.000Z', []);
        const recent = await withArtifacts('train-model', '2024-01-03T00:00:00.000Z', [
          artifact(1, { path: 'model.bin', description: 'Weights ÉTÉ' }),
        ]);
        const seen: string[] = [];
        let cursor: string | undefined;
        for (;;) {
          const page = await store.listArtifacts({ limit: 2, ...(cursor ? { cursor } : {}) });
          seen.push(...page.items.map((a) => `${a.executionName}#${a.id}`));
          if (page.nextCursor === null) break;
          cursor = page.nextCursor;
        }
        expect(seen).toEqual(['train-model#1', '数据处理#2', '数据处理#1']);
        const [first] = (await store.listArtifacts({ limit: 1 })).items;
        expect(first).toEqual({
          ...artifact(1, { path: 'model.bin', description: 'Weights ÉTÉ' }),
          executionId: recent.id,
          executionName: 'train-model',
          executionStatus: 'queued',
          executionCreatedAt: recent.createdAt,
          stepName: null,
        });
        const names = async (text: string) =>
          (await store.listArtifacts({ text })).items.map(
            (a) => `${a.executionId === old.id ? 'old' : 'new'}#${a.id}`,
          );
        expect(await names('été')).toEqual(['new#1']); // description, beyond ASCII
        expect(await names('FILE-2')).toEqual(['old#2']); // path
        expect(await names('数据')).toEqual(['old#2', 'old#1']); // execution name
      });

      it('rejects a malformed cursor and a bad limit', async () => {
        for (const cursor of ['nope!', encodeURIComponent('x'), 'eA']) {
          expect((await rejection(store.listArtifacts({ cursor }))).message).toContain('cursor');
        }
        for (const limit of [0, 501, 1.5])
          await expectCode(store.listArtifacts({ limit }), 'validation_failed');
      });
    });

    describe('log', () => {
      const running = async (): Promise<string> =>
        (await store.createExecution({ spec: { command: 'x', cwd: '/' }, status: 'running' })).id;

      it('round-trips lines with stream, step, flags and timestamps', async () => {
        const id = await running();
        const lines: LogLine[] = [
          line(1, { text: '::group::build', flags: LineFlag.Marker, stepId: 1 }),
          line(2, { stepId: 1, ts: 1_700_000_000_005 }),
          line(3, { stepId: 1, ts: 1_700_000_000_005, stream: 'stderr' }),
          line(4, { stepId: 1, ts: 1_700_000_000_004, stream: 'stderr', flags: LineFlag.Continued }),
          line(5, { stepId: null, stream: 'system', ts: 1_700_000_009_999 }),
          line(6, { stepId: 2, flags: LineFlag.Marker | LineFlag.Continued }),
          line(7, { stepId: 2 }),
        ];
        await store.write({ lines: [{ executionId: id, lines: lines.slice(0, 3) }] });
        await store.write({ lines: [{ executionId: id, lines: lines.slice(3) }] });
        expect(await store.readLog(id)).toEqual({ lines, nextAfter: 7, hasMore: false });
      });

      it('preserves unicode, empty, blank and control-character lines', async () => {
        const id = await running();
        const texts = [
          '',
          'héllo wörld',
          '日本語のログ',
          '🚀 emoji 👩‍💻',
          '   ',
          '',
          'tab\there',
          'cr\r',
          'nul\u0000byte',
          'a\nb',
          '',
        ];
        const lines = texts.map((text, i) => line(i + 1, { text }));
        await store.write({ lines: [{ executionId: id, lines }] });
        expect((await store.readLog(id)).lines).toEqual(lines);
      });

      it('round-trips long logs of every kind of text, also across retried and overlapping batches', async () => {
        // Long enough that the SQLite store deflates each chunk; the overlapping batches make it
        // encode again from what is stored.
        const id = await running();
        const texts = [
          'héllo wörld ✓',
          '日本語のログ',
          '🚀 emoji 👩‍💻',
          '',
          'nul\u0000byte',
          '\x1b[31mred\x1b[0m',
          'tab\tcr\r',
        ];
        const all = makeLines(1, 3000, (seq) => ({
          text: `${texts[seq % texts.length] ?? ''} ${seq}`,
          stream: seq > 2500 ? 'stderr' : 'stdout',
          ts: BASE_TS + Math.floor(seq / 7),
        }));
        await store.write({ lines: [{ executionId: id, lines: all.slice(0, 1200) }] });
        await store.write({ lines: [{ executionId: id, lines: all.slice(1000, 2600) }] });
        await store.write({ lines: [{ executionId: id, lines: all.slice(1000, 2600) }] });
        await store.write({ lines: [{ executionId: id, lines: all.slice(2400) }] });
        expect(await collect(store, id, { limit: 10_000 })).toEqual(all);
        expect(await collect(store, id, { text: '日本語', limit: 100 })).toEqual(
          all.filter((l) => l.text.includes('日本語')),
        );
        expect((await store.searchLog(id, { text: 'RED' })).lineTotal).toBe(
          all.filter((l) => l.text.includes('red')).length,
        );
      });

      it('does not store lines it already has: overlapping and retried batches', async () => {
        const id = await running();
        await store.write({ lines: [{ executionId: id, lines: makeLines(1, 10) }] });
        await store.write({ lines: [{ executionId: id, lines: makeLines(6, 15) }] });
        await store.write({ lines: [{ executionId: id, lines: makeLines(6, 15) }] });
        await store.write({ lines: [{ executionId: id, lines: makeLines(1, 3) }] });
        expect((await store.readLog(id)).lines).toEqual(makeLines(1, 15));
      });

      it('keeps lineCount at the highest stored seq', async () => {
        const id = await running();
        await store.write({ lines: [{ executionId: id, lines: makeLines(1, 30) }] });
        const execution = await store.getExecution(id);
        expect(execution?.lineCount).toBe(30);
        const row = executionOf(execution as ExecutionDetail);
        await store.write({ executions: [{ ...row, status: 'succeeded', lineCount: 12 }] });
        expect(await store.getExecution(id)).toMatchObject({ status: 'succeeded', lineCount: 30 });
      });

      it('pages with after and limit, reporting hasMore and nextAfter', async () => {
        const id = await running();
        const all = makeLines(1, 2500, (seq) => ({ stepId: seq <= 1200 ? 1 : 2 }));
        await store.write({ lines: [{ executionId: id, lines: all }] });
        const first = await store.readLog(id, { limit: 1000 });
        expect(first).toMatchObject({ nextAfter: 1000, hasMore: true });
        expect(first.lines).toEqual(all.slice(0, 1000));
        const mid = await store.readLog(id, { after: 999, limit: 3 });
        expect(mid.lines.map((l) => l.seq)).toEqual([1000, 1001, 1002]);
        expect(await collect(store, id, { limit: 700 })).toEqual(all);
        const tail = await store.readLog(id, { after: 2400 });
        expect(tail).toMatchObject({ nextAfter: 2500, hasMore: false });
        expect(tail.lines).toHaveLength(100);
        expect(await store.readLog(id, { after: 2500 })).toEqual({
          lines: [],
          nextAfter: 2500,
          hasMore: false,
        });
        const exact = await store.readLog(id, { after: 2000, limit: 500 });
        expect(exact).toMatchObject({ nextAfter: 2500, hasMore: false });
      });

      it('reads the unfiltered log as text pages: the stored bytes, long lines joined, every line once', async () => {
        const id = await running();
        const texts = ['héllo wörld', '', '🚀 emoji 👩‍💻', 'tab\there', 'a\nb'];
        const all = makeLines(1, 2600, (seq) => ({
          text: seq % 7 === 0 ? (texts[seq % texts.length] as string) : `line ${seq}`,
          stepId: seq <= 1200 ? 1 : 2,
          stream: seq % 500 < 3 ? 'stderr' : 'stdout',
          // A long line split in three pieces (1500–1502), and markers here and there.
          flags: seq === 1500 || seq === 1501 ? LineFlag.Continued : seq % 250 === 0 ? LineFlag.Marker : 0,
        }));
        await store.write({ lines: [{ executionId: id, lines: all.slice(0, 1700) }] });
        await store.write({ lines: [{ executionId: id, lines: all.slice(1700) }] });
        const whole = renderLogText(all);
        expect(whole).toContain(`${all[1499]?.text}${all[1500]?.text}${all[1501]?.text}\n`);

        const one = await store.readLogText(id, { limit: 10_000 });
        expect(one).toMatchObject({ nextAfter: 2600, hasMore: false });
        expect(one.text.toString('utf8')).toBe(whole);

        // Pages that start inside chunks (limit 333): concatenated, the same text, in order.
        let text = '';
        let after = 0;
        for (let pages = 0; ; pages++) {
          expect(pages).toBeLessThan(20);
          const page = await store.readLogText(id, { after, limit: 333 });
          expect(page.nextAfter).toBeGreaterThan(after);
          text += page.text.toString('utf8');
          after = page.nextAfter;
          if (!page.hasMore) break;
        }
        expect(after).toBe(2600);
        expect(text).toBe(whole);

        const tail = await store.readLogText(id, { after: 2598 });
        expect(tail.text.toString('utf8')).toBe(renderLogText(all.slice(2598)));
        expect(await store.readLogText(id, { after: 2600 })).toEqual({
          text: Buffer.alloc(0),
          nextAfter: 2600,
          hasMore: false,
        });
      });

      it('bounds a log text page by bytes too: about a MiB, whatever the line count', async () => {
        const id = await running();
        const all = makeLines(1, 300, (seq) => ({ text: `${seq} `.padEnd(10_000, 'x') }));
        await store.write({ lines: [{ executionId: id, lines: all }] });
        const first = await store.readLogText(id, { limit: 10_000 });
        expect(first.hasMore).toBe(true);
        expect(first.text.length).toBeGreaterThanOrEqual(1 << 20);
        expect(first.text.length).toBeLessThan(1.5 * (1 << 20));
        const rest = await store.readLogText(id, { after: first.nextAfter, limit: 10_000 });
        const third = rest.hasMore
          ? await store.readLogText(id, { after: rest.nextAfter, limit: 10_000 })
          : undefined;
        const text = first.text.toString() + rest.text.toString() + (third?.text.toString() ?? '');
        expect(text).toBe(renderLogText(all));
      });

      it('reading log text: unknown runs, bad pages and an empty log', async () => {
        await expectCode(store.readLogText('no-such-run'), 'not_found');
        const id = await running();
        await expectCode(store.readLogText(id, { limit: 0 }), 'validation_failed');
        await expectCode(store.readLogText(id, { after: -1 }), 'validation_failed');
        expect(await store.readLogText(id)).toEqual({ text: Buffer.alloc(0), nextAfter: 0, hasMore: false });
      });

      it('filters by stream, step and case-sensitive text, paging within the filter', async () => {
        const id = await running();
        const all = makeLines(1, 3000, (seq) => ({
          stream: seq % 3 === 0 ? 'stderr' : 'stdout',
          stepId: seq <= 1500 ? 1 : 2,
          text: seq % 250 === 0 ? `ERROR at ${seq}` : `ok ${seq} error-free`,
        }));
        await store.write({ lines: [{ executionId: id, lines: all }] });
        const expectFilter = async (query: LogQuery, predicate: (l: LogLine) => boolean): Promise<void> => {
          const expected = all.filter(predicate);
          expect(expected.length).toBeGreaterThan(0);
          expect(await collect(store, id, { ...query, limit: 7 })).toEqual(expected);
        };
        await expectFilter({ stream: 'stderr' }, (l) => l.stream === 'stderr');
        await expectFilter({ stepId: 2 }, (l) => l.stepId === 2);
        await expectFilter({ text: 'ERROR' }, (l) => l.text.includes('ERROR'));
        await expectFilter(
          { text: 'ERROR', stream: 'stdout', stepId: 1 },
          (l) => l.text.includes('ERROR') && l.stream === 'stdout' && l.stepId === 1,
        );
        await expectFilter({ after: 2600, text: 'ERROR' }, (l) => l.seq > 2600 && l.text.includes('ERROR'));

        const last = await store.readLog(id, { text: 'ERROR', after: 2700, limit: 1 });
        expect(last.lines.map((l) => l.seq)).toEqual([2750]);
        expect(last).toMatchObject({ nextAfter: 2750, hasMore: true });
        expect(await store.readLog(id, { text: 'ERROR', after: 2750, limit: 2 })).toMatchObject({
          nextAfter: 3000,
          hasMore: false,
        });
        expect(await store.readLog(id, { text: 'nowhere', after: 10 })).toEqual({
          lines: [],
          nextAfter: 10,
          hasMore: false,
        });
        expect(await store.readLog(id, { stepId: 99 })).toEqual({ lines: [], nextAfter: 0, hasMore: false });
      });

      it('rejects bad paging parameters and unknown executions', async () => {
        const id = await running();
        for (const query of [
          { limit: 0 },
          { limit: 10_001 },
          { limit: 2.5 },
          { after: -1 },
          { after: 1.5 },
        ]) {
          await expectCode(store.readLog(id, query), 'validation_failed');
        }
        expect((await store.readLog(id, { limit: 10_000 })).lines).toEqual([]);
        await expectCode(store.readLog('unknown'), 'not_found');
      });
    });

    describe('log outline and search', () => {
      const running = async (): Promise<string> =>
        (await store.createExecution({ spec: { command: 'x', cwd: '/' }, status: 'running' })).id;

      it('outlines the log by step, merging chunks of one step whatever their stream', async () => {
        const id = await running();
        expect(await store.readLogOutline(id)).toEqual({ lastSeq: 0, segments: [] });
        const lines = makeLines(1, 2600, (seq) => ({
          stepId: seq <= 2 ? null : seq <= 1500 ? 1 : seq <= 1510 ? 2 : 1,
          stream: seq % 2 === 0 ? 'stderr' : 'stdout',
        }));
        await store.write({ lines: [{ executionId: id, lines: lines.slice(0, 2000) }] });
        await store.write({ lines: [{ executionId: id, lines: lines.slice(2000) }] });
        expect(await store.readLogOutline(id)).toEqual({
          lastSeq: 2600,
          segments: [
            { stepId: null, firstSeq: 1, lastSeq: 2 },
            { stepId: 1, firstSeq: 3, lastSeq: 1500 },
            { stepId: 2, firstSeq: 1501, lastSeq: 1510 },
            { stepId: 1, firstSeq: 1511, lastSeq: 2600 },
          ],
        });
        await expectCode(store.readLogOutline('unknown'), 'not_found');
      });

      it('searches case-insensitively without ANSI escapes, with whole-log totals and paging', async () => {
        const id = await running();
        const lines = makeLines(1, 3000, (seq) => ({
          text:
            seq % 500 === 0
              ? `\x1b[31mFa\x1b[0mil at ${seq}: fail FAIL`
              : seq % 300 === 0
                ? `Échec ${seq} fail`
                : `ok ${seq}`,
        }));
        await store.write({ lines: [{ executionId: id, lines }] });
        const expected = lines.filter((l) => l.seq % 500 === 0 || l.seq % 300 === 0);
        const total = lines.reduce((sum, l) => sum + (l.seq % 500 === 0 ? 3 : l.seq % 300 === 0 ? 1 : 0), 0);
        const all = await store.searchLog(id, { text: 'fAiL' });
        expect(all).toMatchObject({ total, lineTotal: expected.length, hasMore: false });
        expect(all.matches).toEqual(expected.map((l) => ({ seq: l.seq, count: l.seq % 500 === 0 ? 3 : 1 })));
        const page = await store.searchLog(id, { text: 'fail', after: 600, limit: 2 });
        expect(page).toMatchObject({ total, lineTotal: expected.length, nextAfter: 1000, hasMore: true });
        expect(page.matches.map((m) => m.seq)).toEqual([900, 1000]);
        expect((await store.searchLog(id, { text: 'échec' })).lineTotal).toBe(
          lines.filter((l) => l.seq % 300 === 0 && l.seq % 500 !== 0).length,
        );
        expect(await store.searchLog(id, { text: '[31m' })).toMatchObject({ total: 0, matches: [] });
        expect(await store.searchLog(id, { text: 'nowhere', after: 5 })).toEqual({
          total: 0,
          lineTotal: 0,
          matches: [],
          nextAfter: 5,
          hasMore: false,
        });
        for (const query of [
          { text: '' },
          { text: 'x'.repeat(201) },
          { text: 'a', limit: 0 },
          { text: 'a', after: -1 },
        ]) {
          await expectCode(store.searchLog(id, query), 'validation_failed');
        }
        await expectCode(store.searchLog('unknown', { text: 'a' }), 'not_found');
      });
    });

    describeRunSearchContract(() => store);
    describeRetentionContract(() => store);

    describe('recoverInterrupted', () => {
      it('interrupts runs of dead owners, closes their running steps, keeps their lines, spares live owners', async () => {
        const dead: ExecutionOwner = { host: 'old-host', pid: 4242, startTime: 1 };
        const alive: ExecutionOwner = { host: 'this-host', pid: 99, startTime: 2 };
        const make = async (owner: ExecutionOwner | null, status: 'queued' | 'running') =>
          store.createExecution({
            spec: { command: 'x', cwd: '/' },
            owner,
            status,
            createdAt: '2024-01-01T00:00:00.000Z',
          });
        const orphan = await make(dead, 'running');
        const orphanQueued = await make(dead, 'queued');
        const ownerless = await make(null, 'queued');
        const healthy = await make(alive, 'running');
        const done = await make(dead, 'running');
        await store.write({
          executions: [
            { ...done, status: 'succeeded', endedAt: '2024-01-01T00:00:01.000Z', durationMs: 1000 },
          ],
          steps: [
            { executionId: orphan.id, step: step(1, { status: 'succeeded' }) },
            { executionId: orphan.id, step: step(2, { status: 'running', endedAt: null, durationMs: null }) },
            {
              executionId: healthy.id,
              step: step(1, { status: 'running', endedAt: null, durationMs: null }),
            },
          ],
          lines: [{ executionId: orphan.id, lines: makeLines(1, 20) }],
        });

        const asked: ExecutionOwner[] = [];
        const changed = await store.recoverInterrupted((owner) => {
          asked.push(owner);
          return owner.pid === alive.pid;
        });

        expect([...changed].sort()).toEqual([orphan.id, orphanQueued.id, ownerless.id].sort());
        expect(asked).toHaveLength(2);
        expect(asked).toEqual(expect.arrayContaining([dead, alive]));

        const recovered = await store.getExecution(orphan.id);
        expect(recovered).toMatchObject({ status: 'interrupted' });
        expect(recovered?.error).toMatch(/died.*pid 4242.*old-host/);
        expect(Date.parse(recovered?.endedAt ?? '')).toBeGreaterThanOrEqual(
          Date.parse('2024-01-01T00:00:00.000Z'),
        );
        expect(recovered?.durationMs).toBeGreaterThanOrEqual(0);
        expect(recovered?.steps[0]).toEqual(step(1, { status: 'succeeded' }));
        expect(recovered?.steps[1]).toMatchObject({ status: 'cancelled', endedAt: recovered?.endedAt });
        expect(recovered?.steps[1]?.durationMs).toBeGreaterThanOrEqual(0);
        expect((await store.readLog(orphan.id)).lines).toEqual(makeLines(1, 20));
        expect(await store.getExecution(ownerless.id)).toMatchObject({ status: 'interrupted' });

        expect(await store.getExecution(healthy.id)).toMatchObject({ status: 'running', endedAt: null });
        expect((await store.getExecution(healthy.id))?.steps[0]?.status).toBe('running');
        expect(await store.getExecution(done.id)).toMatchObject({ status: 'succeeded' });
        expect(await store.recoverInterrupted((owner) => owner.pid === alive.pid)).toEqual([]);
      });
    });

    describe('last sign of life', () => {
      const owner: ExecutionOwner = { host: 'h', pid: 11, startTime: 5 };
      const other: ExecutionOwner = { host: 'h', pid: 12, startTime: 5 };
      const make = (who: ExecutionOwner, status: 'queued' | 'running') =>
        store.createExecution({
          spec: { command: 'x', cwd: '/' },
          owner: who,
          status,
          createdAt: '2024-01-01T00:00:00.000Z',
        });

      it('is the latest of the start, lines, steps, artifacts and samples; null for an unknown id', async () => {
        const e = await make(owner, 'running');
        expect(await store.lastSignOfLife(e.id)).toBe('2024-01-01T00:00:00.000Z');
        const at = (iso: string) => Date.parse(iso);
        await store.write({
          lines: [
            {
              executionId: e.id,
              lines: makeLines(1, 3, (seq) => ({ ts: at('2024-01-01T00:00:01Z') + seq * 1000 })),
            },
          ],
        });
        expect(await store.lastSignOfLife(e.id)).toBe('2024-01-01T00:00:04.000Z');
        await store.write({
          steps: [{ executionId: e.id, step: step(1, { endedAt: '2024-01-01T00:00:05.000Z' }) }],
        });
        expect(await store.lastSignOfLife(e.id)).toBe('2024-01-01T00:00:05.000Z');
        await store.write({
          artifacts: [
            { executionId: e.id, artifact: artifact(1, { createdAt: '2024-01-01T00:00:06.000Z' }) },
          ],
        });
        expect(await store.lastSignOfLife(e.id)).toBe('2024-01-01T00:00:06.000Z');
        await store.write({
          samples: [
            {
              executionId: e.id,
              samples: [{ ts: at('2024-01-01T00:00:07Z'), cpuPercent: 1, memoryBytes: 1, processCount: 1 }],
            },
          ],
        });
        expect(await store.lastSignOfLife(e.id)).toBe('2024-01-01T00:00:07.000Z');
        expect(await store.lastSignOfLife('unknown')).toBeNull();
      });

      it('takes the owner’s heartbeat for its open executions only, and recovery ends them there', async () => {
        const running = await make(owner, 'running');
        const queued = await make(owner, 'queued');
        const theirs = await make(other, 'running');
        const finished = await make(owner, 'running');
        await store.write({
          executions: [
            { ...finished, status: 'succeeded', endedAt: '2024-01-01T00:00:01.000Z', durationMs: 1000 },
          ],
          lines: [
            {
              executionId: running.id,
              lines: makeLines(1, 5, () => ({ ts: Date.parse('2024-01-01T00:00:02Z') })),
            },
          ],
        });
        await store.write({ ownerSeen: { owner, at: '2024-01-01T00:10:00.000Z' } });

        expect(await store.lastSignOfLife(running.id)).toBe('2024-01-01T00:10:00.000Z');
        expect(await store.lastSignOfLife(queued.id)).toBe('2024-01-01T00:10:00.000Z');
        expect(await store.lastSignOfLife(theirs.id)).toBe('2024-01-01T00:00:00.000Z');
        expect(await store.lastSignOfLife(finished.id)).toBe('2024-01-01T00:00:00.000Z');

        // Found long after: they end at the heartbeat, not now.
        const changed = await store.recoverInterrupted((who) => who.pid === other.pid);
        expect([...changed].sort()).toEqual([running.id, queued.id].sort());
        expect(await store.getExecution(running.id)).toMatchObject({
          status: 'interrupted',
          endedAt: '2024-01-01T00:10:00.000Z',
          durationMs: 600_000,
        });
        expect(await store.getExecution(queued.id)).toMatchObject({
          status: 'interrupted',
          endedAt: '2024-01-01T00:10:00.000Z',
          durationMs: null,
        });
        expect(await store.getExecution(finished.id)).toMatchObject({ status: 'succeeded' });
      });
    });

    describe('cancel requests', () => {
      const owner: ExecutionOwner = { host: 'h', pid: 21, startTime: 7 };
      const other: ExecutionOwner = { host: 'h', pid: 22, startTime: 7 };
      const make = (who: ExecutionOwner, status: 'queued' | 'running') =>
        store.createExecution({ spec: { command: 'x', cwd: '/' }, owner: who, status });
      const sorted = (ids: string[]) => [...ids].sort();

      it('records a request on an open execution once, keeping the first time, and lists it for its owner only', async () => {
        const running = await make(owner, 'running');
        const queued = await make(owner, 'queued');
        const untouched = await make(owner, 'running');
        const theirs = await make(other, 'running');
        expect(await store.cancelRequests(owner)).toEqual([]);

        const first = await store.requestCancel(running.id, '2024-01-01T00:00:01.000Z');
        expect(first).toEqual({ execution: running, requestedAt: '2024-01-01T00:00:01.000Z' });
        const again = await store.requestCancel(running.id, '2024-01-01T00:00:09.000Z');
        expect(again.requestedAt).toBe('2024-01-01T00:00:01.000Z');
        await store.requestCancel(queued.id, '2024-01-01T00:00:02.000Z');
        await store.requestCancel(theirs.id, '2024-01-01T00:00:03.000Z');

        expect(await store.cancelRequests(owner)).toEqual(sorted([running.id, queued.id]));
        expect(await store.cancelRequests(other)).toEqual([theirs.id]);
        expect(await store.cancelRequests({ ...owner, startTime: 8 })).toEqual([]);
        // A request changes nothing else: the owner decides when and how the run ends.
        expect(await store.getExecution(running.id)).toMatchObject({ status: 'running', endedAt: null });
        expect(await store.getExecution(untouched.id)).toMatchObject({ status: 'running' });

        // The owner's writes overwrite the whole row: the request survives them…
        await store.write({
          executions: [{ ...running, lineCount: 3 }],
          ownerSeen: { owner, at: running.createdAt },
        });
        expect(await store.cancelRequests(owner)).toEqual(sorted([running.id, queued.id]));
        // …and an execution that has ended is no longer asked about.
        await store.write({
          executions: [
            { ...running, status: 'cancelled', endedAt: '2024-01-01T00:00:02.000Z', durationMs: 1 },
          ],
        });
        expect(await store.cancelRequests(owner)).toEqual([queued.id]);
      });

      it('leaves an ended execution as it is, and refuses an unknown id or a bad time', async () => {
        const e = await make(owner, 'running');
        const ended = {
          ...e,
          status: 'succeeded' as const,
          endedAt: '2024-01-01T00:00:05.000Z',
          durationMs: 5,
        };
        await store.write({ executions: [ended] });
        expect(await store.requestCancel(e.id, '2024-01-01T00:00:06.000Z')).toEqual({
          execution: ended,
          requestedAt: null,
        });
        expect(await store.getExecution(e.id)).toMatchObject({ status: 'succeeded' });
        expect(await store.cancelRequests(owner)).toEqual([]);
        await expectCode(store.requestCancel('unknown', '2024-01-01T00:00:06.000Z'), 'not_found');
        const open = await make(owner, 'running');
        await expectCode(store.requestCancel(open.id, 'yesterday'), 'validation_failed');
        expect(await store.cancelRequests(owner)).toEqual([]);
      });

      it('reaches the owner through another store on the same storage, which moves its change marker', async () => {
        const mine = await make(owner, 'running');
        const another = await harness.openAnother();
        const before = await store.changeMarker();
        expect(await store.changeMarker()).toBe(before);

        await another.requestCancel(mine.id, '2024-01-01T00:00:01.000Z');
        const after = await store.changeMarker();
        expect(after).not.toBe(before);
        expect(await store.cancelRequests(owner)).toEqual([mine.id]);
        expect(await store.changeMarker()).toBe(after);
      });
    });

    describe('full storage', () => {
      it('fails a write with store_full keeping nothing of it, and takes the same batch once there is room', async () => {
        const e = await store.createExecution({ spec: { command: 'x', cwd: '/' }, status: 'running' });
        const text = (seq: number) => ({ text: `line ${seq} ${'x'.repeat(200)}` });
        await store.write({ lines: [{ executionId: e.id, lines: makeLines(1, 10, text) }] });
        const free = await harness.fill();
        const batch = {
          executions: [
            { ...e, status: 'succeeded' as const, endedAt: '2024-01-01T00:00:01.000Z', lineCount: 5000 },
          ],
          lines: [{ executionId: e.id, lines: makeLines(11, 5000, text) }],
        };
        const full = await rejection(store.write(batch));
        expect(full.code).toBe('store_full');
        expect(full.message).toMatch(/full/);
        // Reads still work, and show the state before the failed write.
        expect(await store.getExecution(e.id)).toMatchObject({ status: 'running' });
        expect((await store.readLog(e.id, { limit: 10_000 })).lines).toHaveLength(10);

        await free();
        await store.write(batch);
        expect(await store.getExecution(e.id)).toMatchObject({ status: 'succeeded', lineCount: 5000 });
        expect(await collect(store, e.id, { limit: 10_000 })).toEqual(makeLines(1, 5000, text));
      });
    });

    describe('sharing storage', () => {
      it('lets two stores on the same storage write and read each other’s executions', async () => {
        const other = await harness.openAnother();
        const mine = await store.createExecution({ spec: { command: 'mine', cwd: '/' }, status: 'running' });
        const theirs = await other.createExecution({
          spec: { command: 'theirs', cwd: '/' },
          status: 'running',
        });
        await store.write({ lines: [{ executionId: mine.id, lines: makeLines(1, 5) }] });
        await other.write({ lines: [{ executionId: theirs.id, lines: makeLines(1, 7) }] });
        expect((await other.readLog(mine.id)).lines).toEqual(makeLines(1, 5));
        expect((await store.readLog(theirs.id)).lines).toEqual(makeLines(1, 7));
        expect((await store.listExecutions()).items.map((e) => e.id).sort()).toEqual(
          [mine.id, theirs.id].sort(),
        );
      });

      it('skips lines another store already wrote for the same execution', async () => {
        const other = await harness.openAnother();
        const e = await store.createExecution({ spec: { command: 'x', cwd: '/' }, status: 'running' });
        await store.write({ lines: [{ executionId: e.id, lines: makeLines(1, 5) }] });
        await other.write({ lines: [{ executionId: e.id, lines: makeLines(1, 8) }] });
        await store.write({ lines: [{ executionId: e.id, lines: makeLines(6, 10) }] });
        expect((await store.readLog(e.id)).lines).toEqual(makeLines(1, 10));
      });

      it('keeps everything after close and reopen', async () => {
        const e = await store.createExecution({
          spec: { command: 'x', cwd: '/', env: { A: '1' } },
          status: 'running',
        });
        await store.write({
          steps: [{ executionId: e.id, step: step(1) }],
          lines: [{ executionId: e.id, lines: makeLines(1, 1500) }],
        });
        await store.close();
        const reopened = await harness.openAnother();
        expect((await reopened.getExecution(e.id))?.steps).toEqual([step(1)]);
        expect(await collect(reopened, e.id, { limit: 1000 })).toEqual(makeLines(1, 1500));
        expect((await reopened.getRunSpec(e.id))?.env).toEqual({ A: '1' });
        await reopened.write({ lines: [{ executionId: e.id, lines: makeLines(1490, 1510) }] });
        expect((await reopened.readLog(e.id, { after: 1400 })).lines).toEqual(makeLines(1401, 1510));
      });
    });
  });
}

const BASE_TS = 1_700_000_000_000;

function line(seq: number, fields: Partial<LogLine> = {}): LogLine {
  return { seq, ts: BASE_TS, stream: 'stdout', stepId: null, text: `line ${seq}`, flags: 0, ...fields };
}

/** Lines `from..to` inclusive; `fields(seq)` overrides per line. */
function makeLines(
  from: number,
  to: number,
  fields: (seq: number) => Partial<LogLine> = () => ({}),
): LogLine[] {
  const lines: LogLine[] = [];
  for (let seq = from; seq <= to; seq++)
    lines.push(line(seq, { ts: BASE_TS + Math.floor(seq / 100), ...fields(seq) }));
  return lines;
}

function step(id: number, fields: Partial<Step> = {}): Step {
  return {
    id,
    parentId: null,
    name: `step ${id}`,
    status: 'succeeded',
    startedAt: '2024-01-01T00:00:01.000Z',
    endedAt: '2024-01-01T00:00:02.000Z',
    durationMs: 1000,
    meta: { k: `v${id}` },
    implicit: id === 1,
    source: 'stepflow',
    error: null,
    estimatedDurationSeconds: 30,
    firstSeq: id * 10,
    hasSummary: false,
    ...fields,
  };
}

function artifact(id: number, fields: Partial<Artifact> = {}): Artifact {
  return {
    id,
    stepId: 1,
    path: `out/file-${id}.txt`,
    description: `artifact ${id}`,
    status: 'stored',
    error: null,
    kind: 'file',
    size: 123,
    sha256: 'ab'.repeat(32),
    mediaType: 'text/plain',
    createdAt: '2024-01-01T00:00:02.000Z',
    storedPath: `artifacts/x/${id}`,
    ...fields,
  };
}

function annotation(id: number, fields: Partial<Annotation> = {}): Annotation {
  return {
    id,
    stepId: 1,
    seq: 3,
    level: 'warning',
    message: 'deprecated call',
    title: 'Deprecation',
    file: 'src/a.ts',
    line: 10,
    col: 2,
    endLine: 11,
    endCol: null,
    ...fields,
  };
}

/** Reads every page of a query and returns the lines, checking the paging invariants on the way. */
async function collect(store: ExecutionStore, id: string, query: LogQuery): Promise<LogLine[]> {
  const lines: LogLine[] = [];
  let after = query.after ?? 0;
  for (let pages = 0; pages < 10_000; pages++) {
    const page = await store.readLog(id, { ...query, after });
    expect(page.lines.length).toBeLessThanOrEqual(query.limit ?? 1000);
    lines.push(...page.lines);
    expect(page.nextAfter).toBe(page.lines.at(-1)?.seq ?? after);
    if (!page.hasMore) return lines;
    expect(page.lines.length).toBe(query.limit ?? 1000);
    after = page.nextAfter;
  }
  throw new Error('readLog never reported the last page');
}

async function rejection(promise: Promise<unknown>): Promise<StepflowError> {
  const error: unknown = await promise.then(
    () => new Error('expected a rejection'),
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(StepflowError);
  return error as StepflowError;
}

async function expectCode(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  expect((await rejection(promise)).code).toBe(code);
}
