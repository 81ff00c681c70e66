import { validationError } from './errors.js';
import { interruptedEnd, type OpenStep } from './interruption.js';
import type { StepStatus } from './statuses.js';

/**
 * Workers (docs/WORKERS.md): `stepflow worker` processes that claim queued runs from a server. The
 * rules every backend and every caller share live here: what a label is, when a worker is live, why
 * a run waits, and what a run whose worker went silent becomes.
 */

/** A worker as registered by its claims and heartbeats. */
export interface WorkerRecord {
  name: string;
  host: string;
  labels: string[];
  slots: number;
  version: string;
  /** ISO: its last claim or heartbeat. */
  lastSeenAt: string;
  /** The runs it holds now (claimed, not ended), oldest first. */
  running: { executionId: string; attempt: number }[];
}

/** What a worker says of itself on each claim and heartbeat. */
export interface WorkerIdentity {
  name: string;
  host: string;
  labels: string[];
  slots: number;
  version: string;
}

const MAX_LABELS = 32;
const LABEL = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
/** The label rule as JSON Schema text (the pipeline file's schema says it to editors). */
export const LABEL_PATTERN = LABEL.source;

/**
 * Labels as given (`--labels gpu,linux`, `runsOn: ["gpu"]`): each 1–63 letters, digits, `.`, `_`
 * or `-` (starting with a letter or digit), at most {@link MAX_LABELS}; sorted, duplicates dropped.
 * Anything else is a `validation_failed` error naming `field`.
 */
export function normalizeLabels(labels: readonly string[], field: string): string[] {
  const bad = labels.find((label) => !LABEL.test(label));
  if (bad !== undefined) {
    throw validationError(
      `${field}: ${JSON.stringify(bad)} is not a label (1-63 letters, digits, '.', '_' or '-', starting with a letter or digit)`,
      { field },
    );
  }
  const unique = [...new Set(labels)].sort();
  if (unique.length > MAX_LABELS) throw validationError(`${field}: at most ${MAX_LABELS} labels`, { field });
  return unique;
}

/** A comma-separated label list (`gpu, linux`), blanks ignored, as {@link normalizeLabels}. */
export function parseLabelList(raw: string, field: string): string[] {
  return normalizeLabels(
    raw
      .split(',')
      .map((label) => label.trim())
      .filter(Boolean),
    field,
  );
}

/** Whether a worker with `labels` may run a run that needs `runsOn` (it has them all). */
function labelsMatch(runsOn: readonly string[], labels: readonly string[]): boolean {
  return runsOn.every((label) => labels.includes(label));
}

/** A worker is live while its last sign of life is within the lease. */
export function isWorkerLive(
  worker: Pick<WorkerRecord, 'lastSeenAt'>,
  leaseMs: number,
  nowMs: number,
): boolean {
  return nowMs - Date.parse(worker.lastSeenAt) <= leaseMs;
}

/** The cluster-wide limit (MAX_CONCURRENT_TASKS) and how many runs are `running` now. */
export interface ClusterLoad {
  running: number;
  maxRunning: number;
}

/**
 * Why a queued run for workers is not being taken, in words for its page: no live worker has all its
 * labels, or the cluster already runs as many as MAX_CONCURRENT_TASKS allows (`cluster`). Undefined
 * otherwise (it waits for a free slot, which is ordinary queueing).
 */
export function waitingReason(
  runsOn: readonly string[],
  liveWorkers: readonly Pick<WorkerRecord, 'labels'>[],
  cluster?: ClusterLoad,
): string | undefined {
  if (liveWorkers.some((worker) => labelsMatch(runsOn, worker.labels))) {
    if (cluster === undefined || cluster.running < cluster.maxRunning) return undefined;
    return `the cluster runs MAX_CONCURRENT_TASKS = ${cluster.maxRunning} run${cluster.maxRunning === 1 ? '' : 's'} already`;
  }
  if (runsOn.length === 0) return 'no live worker';
  return `no live worker has label${runsOn.length === 1 ? '' : 's'} ${runsOn.join(', ')}`;
}

/** What a run whose worker went silent past the lease becomes (see {@link lostOf}). */
export interface Loss {
  status: 'lost';
  endedAt: string;
  durationMs: number | null;
  error: string;
  steps: { id: number; status: StepStatus; endedAt: string; durationMs: number }[];
}

/**
 * A claimed run whose worker was silent for the lease: `lost`, ended at its last sign of life (the
 * worker's last heartbeat, or what it reported last), its lines kept, each step left open closed
 * then — a running one `cancelled`, one failed by `STEP_ERROR` stays failed (as an interruption).
 */
export function lostOf({
  startedAt,
  worker,
  leaseMs,
  lastSignOfLifeMs,
  nowMs,
  openSteps,
}: {
  startedAt: string | null;
  worker: string;
  leaseMs: number;
  lastSignOfLifeMs: number | null;
  nowMs: number;
  openSteps: readonly OpenStep[];
}): Loss {
  const end = interruptedEnd({ startedAt, lastSignOfLifeMs, nowMs });
  const endedMs = Date.parse(end.endedAt);
  return {
    status: 'lost',
    ...end,
    error: `worker ${worker} sent no heartbeat for ${Math.round(leaseMs / 1000)} s (it died or lost the server); later reports of this attempt are refused`,
    steps: openSteps.map((step) => ({
      id: step.id,
      status: step.status === 'running' ? 'cancelled' : step.status,
      endedAt: end.endedAt,
      durationMs: Math.max(0, endedMs - Date.parse(step.startedAt)),
    })),
  };
}
