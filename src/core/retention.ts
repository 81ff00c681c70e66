import { validationError } from './errors.js';
import { isFailureStatus, isTerminalExecutionStatus, type ExecutionStatus } from './statuses.js';

/**
 * Retention (docs/RETENTION.md): how long ended runs, their log text and their artifact files are
 * kept. Every limit is optional; a policy with none keeps everything forever (the default, and
 * what StepFlow did before retention existed). Each limit set is a cap: a run goes as soon as any
 * one says so. A job's own policy replaces the global one for its runs (it is not merged field by
 * field), so `{}` on a job keeps its runs forever whatever the global policy.
 */
export interface RetentionPolicy {
  /** Delete a run (record, steps, log, artifacts) this many days after it ended. */
  days?: number;
  /** Keep only this many newest ended runs of each job (of each name, for runs of no job). */
  keepLast?: number;
  /** Drop a run's log text this many days after it ended; the record and its steps stay. */
  logDays?: number;
  /** Delete a run's artifact files this many days after it ended; their rows stay, `expired`. */
  artifactDays?: number;
  /**
   * A failed run (`FAILURE_STATUSES`) is left whole at least this many days after it ended: no
   * limit above touches it earlier. It never shortens a limit, nor makes one where there is none.
   */
  failedDays?: number;
}

/** The limits of a policy, in the order settings and errors name them. */
const RETENTION_LIMITS = ['days', 'keepLast', 'logDays', 'artifactDays', 'failedDays'] as const;

/** The largest number of days a limit may say (about 1,000 years): beyond it dates overflow. */
export const MAX_RETENTION_DAYS = 365_000;
/** The largest `keepLast`: a bound for the API's documented ranges, far beyond any real history. */
export const MAX_RETENTION_KEEP_LAST = 1_000_000_000;

const DAY_MS = 86_400_000;

/** What the sweep knows of an ended run when it decides (one row of the store's listing). */
export interface RetentionCandidate {
  status: ExecutionStatus;
  /** ISO; null for a run that never ended (it is never touched). */
  endedAt: string | null;
  pinned: boolean;
  /** Its log text was already dropped. */
  logExpired: boolean;
  /** It still has artifact files on disk (a `stored` artifact). */
  hasStoredArtifacts: boolean;
  /**
   * 1 for the newest ended, unpinned run of its job (of its name, for runs of no job), 2 for the
   * one before… Pinned runs do not take a place: they are kept besides the newest N.
   */
  rank: number;
}

/** What happens to a run now. `drop`: keep the record, remove the bytes named. */
export type RetentionVerdict =
  { action: 'keep' } | { action: 'delete' } | { action: 'drop'; logs: boolean; artifacts: boolean };

const KEEP: RetentionVerdict = { action: 'keep' };

/**
 * The decision for one run at `nowMs`. A run that has not ended, or is pinned, is always kept; so
 * is a failed run younger than `failedDays`. Dropping what is already gone is not asked for again,
 * so a run with nothing left to drop is `keep` (the sweep does nothing twice).
 */
export function retentionVerdict(
  run: RetentionCandidate,
  policy: RetentionPolicy,
  nowMs: number,
): RetentionVerdict {
  if (run.pinned || run.endedAt === null || !isTerminalExecutionStatus(run.status)) return KEEP;
  const endedMs = Date.parse(run.endedAt);
  if (Number.isNaN(endedMs)) return KEEP;
  const ageMs = nowMs - endedMs;
  const failedFloorMs =
    isFailureStatus(run.status) && policy.failedDays !== undefined ? policy.failedDays * DAY_MS : 0;
  if (ageMs < failedFloorMs) return KEEP;
  const olderThan = (days: number | undefined): boolean => days !== undefined && ageMs >= days * DAY_MS;
  if (olderThan(policy.days) || (policy.keepLast !== undefined && run.rank > policy.keepLast)) {
    return { action: 'delete' };
  }
  const logs = !run.logExpired && olderThan(policy.logDays);
  const artifacts = run.hasStoredArtifacts && olderThan(policy.artifactDays);
  return logs || artifacts ? { action: 'drop', logs, artifacts } : KEEP;
}

/** True when the policy can never expire anything (no limit set). */
export function keepsEverything(policy: RetentionPolicy): boolean {
  return (
    policy.days === undefined &&
    policy.keepLast === undefined &&
    policy.logDays === undefined &&
    policy.artifactDays === undefined
  );
}

/**
 * The group keep-last-N counts within: the job, else the name (a script run by hand under one name
 * is its own history, as `recentRuns` treats it).
 */
export function retentionGroup(run: { jobId: string | null; name: string }): string {
  return run.jobId === null ? `name:${run.name}` : `job:${run.jobId}`;
}

/**
 * Checks a policy from outside (settings, a job's JSON): each limit a number of days above 0 (at
 * most {@link MAX_RETENTION_DAYS}), `keepLast` an integer from 1 to {@link MAX_RETENTION_KEEP_LAST},
 * no other field. `name`
 * names a limit in errors (`STEPFLOW_RETENTION_DAYS`, `body.retention.days`).
 */
export function checkRetentionPolicy(
  policy: RetentionPolicy,
  name: (limit: string) => string,
): RetentionPolicy {
  // A misspelt limit (`keep_last`) would otherwise keep runs the user meant to expire.
  const unknown = Object.keys(policy).find((key) => !(RETENTION_LIMITS as readonly string[]).includes(key));
  if (unknown !== undefined) {
    throw validationError(`${name(unknown)}: unknown field; the limits are ${RETENTION_LIMITS.join(', ')}`, {
      field: name(unknown),
    });
  }
  for (const limit of RETENTION_LIMITS) {
    const value = policy[limit];
    if (value === undefined) continue;
    if (limit === 'keepLast') {
      if (!Number.isInteger(value) || value < 1 || value > MAX_RETENTION_KEEP_LAST) {
        throw validationError(
          `${name(limit)} must be an integer of at least 1 and at most ${MAX_RETENTION_KEEP_LAST}, got ${String(value)}`,
          { field: name(limit) },
        );
      }
    } else if (!Number.isFinite(value) || value <= 0 || value > MAX_RETENTION_DAYS) {
      throw validationError(
        `${name(limit)} must be a number of days above 0 and at most ${MAX_RETENTION_DAYS}, got ${String(value)}`,
        { field: name(limit) },
      );
    }
  }
  return policy;
}

/**
 * The global retention policy a sweep applies (docs/RETENTION.md): the settings' defaults, each
 * limit the server's environment sets (`STEPFLOW_RETENTION_*`) replacing the same one.
 */
export function effectiveRetention(
  settings: RetentionPolicy,
  fromEnvironment: RetentionPolicy,
): RetentionPolicy {
  return { ...settings, ...fromEnvironment };
}
