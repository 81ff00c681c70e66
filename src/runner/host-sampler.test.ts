import { statfsSync } from 'node:fs';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../../test/helpers/temp-dir.js';
import { createHostSampler } from './host-sampler.js';

const tempDir = useTempDirs();
const MB = 1024 * 1024;

/** Keeps this process's CPU busy for `ms` (a real load: the sampler must see it). */
function burn(ms: number): void {
  const until = performance.now() + ms;
  let x = 0;
  while (performance.now() < until) x += Math.sqrt(x + 1);
  if (x < 0) throw new Error('unreachable');
}

describe('host sampler on this machine', () => {
  it('reads plausible CPU, load, memory, swap, disk, network, process count and uptime', async () => {
    const dir = tempDir();
    const sample = await createHostSampler({ diskPath: dir }).read();
    expect(sample.unavailable).toEqual([]);
    const cores = os.availableParallelism();
    expect(sample.cpu!.perCore.length).toBeGreaterThanOrEqual(Math.min(cores, os.cpus().length));
    for (const percent of [sample.cpu!.percent, ...sample.cpu!.perCore]) {
      expect(percent).toBeGreaterThanOrEqual(0);
      expect(percent).toBeLessThanOrEqual(100);
    }
    expect(sample.load!.one).toBeGreaterThanOrEqual(0);
    expect(sample.memory!.totalBytes).toBe(os.totalmem());
    expect(sample.memory!.availableBytes).toBeGreaterThan(0);
    expect(sample.memory!.usedBytes + sample.memory!.availableBytes).toBe(sample.memory!.totalBytes);
    // Whatever else runs, this process's own memory is in use.
    expect(sample.memory!.usedBytes).toBeGreaterThan(sample.stepflow.rssBytes);
    expect(sample.swap!.usedBytes).toBeLessThanOrEqual(sample.swap!.totalBytes);
    // The data dir's filesystem, as df would say (the free figure moves with other writers: 5 %).
    const fs = statfsSync(dir);
    expect(sample.disk).toMatchObject({ path: dir, totalBytes: fs.blocks * fs.bsize });
    expect(Math.abs(sample.disk!.freeBytes - fs.bavail * fs.bsize)).toBeLessThan(0.05 * fs.blocks * fs.bsize);
    expect(sample.disk!.usedBytes + sample.disk!.freeBytes).toBeLessThanOrEqual(sample.disk!.totalBytes);
    expect(sample.network!.rxBytesPerSecond).toBeGreaterThanOrEqual(0);
    expect(sample.network!.txBytesPerSecond).toBeGreaterThanOrEqual(0);
    // This process and vitest's are among them.
    expect(sample.processCount).toBeGreaterThan(2);
    expect(sample.uptimeSeconds).toBeGreaterThan(0);
    expect(sample.uptimeSeconds).toBeLessThanOrEqual(os.uptime() + 1);
    expect(Math.abs(sample.ts - Date.now())).toBeLessThan(5000);
  });

  it("sees this process burn a core: its own CPU and the host's go up", async () => {
    const sampler = createHostSampler({ diskPath: tempDir() });
    await sampler.read();
    burn(1500);
    const busy = await sampler.read();
    // One core busy out of N is 100/N % of the machine, whatever else runs (others only add);
    // generous margins for a shared, loaded machine.
    const cores = busy.cpu!.perCore.length;
    expect(busy.stepflow.cpuPercent).toBeGreaterThan(60);
    expect(busy.cpu!.percent).toBeGreaterThan(60 / cores);
    expect(Math.max(...busy.cpu!.perCore)).toBeGreaterThan(30);
  });

  it("sees memory this process touches in its own RSS and the host's used memory", async () => {
    const sampler = createHostSampler({ diskPath: tempDir() });
    const before = await sampler.read();
    const held = Buffer.alloc(256 * MB, 1);
    const after = await sampler.read();
    expect(after.stepflow.rssBytes - before.stepflow.rssBytes).toBeGreaterThan(200 * MB);
    expect(after.memory!.usedBytes).toBeGreaterThan(after.stepflow.rssBytes);
    expect(held[held.length - 1]).toBe(1);
  });
});
