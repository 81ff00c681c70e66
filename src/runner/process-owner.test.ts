import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createProcessMonitor } from './process-monitor.js';
import { currentOwner, isOwnerAlive } from './process-owner.js';
import { runProcess } from './run-process.js';

describe('process owner', () => {
  it('describes this process with its /proc start time', () => {
    const stat = readFileSync('/proc/self/stat', 'latin1');
    const startTime = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    expect(currentOwner()).toEqual({ host: hostname(), pid: process.pid, startTime });
  });

  it('is alive for this process', () => {
    expect(isOwnerAlive(currentOwner())).toBe(true);
  });

  it('is dead when the pid now belongs to a process with another start time', () => {
    const owner = currentOwner();
    expect(isOwnerAlive({ ...owner, startTime: owner.startTime - 1 })).toBe(false);
  });

  it('is dead when the process has exited', async () => {
    const monitor = createProcessMonitor();
    const running = runProcess({
      tag: `test-${randomUUID()}`,
      command: 'exit 0',
      cwd: '/',
      monitor,
      onOutput: () => {},
      onPiece: () => {},
    });
    await running.done;
    monitor.close();
    expect(running.pid).toBeGreaterThan(0);
    expect(isOwnerAlive({ host: hostname(), pid: running.pid!, startTime: 1 })).toBe(false);
  });

  it('is assumed alive on another host, where it cannot be checked', () => {
    expect(isOwnerAlive({ host: `not-${hostname()}`, pid: 999_999_999, startTime: 1 })).toBe(true);
  });
});
