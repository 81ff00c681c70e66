import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { ResourceSample } from '../core/model.js';
import { createProcessMonitor } from './process-monitor.js';
import { runProcess } from './run-process.js';

const fixtures = fileURLToPath(new URL('../../test/fixtures/runner/', import.meta.url));
const monitor = createProcessMonitor({ intervalMs: 100 });
afterAll(() => monitor.close());

async function sampled(argv: string[]) {
  const samples: ResourceSample[] = [];
  const running = runProcess({
    tag: `test-${randomUUID()}`,
    argv,
    cwd: fixtures,
    monitor,
    onOutput: () => {},
    onPiece: () => {},
    onSample: (sample) => samples.push(sample),
  });
  return { samples, result: await running.done };
}

describe('createProcessMonitor', () => {
  it('samples the CPU of a busy process, in percent of one core', async () => {
    const { samples, result } = await sampled(['python3', 'burn-cpu.py']);
    // Loose bounds: other test files compete for the two cores. Idle would read 0.
    expect(samples.length).toBeGreaterThanOrEqual(5);
    expect(samples.filter((s) => s.cpuPercent > 25).length).toBeGreaterThanOrEqual(3);
    expect(result.peaks.cpuPercentPeak).toBeGreaterThan(40);
    // One single-threaded process cannot use much more than one core.
    expect(result.peaks.cpuPercentPeak).toBeLessThan(150);
    expect(result.peaks.processCountPeak).toBeGreaterThanOrEqual(1);
    for (let i = 1; i < samples.length; i++)
      expect(samples[i]!.ts).toBeGreaterThanOrEqual(samples[i - 1]!.ts);
  });

  it('sums the memory of the whole tree, child processes included', async () => {
    const { samples, result } = await sampled(['bash', 'allocate-in-child.sh']);
    expect(result.peaks.memoryBytesPeak).toBeGreaterThan(100 * 1024 * 1024);
    expect(result.peaks.memoryBytesPeak).toBeLessThan(200 * 1024 * 1024);
    // bash and python, plus whatever the python3 launcher (a pyenv shim here) runs on the way.
    expect(result.peaks.processCountPeak).toBeGreaterThanOrEqual(2);
    expect(Math.max(...samples.map((s) => s.memoryBytes))).toBe(result.peaks.memoryBytesPeak);
  });

  it('finds the processes carrying a tag and none of an unknown tag', async () => {
    const tag = `test-${randomUUID()}`;
    const lines: string[] = [];
    const running = runProcess({
      tag,
      argv: ['bash', 'sleep-forever.sh'],
      cwd: fixtures,
      monitor,
      onOutput: (_stream, output) => lines.push(...output),
      onPiece: () => {},
    });
    while (lines.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    // bash and its sleep.
    expect(monitor.findRun({ tag })).toHaveLength(2);
    expect(monitor.findRun({ tag })).toContain(running.pid);
    expect(monitor.findRun({ tag: `test-${randomUUID()}` })).toEqual([]);
    running.cancel();
    await running.done;
    expect(monitor.findRun({ tag })).toEqual([]);
  });

  it('never reports a process in our own process group, even when it carries the tag', async () => {
    const tag = `test-${randomUUID()}`;
    // Not detached: the child stays in our group, which a sweep must never signal.
    const child = spawn('sleep', ['5'], {
      env: { ...process.env, STEPFLOW_EXECUTION_ID: tag },
      stdio: 'ignore',
    });
    try {
      await new Promise((resolve) => child.once('spawn', resolve));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(readFileSync(`/proc/${child.pid}/environ`, 'latin1')).toContain(tag);
      expect(monitor.findRun({ tag })).toEqual([]);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
