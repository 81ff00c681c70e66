import { setTimeout as sleep } from 'node:timers/promises';
import type { ProcessMonitor } from './process-monitor.js';

export interface TerminateTreeOptions {
  /** The process group of the execution's main process (its pid: it was spawned detached). */
  pgid: number | undefined;
  tag: string;
  monitor: ProcessMonitor;
  /** Time between SIGTERM and SIGKILL. */
  graceMs: number;
}

// Checks for survivors start fast (most processes die at once) and slow down.
const POLL_DELAYS_MS = [10, 20, 40, 80];
const MAX_KILL_ROUNDS = 20;

/**
 * Ends an execution's process tree: SIGTERM to the group and to every tagged process (that finds
 * daemons which left the group with setsid), then SIGKILL for whatever is left after the grace.
 * Repeats the SIGKILL sweep because a dying tree can still fork.
 */
export async function terminateTree(options: TerminateTreeOptions): Promise<void> {
  const { tag, monitor, graceMs } = options;
  if (!signalTree(options, 'SIGTERM')) return;
  const deadline = Date.now() + graceMs;
  for (let i = 0; Date.now() < deadline; i++) {
    const delay = POLL_DELAYS_MS[Math.min(i, POLL_DELAYS_MS.length - 1)]!;
    await sleep(Math.min(delay, Math.max(deadline - Date.now(), 1)));
    if (monitor.findTagged(tag).length === 0) return;
  }
  for (let round = 0; round < MAX_KILL_ROUNDS; round++) {
    if (!signalTree(options, 'SIGKILL')) return;
    await sleep(10);
  }
}

/** Signals the group and the tagged processes; returns whether any tagged process was found. */
function signalTree({ pgid, tag, monitor }: TerminateTreeOptions, signal: NodeJS.Signals): boolean {
  // pgid 0/1 or our own group would hit far more than the execution.
  if (pgid !== undefined && pgid > 1 && pgid !== process.pid) sendSignal(-pgid, signal);
  const pids = monitor.findTagged(tag);
  for (const pid of pids) sendSignal(pid, signal);
  return pids.length > 0;
}

function sendSignal(target: number, signal: NodeJS.Signals): void {
  try {
    process.kill(target, signal);
  } catch (error) {
    // ESRCH: already gone. EPERM: not ours to end (it changed user); nothing more can be done here.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ESRCH' && code !== 'EPERM') throw error;
  }
}
