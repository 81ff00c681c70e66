import type { ExecutionOwner } from './model.js';
import type { StepStatus } from './statuses.js';

/** An execution still `queued` or `running` in the store, as recovery sees it. */
export interface OpenExecution {
  id: string;
  startedAt: string | null;
  owner: ExecutionOwner | null;
  /** It is for workers (`runsOn` set): its lease decides, never its owner's pid (core/workers.ts). */
  forWorkers?: boolean;
}

/** A step of an orphaned execution that was never closed (no `endedAt`). */
export interface OpenStep {
  id: number;
  status: StepStatus;
  startedAt: string;
}

/** What an orphaned execution becomes: `interrupted`, ended, with its open steps closed. */
export interface Interruption {
  status: 'interrupted';
  endedAt: string;
  durationMs: number | null;
  error: string;
  steps: { id: number; status: StepStatus; endedAt: string; durationMs: number }[];
}

/**
 * The open executions whose owner is dead: their process died without ending them. One without a
 * recorded owner counts as dead (nobody can end it). `isOwnerAlive` is asked once per distinct
 * owner (it may read `/proc`). Each comes with the error it will carry.
 */
export function findOrphans<T extends OpenExecution>(
  open: readonly T[],
  isOwnerAlive: (owner: ExecutionOwner) => boolean,
): { execution: T; error: string }[] {
  const verdicts = new Map<string, boolean>();
  const orphans: { execution: T; error: string }[] = [];
  for (const execution of open) {
    // Queued for a worker (nobody owns it yet) or run by one on another host: the lease decides.
    if (execution.forWorkers === true) continue;
    const { owner } = execution;
    const key = owner === null ? '' : `${owner.host}\0${owner.pid}\0${owner.startTime}`;
    let alive = verdicts.get(key);
    if (alive === undefined) {
      alive = owner !== null && isOwnerAlive(owner);
      verdicts.set(key, alive);
    }
    if (!alive) {
      const who = owner === null ? 'owner unknown' : `pid ${owner.pid} on host ${owner.host}`;
      orphans.push({ execution, error: `the process running it died (${who})` });
    }
  }
  return orphans;
}

/**
 * When a run nobody ended ended: at its last sign of life (what the store has of it: heartbeat,
 * lines, steps, samples; for a remote run also its last request), not when that was noticed — a
 * crash at 02:00 found at 09:00 ended the run at 02:00. `now` caps it (a clock that ran ahead) and
 * stands in when nothing is known. The duration runs from its start (null if it never started).
 */
export function interruptedEnd({
  startedAt,
  lastSignOfLifeMs,
  nowMs,
}: {
  startedAt: string | null;
  lastSignOfLifeMs: number | null;
  nowMs: number;
}): { endedAt: string; durationMs: number | null } {
  const endedMs = Math.min(nowMs, lastSignOfLifeMs ?? nowMs);
  return { endedAt: new Date(endedMs).toISOString(), durationMs: durationBetween(startedAt, endedMs) };
}

/**
 * What an orphan found by {@link findOrphans} becomes: `interrupted` at {@link interruptedEnd}, and
 * each step left open closed at the same time — a running one `cancelled`, one already failed by
 * `STEP_ERROR` (failed but still open) stays failed.
 */
export function interruptionOf({
  execution,
  error,
  lastSignOfLifeMs,
  nowMs,
  openSteps,
}: {
  execution: Pick<OpenExecution, 'startedAt'>;
  error: string;
  lastSignOfLifeMs: number | null;
  nowMs: number;
  openSteps: readonly OpenStep[];
}): Interruption {
  const end = interruptedEnd({ startedAt: execution.startedAt, lastSignOfLifeMs, nowMs });
  const endedMs = Date.parse(end.endedAt);
  return {
    status: 'interrupted',
    ...end,
    error,
    steps: openSteps.map((step) => ({
      id: step.id,
      status: step.status === 'running' ? 'cancelled' : step.status,
      endedAt: end.endedAt,
      durationMs: durationBetween(step.startedAt, endedMs) ?? 0,
    })),
  };
}

/** The error of a remote run whose client stopped reporting for the lease (docs/REMOTE.md). */
export function leaseExpiredError(leaseMs: number): string {
  const seconds = Math.round(leaseMs / 1000);
  return `no report from the remote client for ${seconds} s: it stopped or lost the server (a later report reopens the run)`;
}

function durationBetween(startedAt: string | null, endedMs: number): number | null {
  return startedAt === null ? null : Math.max(0, endedMs - Date.parse(startedAt));
}
