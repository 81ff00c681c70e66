import { describe, expect, it } from 'vitest';
import { StepflowError } from '../core/errors.js';
import type { Artifact, Execution, LogLine } from '../core/model.js';
import type { ExecutionStatus } from '../core/statuses.js';
import type { ExecutionStore } from './store.js';

/**
 * The contract of what retention needs of a store (docs/RETENTION.md), part of `store-contract.ts`
 * (which calls this with its fresh store): pins, the ended-run listing, measuring, dropping logs,
 * expiring artifacts, deleting in batches; pinned and open runs never touched.
 */
export function describeRetentionContract(getStore: () => ExecutionStore): void {
  describe('retention', () => {
    const TS = 1_700_000_000_000;
    const line = (seq: number, text: string): LogLine => ({
      seq,
      ts: TS + seq,
      stream: 'stdout',
      stepId: null,
      text,
      flags: 0,
    });
    const artifact = (id: number, fields: Partial<Artifact> = {}): Artifact => ({
      id,
      stepId: null,
      path: `out/${id}.bin`,
      description: '',
      status: 'stored',
      error: null,
      kind: 'file',
      size: 1000 * id,
      sha256: 'ab'.repeat(32),
      mediaType: null,
      createdAt: new Date(TS).toISOString(),
      storedPath: `artifacts/x/${id}`,
      ...fields,
    });
    /** A run of `name` ended with `status` (or left running), with lines and artifacts. */
    const run = async (
      name: string,
      { status = 'succeeded', texts = ['héllo', 'world'], artifacts = [] as Artifact[] } = {} as {
        status?: ExecutionStatus;
        texts?: string[];
        artifacts?: Artifact[];
      },
    ): Promise<Execution> => {
      const store = getStore();
      const created = await store.createExecution({ spec: { name, command: 'true', cwd: '/' } });
      const ended = status !== 'running' && status !== 'queued';
      const execution: Execution = {
        ...created,
        status,
        startedAt: new Date(TS).toISOString(),
        endedAt: ended ? new Date(TS + 1000).toISOString() : null,
        lineCount: texts.length,
      };
      await store.write({
        executions: [execution],
        lines: [{ executionId: created.id, lines: texts.map((text, i) => line(i + 1, text)) }],
        artifacts: artifacts.map((a) => ({ executionId: created.id, artifact: a })),
      });
      return execution;
    };

    it('pins and unpins; the run writing its row again keeps the pin', async () => {
      const store = getStore();
      const a = await run('pin me', { status: 'running' });
      expect((await store.setPinned(a.id, true)).pinned).toBe(true);
      expect((await store.getExecution(a.id))?.pinned).toBe(true);
      await store.write({
        executions: [{ ...a, status: 'succeeded', endedAt: new Date(TS + 5).toISOString() }],
      });
      const after = await store.getExecution(a.id);
      expect(after?.status).toBe('succeeded');
      expect(after?.pinned).toBe(true);
      expect((await store.listExecutions()).items.find((e) => e.id === a.id)?.pinned).toBe(true);
      const unpinned = await store.setPinned(a.id, false);
      expect(unpinned.pinned).toBeUndefined();
      expect((await store.getExecution(a.id))?.pinned).toBeUndefined();
      await expect(store.setPinned('nope', true)).rejects.toMatchObject({ code: 'not_found' });
    });

    it('lists ended runs newest first in keyset pages, with what retention decides on', async () => {
      const store = getStore();
      const open = await run('open', { status: 'running' });
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const e = await run(`r${i}`, {
          status: i === 2 ? 'failed' : 'succeeded',
          artifacts: i === 1 ? [artifact(1)] : [],
        });
        ids.push(e.id);
      }
      await store.setPinned(ids[3]!, true);
      const first = await store.listEndedRuns({ limit: 3 });
      const second = await store.listEndedRuns({ before: first.at(-1)!.id, limit: 3 });
      const all = [...first, ...second];
      expect(all.map((r) => r.id)).toEqual([...ids].reverse());
      expect(all.map((r) => r.id)).not.toContain(open.id);
      expect(all.find((r) => r.id === ids[1])).toEqual({
        id: ids[1],
        jobId: null,
        name: 'r1',
        status: 'succeeded',
        endedAt: new Date(TS + 1000).toISOString(),
        pinned: false,
        logExpired: false,
        hasStoredArtifacts: true,
      });
      expect(all.find((r) => r.id === ids[3])?.pinned).toBe(true);
      expect(all.find((r) => r.id === ids[2])?.status).toBe('failed');
      expect(all.find((r) => r.id === ids[0])?.hasStoredArtifacts).toBe(false);
      expect(await store.listEndedRuns({ before: ids[0]!, limit: 3 })).toEqual([]);
    });

    it('measures log bytes (UTF-8) and stored artifact sizes', async () => {
      const store = getStore();
      const e = await run('m', {
        texts: ['héllo', 'wörld!'],
        artifacts: [
          artifact(1),
          artifact(2),
          artifact(3, { status: 'failed', size: null, storedPath: null }),
        ],
      });
      const [bytes] = await store.measureRuns([e.id]);
      // 'héllo' 6 bytes + 'wörld!' 7 bytes (+ at most one separator between lines, as stored).
      expect(bytes?.id).toBe(e.id);
      expect(bytes?.logBytes).toBeGreaterThanOrEqual(13);
      expect(bytes?.logBytes).toBeLessThanOrEqual(14);
      expect(bytes?.artifactBytes).toBe(3000);
    });

    it('drops the log text of ended runs, keeping the record and steps; the log says it expired', async () => {
      const store = getStore();
      const kept = await run('kept');
      const dropped = await run('dropped');
      const pinned = await run('pinned');
      const open = await run('open', { status: 'running' });
      await store.setPinned(pinned.id, true);
      const at = new Date(TS + 99_000).toISOString();
      const ids = [dropped.id, pinned.id, open.id];
      expect(await store.dropLogs(ids, at)).toEqual([dropped.id]);
      // Again: nothing left to drop.
      expect(await store.dropLogs(ids, at)).toEqual([]);
      const page = await store.readLog(dropped.id);
      expect(page.lines).toEqual([]);
      expect(page.expiredAt).toBe(at);
      const detail = await store.getExecution(dropped.id);
      expect(detail?.logExpiredAt).toBe(at);
      expect(detail?.lineCount).toBe(2);
      expect((await store.measureRuns([dropped.id]))[0]?.logBytes).toBe(0);
      for (const untouched of [kept, pinned, open]) {
        const p = await store.readLog(untouched.id);
        expect(p.lines.map((l) => l.text)).toEqual(['héllo', 'world']);
        expect(p.expiredAt).toBeUndefined();
      }
      expect((await store.listEndedRuns({ limit: 10 })).find((r) => r.id === dropped.id)?.logExpired).toBe(
        true,
      );
    });

    it('marks stored artifacts expired and returns where their files were', async () => {
      const store = getStore();
      const e = await run('a', {
        artifacts: [artifact(1), artifact(2), artifact(3, { status: 'failed', storedPath: null })],
      });
      const pinned = await run('p', { artifacts: [artifact(1)] });
      await store.setPinned(pinned.id, true);
      const expired = await store.expireArtifacts([e.id, pinned.id]);
      expect(expired).toEqual([
        { executionId: e.id, artifactId: 1, storedPath: 'artifacts/x/1', size: 1000 },
        { executionId: e.id, artifactId: 2, storedPath: 'artifacts/x/2', size: 2000 },
      ]);
      const detail = await store.getExecution(e.id);
      expect(detail?.artifacts.map((a) => [a.id, a.status])).toEqual([
        [1, 'expired'],
        [2, 'expired'],
        [3, 'failed'],
      ]);
      // The record stays: its path, size and hash are still shown.
      expect(detail?.artifacts[0]).toMatchObject({ path: 'out/1.bin', size: 1000, storedPath: null });
      expect((await store.getExecution(pinned.id))?.artifacts[0]?.status).toBe('stored');
      expect(await store.expireArtifacts([e.id])).toEqual([]);
      expect((await store.listEndedRuns({ limit: 10 })).find((r) => r.id === e.id)?.hasStoredArtifacts).toBe(
        false,
      );
    });

    it('deletes ended, unpinned runs in one call and skips the rest', async () => {
      const store = getStore();
      const a = await run('a', { artifacts: [artifact(1)] });
      const b = await run('b');
      const pinned = await run('p');
      const open = await run('o', { status: 'running' });
      await store.setPinned(pinned.id, true);
      expect(await store.deleteExecutions([a.id, pinned.id, open.id, 'missing', b.id])).toEqual([a.id, b.id]);
      expect(await store.getExecution(a.id)).toBeUndefined();
      expect(await store.getExecution(b.id)).toBeUndefined();
      await expect(store.readLog(a.id)).rejects.toBeInstanceOf(StepflowError);
      expect(await store.getExecution(pinned.id)).toBeDefined();
      expect(await store.getExecution(open.id)).toBeDefined();
      expect((await store.listExecutions()).items.map((e) => e.id).sort()).toEqual(
        [pinned.id, open.id].sort(),
      );
    });
  });
}
