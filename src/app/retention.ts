import { rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { ARTIFACT_STORE_DIR, resolveStoredArtifact } from '../artifacts/stored-artifact-path.js';
import {
  keepsEverything,
  retentionGroup,
  retentionVerdict,
  type RetentionPolicy,
} from '../core/retention.js';
import type { ReclaimOutcome, StoreMaintenance } from '../store/maintenance.js';
import type { ExecutionStore } from '../store/store.js';

/** What one sweep did (or, dry, would do). Counts are runs; bytes are what left the disk. */
export interface RetentionReport {
  dryRun: boolean;
  startedAt: string;
  durationMs: number;
  /** Ended runs looked at. */
  runsExamined: number;
  runsDeleted: number;
  /** Runs whose log text was dropped (their records stay). */
  logsDropped: number;
  /** Runs whose artifact files were deleted (their records stay, `expired`). */
  artifactsDropped: number;
  /** Log text and artifact bytes removed (or that would be); the total is what "freed" says. */
  freedBytes: { logs: number; artifacts: number; total: number };
  /** The database file before and after giving space back; absent on a dry run or without maintenance. */
  database?: ReclaimOutcome;
  /** Store transactions the sweep's changes took (about 3 per batch of runs). */
  batches: number;
}

interface RetentionStatus {
  /** The global policy ({} keeps everything); a job's own replaces it for its runs. */
  policy: RetentionPolicy;
  /** Time between background sweeps; null when this process does not sweep by itself. */
  sweepEveryMs: number | null;
  running: boolean;
  lastSweep: RetentionReport | null;
  /** The last background sweep's error, cleared by the next one that succeeds. */
  lastError: string | null;
}

/** What this process's sweeps (dry runs not counted) removed since it started: `/metrics`' counters. */
interface RetentionTotals {
  sweeps: number;
  runsDeleted: number;
  logsDropped: number;
  artifactsDropped: number;
  freedBytes: { logs: number; artifacts: number };
}

/** Retention's use cases (docs/RETENTION.md). */
export interface Retention {
  /** One sweep now. A sweep already running is waited for first (one at a time per process). */
  sweep(options?: { dryRun?: boolean }): Promise<RetentionReport>;
  status(): Promise<RetentionStatus>;
  totals(): RetentionTotals;
  /** Sweeps every `everyMs` in the background (first one after `firstAfterMs`), until closed. */
  start(options: {
    everyMs: number;
    firstAfterMs?: number;
    onReport?(report: RetentionReport): void;
    onError(error: unknown): void;
  }): void;
  /** Stops the background sweeps; a sweep running stops after its current batch. */
  close(): Promise<void>;
}

export interface RetentionDeps {
  store: Pick<
    ExecutionStore,
    'listEndedRuns' | 'measureRuns' | 'dropLogs' | 'expireArtifacts' | 'deleteExecutions'
  >;
  maintenance?: Pick<StoreMaintenance, 'reclaim'>;
  dataDir: string;
  /**
   * The global policy, read at each sweep and status (the settings' defaults under the limits the
   * environment sets: docs/RETENTION.md); {} keeps everything.
   */
  policy: () => Promise<RetentionPolicy>;
  /** Jobs with a policy of their own, by job id (replacing {@link policy} for their runs). */
  jobPolicies?: () => Promise<Map<string, RetentionPolicy>>;
  now?: () => Date;
  /** Runs per store transaction: small, so ingest waits at most one short transaction. */
  batchSize?: number;
  /**
   * After each page the sweep rests this many times as long as the page took, so it holds the
   * event loop (and SQLite's write lock) at most 1 / (1 + restFactor) of the time: ingest keeps
   * most of its rate while a sweep runs (docs/PERFORMANCE.md), and the sweep takes longer.
   */
  restFactor?: number;
}

const DEFAULT_BATCH = 200;
const DEFAULT_REST_FACTOR = 9;
/** A page slowed by something else (a stalled disk) does not stop the sweep for long. */
const MAX_REST_MS = 1000;

/**
 * The sweep: walks every ended run newest first in keyset pages of {@link DEFAULT_BATCH}, ranks it
 * within its job (or name) for keep-last-N, asks core for the verdict, and applies each page's
 * verdicts in a few short transactions, yielding to other work between pages. Every change the
 * store makes re-checks pinned and ended, and doing it twice changes nothing, so a sweep running
 * at once in another process (`stepflow prune`, an API replica) is safe: each reports what it did.
 */
export function createRetention({
  store,
  maintenance,
  dataDir,
  policy,
  jobPolicies = async () => new Map(),
  now = () => new Date(),
  batchSize = DEFAULT_BATCH,
  restFactor = DEFAULT_REST_FACTOR,
}: RetentionDeps): Retention {
  const totals: RetentionTotals = {
    sweeps: 0,
    runsDeleted: 0,
    logsDropped: 0,
    artifactsDropped: 0,
    freedBytes: { logs: 0, artifacts: 0 },
  };
  const count = (report: RetentionReport): void => {
    totals.sweeps += 1;
    totals.runsDeleted += report.runsDeleted;
    totals.logsDropped += report.logsDropped;
    totals.artifactsDropped += report.artifactsDropped;
    totals.freedBytes.logs += report.freedBytes.logs;
    totals.freedBytes.artifacts += report.freedBytes.artifacts;
  };
  let lastSweep: RetentionReport | null = null;
  let lastError: string | null = null;
  let sweepEveryMs: number | null = null;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const removeArtifactDir = (executionId: string): Promise<void> =>
    rm(resolveStoredArtifact(dataDir, `${ARTIFACT_STORE_DIR}/${executionId}`), {
      recursive: true,
      force: true,
    });

  const run = async (dryRun: boolean): Promise<RetentionReport> => {
    const started = now();
    const nowMs = started.getTime();
    const [jobs, global] = await Promise.all([jobPolicies(), policy()]);
    const report: RetentionReport = {
      dryRun,
      startedAt: started.toISOString(),
      durationMs: 0,
      runsExamined: 0,
      runsDeleted: 0,
      logsDropped: 0,
      artifactsDropped: 0,
      freedBytes: { logs: 0, artifacts: 0, total: 0 },
      batches: 0,
    };
    const nothingExpires = keepsEverything(global) && [...jobs.values()].every(keepsEverything);
    // Newer runs arriving during the walk only push older ones further down: ranks stay safe.
    const ranks = new Map<string, number>();
    let before: string | undefined;
    let pageStarted = performance.now();
    // Let the ingest's next commit (and everything else) in before the next page, for a while.
    const rest = async (): Promise<void> => {
      await sleep(Math.min(MAX_REST_MS, restFactor * (performance.now() - pageStarted)));
      pageStarted = performance.now();
    };
    while (!nothingExpires && !closed) {
      const page = await store.listEndedRuns({
        ...(before === undefined ? {} : { before }),
        limit: batchSize,
      });
      if (page.length === 0) break;
      before = page.at(-1)?.id;
      report.runsExamined += page.length;
      const toDelete: string[] = [];
      const toDropLogs: string[] = [];
      const toDropArtifacts: string[] = [];
      for (const candidate of page) {
        let rank = 0;
        if (!candidate.pinned) {
          const group = retentionGroup(candidate);
          rank = (ranks.get(group) ?? 0) + 1;
          ranks.set(group, rank);
        }
        const own = candidate.jobId === null ? undefined : jobs.get(candidate.jobId);
        const verdict = retentionVerdict({ ...candidate, rank }, own ?? global, nowMs);
        if (verdict.action === 'delete') toDelete.push(candidate.id);
        else if (verdict.action === 'drop') {
          if (verdict.logs) toDropLogs.push(candidate.id);
          if (verdict.artifacts) toDropArtifacts.push(candidate.id);
        }
      }
      const touched = [...new Set([...toDelete, ...toDropLogs, ...toDropArtifacts])];
      if (touched.length === 0) {
        await rest();
        continue;
      }
      const bytes = new Map((await store.measureRuns(touched)).map((b) => [b.id, b]));
      const logBytes = (ids: string[]): number =>
        ids.reduce((n, id) => n + (bytes.get(id)?.logBytes ?? 0), 0);
      const artifactBytes = (ids: string[]): number =>
        ids.reduce((n, id) => n + (bytes.get(id)?.artifactBytes ?? 0), 0);
      let deleted = toDelete;
      let dropped = toDropLogs;
      let expiredRuns = toDropArtifacts;
      if (!dryRun) {
        deleted = toDelete.length === 0 ? [] : await store.deleteExecutions(toDelete);
        dropped = toDropLogs.length === 0 ? [] : await store.dropLogs(toDropLogs, started.toISOString());
        const expired = toDropArtifacts.length === 0 ? [] : await store.expireArtifacts(toDropArtifacts);
        expiredRuns = [...new Set(expired.map((a) => a.executionId))];
        report.batches += [toDelete, toDropLogs, toDropArtifacts].filter((ids) => ids.length > 0).length;
        // Rows first: once they are gone nothing points at the files, and a leftover is only litter.
        await Promise.all([...deleted, ...expiredRuns].map(removeArtifactDir));
      }
      report.runsDeleted += deleted.length;
      report.logsDropped += dropped.length;
      report.artifactsDropped += expiredRuns.length;
      report.freedBytes.logs += logBytes(deleted) + logBytes(dropped);
      report.freedBytes.artifacts += artifactBytes(deleted) + artifactBytes(expiredRuns);
      await rest();
    }
    report.freedBytes.total = report.freedBytes.logs + report.freedBytes.artifacts;
    const changed = report.runsDeleted + report.logsDropped > 0;
    if (!dryRun && changed && maintenance?.reclaim) report.database = await maintenance.reclaim();
    report.durationMs = now().getTime() - nowMs;
    return report;
  };

  // One sweep at a time per process: each call queues behind the one before.
  let queue: Promise<unknown> = Promise.resolve();
  let running = false;
  const sweep = ({ dryRun = false }: { dryRun?: boolean } = {}): Promise<RetentionReport> => {
    const result = queue.then(async () => {
      running = true;
      try {
        const report = await run(dryRun);
        if (!dryRun) {
          lastSweep = report;
          count(report);
        }
        return report;
      } finally {
        running = false;
      }
    });
    queue = result.catch(() => undefined);
    return result;
  };

  return {
    sweep,
    status: async () => ({ policy: await policy(), sweepEveryMs, running, lastSweep, lastError }),
    totals: () => totals,
    start({ everyMs, firstAfterMs = Math.min(everyMs, 60_000), onReport, onError }) {
      sweepEveryMs = everyMs;
      const next = (delayMs: number): void => {
        if (closed) return;
        timer = setTimeout(() => {
          sweep()
            .then((report) => {
              lastError = null;
              onReport?.(report);
            })
            .catch((error: unknown) => {
              // Recorded for /api/health/retention and reported; the next sweep tries again.
              lastError = error instanceof Error ? error.message : String(error);
              onError(error);
            })
            .finally(() => next(everyMs));
        }, delayMs);
        timer.unref();
      };
      next(firstAfterMs);
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      await queue;
    },
  };
}

/** "freed 412 MB: 1,200 runs deleted, logs of 3,400 dropped, artifacts of 220 dropped". */
export function describeRetentionReport(report: RetentionReport): string {
  const count = (n: number): string => n.toLocaleString('en-US');
  const verb = report.dryRun ? 'would free' : 'freed';
  const parts = [
    `${count(report.runsDeleted)} run${report.runsDeleted === 1 ? '' : 's'} deleted`,
    `logs of ${count(report.logsDropped)} dropped`,
    `artifacts of ${count(report.artifactsDropped)} dropped`,
  ];
  const database =
    report.database === undefined
      ? ''
      : report.database.incremental
        ? `; database ${formatBytes(report.database.dbBytesBefore)} → ${formatBytes(report.database.dbBytesAfter)}`
        : '; the database file keeps its size (created before auto_vacuum: run `stepflow prune --vacuum` once, server stopped)';
  return `${verb} ${formatBytes(report.freedBytes.total)}: ${parts.join(', ')} (${count(report.runsExamined)} ended runs examined)${database}`;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value).toLocaleString('en-US')} ${units[unit] ?? 'TB'}`;
}
