import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { useTempDirs } from '../../test/helpers/temp-dir.js';
import type { LogLine } from '../core/model.js';
import { loadConfig } from '../config.js';
import { createStepflow, type Stepflow } from '../stepflow.js';

const tempDir = useTempDirs();
const fixture = (name: string) => path.resolve('test/fixtures/limits', name);
const opened: Stepflow[] = [];
afterEach(async () => {
  for (const app of opened.splice(0)) await app.close();
});

async function open(): Promise<Stepflow> {
  const dataDir = tempDir();
  const app = await createStepflow({ ...loadConfig({}, dataDir), dataDir, killGraceMs: 500 });
  opened.push(app);
  return app;
}

async function storedLog(app: Stepflow, id: string): Promise<LogLine[]> {
  await app.writer.flush();
  const lines: LogLine[] = [];
  let after = 0;
  for (;;) {
    const page = await app.store.readLog(id, { after, limit: 10_000 });
    lines.push(...page.lines);
    after = page.nextAfter;
    if (!page.hasMore) return lines;
  }
}

describe('run limits', () => {
  it('kills a process tree past memoryLimitMb and says so on the run', async () => {
    const app = await open();
    const started = Date.now();
    const { done } = await app.engine.submit({
      argv: [fixture('hold-200-mib.sh')],
      cwd: tempDir(),
      limits: { memoryLimitMb: 64 },
    });
    const final = await done;
    // The child holds its memory for 30 s: only the limit ends it this early.
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(final.status).toBe('failed');
    expect(final.limits).toEqual({ memoryLimitMb: 64 });
    expect(final.limitHits).toHaveLength(1);
    const [hit] = final.limitHits;
    expect(hit).toMatchObject({
      kind: 'memory',
      limit: 64 * 1024 * 1024,
      action: 'killed',
      enforcement: 'sampled',
    });
    expect(hit!.observed).toBeGreaterThan(150 * 1024 * 1024);
    expect(final.error).toMatch(
      /^killed: memory limit 64 MB exceeded \(peak \d+ MB; best-effort, sampled every 1 s\)$/,
    );
    const log = (await storedLog(app, final.id)).map((l) => l.text);
    expect(log).not.toContain('never printed when the memory limit works');
    expect(log.at(-1)).toBe(`⚠ ${final.error}`);
    const stored = await app.store.getExecution(final.id);
    expect(stored?.limitHits).toEqual(final.limitHits);
  });

  it('under truncate stores the head and the tail of the log with a marked gap, and keeps every step', async () => {
    const app = await open();
    const { done } = await app.engine.submit({
      argv: [fixture('three-steps-3000-lines.py')],
      cwd: tempDir(),
      limits: { maxLines: 200, logLimitPolicy: 'truncate' },
    });
    const final = await done;
    expect(final.status).toBe('succeeded');
    const log = await storedLog(app, final.id);
    const texts = log.map((l) => l.text);
    // 3006 lines printed (3000 and six markers): the first 100, the gap, the last 100.
    expect(texts.slice(0, 3)).toEqual(['STEP_START:first', 'first 0', 'first 1']);
    expect(texts[100]).toBe(
      '… 2,806 lines (' + texts[100]!.split('(')[1]!.split(')')[0] + ') dropped by maxLines …',
    );
    expect(log[100]).toMatchObject({ seq: 101, stream: 'system', stepId: null });
    expect(texts.slice(101, 103)).toEqual(['last 901', 'last 902']);
    expect(texts.at(-1)).toBe('STEP_COMPLETE:last');
    expect(log).toHaveLength(201);
    expect(final.lineCount).toBe(3006);
    // The markers in the dropped middle were still interpreted.
    const detail = await app.store.getExecution(final.id);
    expect(detail!.steps.map((s) => [s.name, s.status])).toEqual([
      ['first', 'succeeded'],
      ['middle', 'succeeded'],
      ['last', 'succeeded'],
    ]);
    expect(final.limitHits).toEqual([
      expect.objectContaining({
        kind: 'lines',
        limit: 200,
        observed: 3006,
        enforcement: 'counted',
        action: 'truncated',
        dropped: { lines: 2806, bytes: expect.any(Number) },
      }),
    ]);
    expect(final.limitHits[0]!.message).toMatch(/^log truncated by maxLines 200: .*; 2,806 of 3,006 lines/);
  });

  it('under fail stops a run printing past maxLines', async () => {
    const app = await open();
    const { done } = await app.engine.submit({
      argv: [fixture('print-forever.sh')],
      cwd: tempDir(),
      limits: { maxLines: 500, logLimitPolicy: 'fail' },
    });
    const final = await done;
    expect(final.status).toBe('failed');
    expect(final.error).toBe('failed: log limit maxLines 500 exceeded; the run was stopped');
    expect(final.limitHits).toEqual([
      expect.objectContaining({ kind: 'lines', action: 'failed', limit: 500 }),
    ]);
    const texts = (await storedLog(app, final.id)).map((l) => l.text);
    expect(texts.slice(0, 500)).toEqual(Array.from({ length: 500 }, (_, i) => `line ${i + 1}`));
    expect(texts[500]).toMatch(/^… [\d,]+ lines \(.+\) dropped by maxLines …$/);
  });

  it('warns, without stopping it, when a run uses more CPU than cpuLimitPercent', async () => {
    const app = await open();
    const { done } = await app.engine.submit({
      argv: [fixture('burn-cpu-3s.py')],
      cwd: tempDir(),
      limits: { cpuLimitPercent: 20 },
    });
    const final = await done;
    expect(final.status).toBe('succeeded');
    expect(final.limitHits).toEqual([
      expect.objectContaining({ kind: 'cpu', limit: 20, action: 'warned', enforcement: 'sampled' }),
    ]);
    expect(final.limitHits[0]!.observed).toBeGreaterThan(20);
    const texts = (await storedLog(app, final.id)).map((l) => l.text);
    expect(texts).toContain('done');
    expect(texts.some((t) => t.startsWith('⚠ CPU limit 20% exceeded'))).toBe(true);
  });
});
