/**
 * What `stepflow verify` and `GET /api/health/integrity` can find (docs/OPERATIONS.md): stable codes,
 * so scripts and alerts can match them.
 */
export const INTEGRITY_PROBLEM_CODES = [
  /** `PRAGMA integrity_check` (or the backend's own check) found damage. */
  'database_damaged',
  /** An artifact row says stored, and its copy is not in the data dir. */
  'artifact_missing',
  /** The copy is there with another size than its row's. */
  'artifact_size_mismatch',
  /** The copy is there with another SHA-256 than its row's. */
  'artifact_hash_mismatch',
  /** A file under the artifacts folder that no row of an ended run names. */
  'orphan_artifact_file',
  /** Log lines missing between two chunks of a run (not a log limit's drop). */
  'log_gap',
  /** Log lines stored twice (two chunks cover the same seq). */
  'log_overlap',
  /** A queued or running run whose owner process is dead: nothing will ever end it. */
  'run_without_owner',
] as const;

type IntegrityProblemCode = (typeof INTEGRITY_PROBLEM_CODES)[number];

/** One problem: what, where, and what `--repair` does about it. */
export interface IntegrityProblem {
  code: IntegrityProblemCode;
  message: string;
  executionId?: string;
  /** Relative to the data dir. */
  path?: string;
  /** What `--repair` would do, in words; null when it is not safe to fix (the text says what to do). */
  repair: string | null;
  /** Set by a repair: whether it was done. */
  repaired?: boolean;
}

export interface VerifyReport {
  /** True when no problem is left (none found, or every one repaired). */
  ok: boolean;
  checkedAt: string;
  durationMs: number;
  checked: { artifacts: number; artifactBytes: number; openRuns: number };
  problems: IntegrityProblem[];
  /** Whether this was a `--repair` run. */
  repair: boolean;
}
