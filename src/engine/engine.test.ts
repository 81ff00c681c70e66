import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { useTempDirs } from '../../test/helpers/temp-dir.js';
import { isExecutionEvent, type ExecutionEvent } from '../core/events.js';
import { LineFlag } from '../core/model.js';
import { loadConfig } from '../config.js';
import { createStepflow, type Stepflow } from '../stepflow.js';

const tempDir = useTempDirs();
const opened: Stepflow[] = [];
afterEach(async () => {
  for (const app of opened.splice(0)) await app.close();
});

async function open(overrides: Partial<ReturnType<typeof loadConfig>> = {}): Promise<Stepflow> {
  const dataDir = tempDir();
  const app = await createStepflow({ ...loadConfig({}, dataDir), dataDir, killGraceMs: 500, ...overrides });
  opened.push(app);
  return app;
}

describe('engine', () => {
  it('stores every line of a large output once, in order, with the right steps', async () => {
    const app = await open();
    const script = `
import sys
print("STEP_START:count", flush=True)
sys.stdout.write("".join(f"n={i}\\n" for i in range(50000)))
print("STEP_COMPLETE:count")
print("after")`;
    const { done } = await app.engine.submit({ argv: ['python3', '-c', script], cwd: tempDir() });
    const final = await done;
    await app.writer.flush();
    expect(final.status).toBe('succeeded');
    expect(final.lineCount).toBe(50003);
    const seen: number[] = [];
    let after = 0;
    for (;;) {
      const page = await app.store.readLog(final.id, { after, limit: 10000 });
      for (const line of page.lines) seen.push(line.seq);
      after = page.nextAfter;
      if (!page.hasMore) break;
    }
    expect(seen).toEqual(Array.from({ length: 50003 }, (_, i) => i + 1));
    const detail = await app.store.getExecution(final.id);
    expect(detail!.steps.map((s) => [s.name, s.status, s.implicit])).toEqual([
      ['count', 'succeeded', false],
      ['Post count', 'succeeded', true],
    ]);
    const first = await app.store.readLog(final.id, { after: 0, limit: 2 });
    expect(first.lines[0]).toMatchObject({ text: 'STEP_START:count', flags: LineFlag.Marker, stepId: 1 });
    expect(first.lines[1]).toMatchObject({ text: 'n=0', flags: 0, stepId: 1, stream: 'stdout' });
  });

  it('publishes step changes after the lines printed before them', async () => {
    const app = await open();
    const events: ExecutionEvent[] = [];
    app.bus.subscribe((e) => {
      if (isExecutionEvent(e)) events.push(e);
    });
    const { done } = await app.engine.submit({
      command: 'echo a; echo STEP_START:s; echo b; echo STEP_COMPLETE:s',
      cwd: tempDir(),
    });
    await done;
    const order = events
      .filter((e) => e.type === 'log.lines' || e.type.startsWith('step.'))
      .flatMap((e) =>
        e.type === 'log.lines'
          ? e.lines.map((l) => `line:${l.text}`)
          : [`${e.type}:${'step' in e ? e.step.name : ''}`],
      );
    expect(order).toEqual([
      'step.started:Set up',
      'line:a',
      'step.finished:Set up',
      'step.started:s',
      'line:STEP_START:s',
      'line:b',
      'line:STEP_COMPLETE:s',
      'step.finished:s',
    ]);
  });

  it('keeps executions beyond the concurrency limit queued and runs them in order', async () => {
    const app = await open({ maxConcurrent: 1 });
    const work = tempDir();
    const log = path.join(work, 'order.txt');
    const a = await app.engine.submit({ command: `sleep 0.3; echo a >> ${log}`, cwd: work });
    const b = await app.engine.submit({ command: `echo b >> ${log}`, cwd: work });
    const c = await app.engine.submit({ command: `echo c >> ${log}`, cwd: work });
    expect(a.execution.status).toBe('running');
    expect(b.execution.status).toBe('queued');
    expect(app.engine.active().map((e) => e.status)).toEqual(['running', 'queued', 'queued']);
    app.engine.cancel(c.execution.id);
    expect((await c.done).status).toBe('cancelled');
    expect((await a.done).status).toBe('succeeded');
    expect((await b.done).status).toBe('succeeded');
    expect(fs.readFileSync(log, 'utf8')).toBe('a\nb\n');
    await app.writer.flush();
    expect((await app.store.getExecution(c.execution.id))!.status).toBe('cancelled');
  });

  it('records SIGKILL, and says so, when a cancel needed it after the SIGTERM grace', async () => {
    const app = await open(); // killGraceMs: 500
    const work = tempDir();
    const untilReady = async (file: string) => {
      while (!fs.existsSync(path.join(work, file))) await new Promise((r) => setTimeout(r, 20));
    };
    const cancelled = async (command: string, ready: string) => {
      const run = await app.engine.submit({ command, cwd: work });
      await untilReady(ready);
      app.engine.cancel(run.execution.id);
      await run.done;
      await app.writer.flush();
      const stored = (await app.store.getExecution(run.execution.id))!;
      return { status: stored.status, signal: stored.signal, error: stored.error };
    };

    // The main process goes on SIGTERM, a child ignores it: SIGKILL is what ended the run.
    expect(
      await cancelled(
        `(trap '' TERM; touch child-ready; while :; do sleep 0.05; done) & wait`,
        'child-ready',
      ),
    ).toEqual({
      status: 'cancelled',
      signal: 'SIGKILL',
      error:
        'Cancelled: the process tree was stopped with SIGKILL after the 0.5 s grace (SIGTERM was not enough).',
    });
    // A shell that traps TERM itself.
    expect(
      await cancelled(
        `trap 'echo not now' TERM; touch shell-ready; while :; do sleep 0.05; done`,
        'shell-ready',
      ),
    ).toMatchObject({
      status: 'cancelled',
      signal: 'SIGKILL',
      error: expect.stringContaining('SIGKILL after'),
    });
    // SIGTERM was enough: the record says SIGTERM and nothing of a kill.
    expect(await cancelled(`touch plain-ready; sleep 30`, 'plain-ready')).toEqual({
      status: 'cancelled',
      signal: 'SIGTERM',
      error: 'Cancelled: the process tree was stopped.',
    });
  });

  it('records a failed artifact with a visible warning line and leaves the run succeeded', async () => {
    const app = await open();
    const { done } = await app.engine.submit({
      command: 'echo ARTIFACT:missing.txt:nothing here',
      cwd: tempDir(),
    });
    const final = await done;
    await app.writer.flush();
    expect(final.status).toBe('succeeded');
    const detail = await app.store.getExecution(final.id);
    expect(detail!.artifacts).toMatchObject([
      { path: 'missing.txt', status: 'failed', error: 'no such file or directory' },
    ]);
    const log = await app.store.readLog(final.id);
    expect(log.lines.map((l) => [l.stream, l.text])).toContainEqual([
      'system',
      '⚠ artifact missing.txt: no such file or directory',
    ]);
  });

  it('writes a failed artifact warning into the step that declared it, though the script went on', async () => {
    const app = await open();
    // One write: every marker is read before the copy is even tried, so the script is in
    // "Deploy" by the time the warning is written.
    const { done } = await app.engine.submit({
      command:
        "printf 'STEP_START:Build\\nARTIFACT:dist/app.tar:the bundle\\nSTEP_COMPLETE:Build\\nSTEP_START:Deploy\\nshipping\\n'; sleep 0.3",
      cwd: tempDir(),
    });
    const final = await done;
    await app.writer.flush();
    const detail = await app.store.getExecution(final.id);
    const stepId = (name: string) => detail!.steps.find((step) => step.name === name)!.id;
    const log = await app.store.readLog(final.id);
    const warning = log.lines.find((line) => line.stream === 'system' && line.text.includes('dist/app.tar'));
    expect(warning).toMatchObject({ stepId: stepId('Build') });
    // After the lines already read: seq order is the order things were written.
    expect(warning!.seq).toBeGreaterThan(log.lines.find((line) => line.text === 'shipping')!.seq);
  });

  it('numbers artifacts in the order the script declared them, whatever their size', async () => {
    const app = await open();
    const work = tempDir();
    fs.writeFileSync(path.join(work, 'big.bin'), Buffer.alloc(20 * 1024 * 1024, 7));
    fs.writeFileSync(path.join(work, 'small.txt'), 'tiny');
    const { done } = await app.engine.submit({
      command: 'echo ARTIFACT:big.bin:first; echo ARTIFACT:small.txt:second; echo ARTIFACT:nope.txt:third',
      cwd: work,
    });
    const final = await done;
    await app.writer.flush();
    const detail = await app.store.getExecution(final.id);
    expect(detail!.artifacts.map((a) => [a.id, a.path, a.status])).toEqual([
      [1, 'big.bin', 'stored'],
      [2, 'small.txt', 'stored'],
      [3, 'nope.txt', 'failed'],
    ]);
  });

  it('reports no resource peaks for a run too short to be sampled, rather than zeros', async () => {
    const app = await open();
    const { done } = await app.engine.submit({ command: 'true', cwd: tempDir() });
    expect((await done).resources).toBeNull();
  });

  it('records a command that cannot start as failed with the reason', async () => {
    const app = await open();
    const { done } = await app.engine.submit({ argv: ['/nonexistent/tool'], cwd: tempDir() });
    const final = await done;
    expect(final.status).toBe('failed');
    expect(final.error).toMatch(/Could not start the command/);
  });

  it('samples CPU and memory of the process tree into peaks and a time series', async () => {
    const app = await open();
    const { done } = await app.engine.submit({
      argv: [
        'python3',
        '-c',
        'import time\nb = bytearray(80 * 1024 * 1024)\nend = time.time() + 2.5\nwhile time.time() < end: pass',
      ],
      cwd: tempDir(),
    });
    const final = await done;
    await app.writer.flush();
    expect(final.resources!.memoryBytesPeak).toBeGreaterThan(70 * 1024 * 1024);
    expect(final.resources!.cpuPercentPeak).toBeGreaterThan(30);
    const samples = await app.store.listResourceSamples(final.id);
    expect(samples.length).toBeGreaterThanOrEqual(1);
  });
});
