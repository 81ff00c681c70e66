import { hostname } from 'node:os';
import type { ExecutionOwner } from '../core/model.js';
import { readProcStat } from './proc-stat.js';

/** This process as the owner of the executions it runs. */
export function currentOwner(): ExecutionOwner {
  return { host: hostname(), pid: process.pid, startTime: readProcStat('self')?.startTime ?? 0 };
}

/**
 * Whether an owner recorded by {@link currentOwner} still runs. On another host we cannot tell, so
 * the answer is yes: recovery must never interrupt executions that may be alive.
 */
export function isOwnerAlive(owner: ExecutionOwner): boolean {
  if (owner.host !== hostname()) return true;
  const stat = readProcStat(owner.pid);
  if (stat !== undefined) return stat.startTime === owner.startTime && stat.state !== 'Z';
  if (readProcStat('self') !== undefined) return false;
  // No /proc (not Linux): fall back to "some process has that pid".
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
