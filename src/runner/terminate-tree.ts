import { setTimeout as sleep } from 'node:timers/promises';
import { readProcStat } from './proc-stat.js';
import type { ProcessMonitor } from './process-monitor.js';

export interface TerminateTreeOptions {
  /**
   * The process group of the execution's main process: its pid, and its session id too (it was
   * spawned detached, as a session leader).
   */
  pgid: number | undefined;
  tag: string;
  /**
   * The main process's stdout/stderr (`/proc/<pid>/fd` links) while they may still have a writer
   * (none after EOF): whoever holds one belongs to the run.
   */
  outputs?: () => readonly string[];
  monitor: ProcessMonitor;
  /** Time between SIGTERM and SIGKILL. */
  graceMs: number;
}

// Checks for survivors start fast (most processes die at once) and slow down.
const POLL_DELAYS_MS = [10, 20, 40, 80];
const MAX_KILL_ROUNDS = 20;

/**
 * Ends an execution's process tree: SIGTERM to the group and to every process of the run (by its
 * tag, its session or the output pipes it holds: that finds daemons which left the group, and even
 * those that cleared their environment), then SIGKILL for whatever is left after the grace.
 * Repeats the SIGKILL sweep because a dying tree can still fork. Resolves to whether SIGKILL was
 * needed: something of the run outlived the grace (the record says so).
 */
export async function terminateTree(options: TerminateTreeOptions): Promise<boolean> {
  const { graceMs } = options;
  const signalled = signalTree(options, 'SIGTERM');
  if (signalled.length === 0) return false;
  const deadline = Date.now() + graceMs;
  for (let i = 0; Date.now() < deadline; i++) {
    const delay = POLL_DELAYS_MS[Math.min(i, POLL_DELAYS_MS.length - 1)]!;
    await sleep(Math.min(delay, Math.max(deadline - Date.now(), 1)));
    // Polls read no descriptors (tens of ms with many processes): the tag, the session and what
    // was signalled tell whether to wait on; one full look confirms the end.
    if (signalled.some(isAlive) || findTree(options, false).length > 0) continue;
    if (findTree(options, true).length === 0) return false;
  }
  // Asked before the first SIGKILL: that signals the group first, so what it then finds is only
  // what survived it, often nothing.
  if (!signalled.some(isAlive) && findTree(options, true).length === 0) return false;
  for (let round = 0; round < MAX_KILL_ROUNDS; round++) {
    if (signalTree(options, 'SIGKILL').length === 0) break;
    await sleep(10);
  }
  return true;
}

function findTree({ pgid, tag, outputs, monitor }: TerminateTreeOptions, byOutputs: boolean): number[] {
  return monitor.findRun({ tag, session: pgid, outputs: byOutputs ? (outputs?.() ?? []) : [] });
}

function isAlive(pid: number): boolean {
  const stat = readProcStat(pid);
  return stat !== undefined && stat.state !== 'Z';
}

/** Signals the group and the run's processes; returns the processes found. */
function signalTree(options: TerminateTreeOptions, signal: NodeJS.Signals): number[] {
  const { pgid } = options;
  // pgid 0/1 or our own group would hit far more than the execution.
  if (pgid !== undefined && pgid > 1 && pgid !== process.pid) sendSignal(-pgid, signal);
  const pids = findTree(options, true);
  for (const pid of pids) sendSignal(pid, signal);
  return pids;
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
