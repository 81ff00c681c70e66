import type {
  Annotation,
  Artifact,
  Execution,
  ExecutionDetail,
  ExecutionOwner,
  ExecutionSummary,
  LogLine,
  ResourceSample,
  RunSpec,
  Step,
} from '../core/model.js';
import type { NewExecution } from '../core/new-execution.js';
import type { ExecutionStatus, LogStream } from '../core/statuses.js';
import type { RunSearchPage } from '../core/search/run-search.js';
import type { TrendRun } from '../core/step-trends.js';

// The shape of a search's answer is the domain's (the API renders it too): here for the port's users.
export type { RunSearchHit, RunSearchLine, RunSearchPage } from '../core/search/run-search.js';

export type { NewExecution };

/** See {@link ExecutionStore.recentRuns}. */
export interface RecentRuns {
  basis: 'job' | 'name';
  runs: TrendRun[];
}

/**
 * The storage port. The runner and the API only see this interface; `sqlite/` implements it (and a
 * later `postgres/` will, with the same file names). Every backend passes `store-contract.ts`.
 *
 * Writes of a running execution go through {@link ExecutionStore.write}: one call, one transaction,
 * many lines. Callers batch; the store never sees a line on its own.
 */
export interface ExecutionStore {
  /**
   * Creates an execution in `queued` (or the given) status and returns it with its new id. Every
   * field comes from core's `newExecution` (id, name, validation): a backend only saves it.
   */
  createExecution(input: NewExecution): Promise<Execution>;

  /** Applies a batch of changes to executions atomically (one transaction). */
  write(batch: WriteBatch): Promise<void>;

  getExecution(id: string): Promise<ExecutionDetail | undefined>;
  /**
   * The run's summary Markdown and each step's share ({@link WriteBatch.summaries}); undefined when
   * the execution does not exist. Kept apart from the execution: no other read returns the text
   * (they only say `hasSummary`), so listings stay small.
   */
  getSummary(id: string): Promise<ExecutionSummary | undefined>;
  /** The spec an execution was started with (for re-runs). Env values are included: keep it inside. */
  getRunSpec(id: string): Promise<RunSpec | undefined>;
  /** Pages may be shared between calls (a backend may cache them): treat them as read-only. */
  listExecutions(query?: ExecutionQuery): Promise<ExecutionPage>;
  readLog(id: string, query?: LogQuery): Promise<LogPage>;
  /**
   * The unfiltered log as UTF-8 text (as core/log-text.ts renders it), a page at a time: lines after
   * `after`, whole chunks until at least `limit` lines or about 1 MiB. Stored bytes go out as they are, with no
   * line objects and no UTF-16 round trip: this is what serving a big log costs.
   */
  readLogText(id: string, query?: LogTextQuery): Promise<LogTextPage>;
  /** Which seq ranges belong to which step, without reading any text (the log viewer's skeleton). */
  readLogOutline(id: string): Promise<LogOutline>;
  /** Case-insensitive plain-text search of the log with ANSI escapes removed; totals cover the whole log. */
  searchLog(id: string, query: LogSearchQuery): Promise<LogSearchPage>;
  /**
   * Searches every run's log (matching as {@link searchLog} does; rules in `core/search/run-search.ts`):
   * runs with a match, newest first, each with exact counts and its first matching lines. Indexed:
   * a page reads the index and the logs of at most a bounded number of runs (see {@link RunSearchPage}).
   */
  searchRuns(query: RunSearchQuery): Promise<RunSearchPage>;
  listResourceSamples(id: string): Promise<ResourceSample[]>;
  /** How many executions are stored in each status; every status is present (0 when none). */
  countByStatus(): Promise<Record<ExecutionStatus, number>>;
  /**
   * The newest `succeeded` execution with exactly this name, created strictly before
   * `beforeCreatedAt` (ISO): what progress estimates of a new run of the same script are based on.
   */
  lastSucceededByName(name: string, beforeCreatedAt: string): Promise<Execution | undefined>;
  /**
   * The execution `id` and the ones created before it of the same job (when it is no job's: the
   * runs of no job with the same name), newest first, at most `limit` in all, each with its steps in order of start (bounded
   * per run); undefined when `id` does not exist. What per-step duration trends are drawn from.
   */
  recentRuns(id: string, limit: number): Promise<RecentRuns | undefined>;
  /** Counts and durations of executions created in a time range, in equal buckets (dashboards). */
  executionStats(query: StatsQuery): Promise<ExecutionStats>;
  /** Artifacts of every execution, newest execution first, with a little of their execution. */
  listArtifacts(query?: ArtifactQuery): Promise<ArtifactPage>;

  /** Deletes an execution with its log, steps, artifacts (rows only; files are the caller's job). */
  deleteExecution(id: string): Promise<void>;

  /**
   * Marks `queued`/`running` executions whose owner is dead as `interrupted` and closes their open
   * steps. Returns the ids it changed. Core decides (`core/interruption.ts`: `findOrphans` asks
   * `isOwnerAlive` once per distinct owner, `interruptionOf` says what each run and its open steps
   * become, from {@link lastSignOfLife}); the backend saves that, each execution only if it is still
   * open at that moment (its owner may have ended it meanwhile).
   */
  recoverInterrupted(isOwnerAlive: (owner: ExecutionOwner) => boolean): Promise<string[]>;

  /**
   * When the execution last showed it was alive, from what is stored (ISO): the latest of its
   * owner's heartbeat ({@link WriteBatch.ownerSeen}), its log lines, steps, artifacts and resource
   * samples, and its start. Null when it does not exist. This is the `endedAt` an interrupted run gets.
   */
  lastSignOfLife(id: string): Promise<string | null>;

  /**
   * Records a request to cancel an execution, for the process that owns it to act on: any process
   * may call it, the owner finds it with {@link cancelRequests}. Only a `queued`/`running`
   * execution takes a request; a repeated one keeps the first time (`at`, ISO). An execution that
   * has ended is left as it is (`requestedAt: null`). `not_found` when there is no such execution.
   */
  requestCancel(id: string, at: string): Promise<CancelRequestResult>;

  /**
   * Ids of `owner`'s `queued`/`running` executions that someone asked to cancel, in id order. The
   * owner polls this while it runs anything: it must stay cheap (one indexed lookup).
   */
  cancelRequests(owner: ExecutionOwner): Promise<string[]>;

  /**
   * Pins (never expires) or unpins an execution, any status; returns it as stored. `not_found`
   * when there is no such execution. Writes of the run's own row never change it.
   */
  setPinned(id: string, pinned: boolean): Promise<Execution>;

  /**
   * Retention's listing (docs/RETENTION.md): ended executions, newest first (by id, i.e. creation),
   * at most `limit`, with ids below `before` (keyset paging: pass the last id of a page). Cheap
   * columns only; pinned ones included (they hold no place in keep-last-N, the caller skips them).
   */
  listEndedRuns(query: EndedRunQuery): Promise<EndedRun[]>;
  /** The bytes retention would free: log text (UTF-8) and stored artifact sizes, per execution given. */
  measureRuns(ids: string[]): Promise<RunBytes[]>;
  /**
   * Drops the log text of these executions in one transaction: their chunks go, the record, steps
   * and `lineCount` stay, and `logExpiredAt` becomes `at`. Pinned, open and already-dropped ones are
   * left alone (a pin may arrive after the listing). Returns the ids whose log it dropped.
   */
  dropLogs(ids: string[], at: string): Promise<string[]>;
  /**
   * Marks the `stored` artifacts of these executions `expired` in one transaction (pinned and open
   * ones left alone) and returns what they were, so the caller deletes the files.
   */
  expireArtifacts(ids: string[]): Promise<ExpiredArtifact[]>;
  /**
   * Deletes these executions as {@link deleteExecution} does, in one transaction; pinned, open and
   * missing ones are skipped. Returns the ids deleted (their artifact files are the caller's job).
   */
  deleteExecutions(ids: string[]): Promise<string[]>;

  /**
   * Changes whenever another connection commits; equal values mean nothing new. A poller keeps
   * the last value and skips its queries while it is unchanged (SQLite: `PRAGMA data_version`).
   */
  changeMarker(): Promise<number>;

  /**
   * Optional: calls `listener` soon after any process on the store (this one included) commits a
   * change, saying what kind. A wake-up only, best effort and coalesced (a few per 50 ms at most):
   * pollers of {@link changeMarker} look at once instead of at their next tick, and keep polling as
   * the fallback, since a notice can be missed (while the backend reconnects). Absent where the
   * backend cannot hear other processes' commits (SQLite: polling only). Returns the unsubscribe.
   */
  onChange?(listener: (change: StoreChange) => void): () => void;

  close(): Promise<void>;
}

export interface EndedRunQuery {
  /** Only ids below this one (the last id of the previous page); absent: from the newest. */
  before?: string;
  limit: number;
}

/** One row of {@link ExecutionStore.listEndedRuns}: what retention decides on. */
export interface EndedRun {
  id: string;
  jobId: string | null;
  name: string;
  status: ExecutionStatus;
  endedAt: string | null;
  pinned: boolean;
  /** Its log text was already dropped. */
  logExpired: boolean;
  /** It has at least one `stored` artifact. */
  hasStoredArtifacts: boolean;
}

/** See {@link ExecutionStore.measureRuns}. */
export interface RunBytes {
  id: string;
  /** Bytes of its stored log text (UTF-8). */
  logBytes: number;
  /** Sum of the sizes of its `stored` artifacts. */
  artifactBytes: number;
}

/** An artifact {@link ExecutionStore.expireArtifacts} marked `expired`. */
export interface ExpiredArtifact {
  executionId: string;
  artifactId: number;
  /** Where its copy was, relative to the data dir; null when none was recorded. */
  storedPath: string | null;
  size: number | null;
}
/**
 * What a change notice ({@link ExecutionStore.onChange}) is about: `queued`, a run was queued (for
 * workers to claim); `ended`, a run ended; `log`, anything else (lines, steps, a run's state).
 */
export const STORE_CHANGES = ['log', 'queued', 'ended'] as const;
export type StoreChange = (typeof STORE_CHANGES)[number];

/** What {@link ExecutionStore.requestCancel} found. */
export interface CancelRequestResult {
  /** The execution as stored. */
  execution: Execution;
  /** When the cancel was (first) requested; null when the execution had already ended. */
  requestedAt: string | null;
}

/** Changes produced by running executions during one flush interval. */
export interface WriteBatch {
  /**
   * Full execution rows to overwrite (status, times, exit code, meta, peaks, lineCount…). A `lost`
   * execution is final: its row is never overwritten (its worker's late report raced the lease).
   */
  executions?: Execution[];
  /** Steps to insert or replace (by execution id + step id). */
  steps?: { executionId: string; step: Step }[];
  /** New log lines, in seq order per execution. */
  lines?: { executionId: string; lines: LogLine[] }[];
  artifacts?: { executionId: string; artifact: Artifact }[];
  annotations?: { executionId: string; annotation: Annotation }[];
  samples?: { executionId: string; samples: ResourceSample[] }[];
  /**
   * Summary Markdown to set (replacing the text before): a step's (`stepId`) or the whole run's
   * (`stepId: null`). The store derives `hasSummary` of executions and steps from what it holds, so
   * the `hasSummary` of the rows written is not taken from them.
   */
  summaries?: { executionId: string; stepId: number | null; summary: string }[];
  /**
   * The owner's heartbeat: `owner` was alive at `at` (ISO). Recorded on every `queued`/`running`
   * execution of that owner, so a crash can be dated by {@link ExecutionStore.lastSignOfLife}.
   */
  ownerSeen?: { owner: ExecutionOwner; at: string };
}

export interface ExecutionQuery {
  status?: ExecutionStatus[];
  /** `key=value` (exact) or `key` (present). All must match. */
  tags?: string[];
  /** Case-insensitive substring of name or command. */
  text?: string;
  /** ISO timestamps on createdAt, inclusive. */
  since?: string;
  until?: string;
  /** Default 50, max 500. */
  limit?: number;
  /** Opaque, from a previous page's `nextCursor`. */
  cursor?: string;
  /** Only executions started by this job (every attempt). */
  jobId?: string;
  /** Only the direct re-runs of this execution (not their re-runs). */
  rerunOf?: string;
  /** `desc` (default): newest first; `asc`: oldest first. A cursor continues the order it came from. */
  order?: 'asc' | 'desc';
}

export interface ExecutionPage {
  items: Execution[];
  nextCursor: string | null;
  /** Rows of this page that could not be read (left out of `items`); absent when none. */
  problems?: UnreadableRecord[];
}

/**
 * A stored record this version cannot turn back into its domain object (written by an older
 * version with a value now out of range, or damaged). Lists skip it and name it here; it can still
 * be deleted by id.
 */
export interface UnreadableRecord {
  id: string;
  /** Its name, when that column could be read. */
  name: string | null;
  /** What is wrong with it. */
  error: string;
}

export interface LogQuery {
  /** Return lines with seq > after. Default 0. */
  after?: number;
  /** Default 1000, max 10000. */
  limit?: number;
  stepId?: number;
  stream?: LogStream;
  /** Case-sensitive substring. */
  text?: string;
}

export interface LogPage {
  lines: LogLine[];
  /**
   * Present when retention dropped this run's log text (ISO, when): no line will come, whatever
   * `lineCount` says. Set on pages without lines only.
   */
  expiredAt?: string;
  /** Pass as `after` to get the next page: the last seq returned, or the query's `after` if none. */
  nextAfter: number;
  /** True when more lines matching the query are stored past this page. */
  hasMore: boolean;
}

export interface LogTextQuery {
  /** Text of lines with seq > after. Default 0. */
  after?: number;
  /**
   * At least this many lines when the log has them (whole chunks: up to ~1,000 more), unless the
   * page reaches about 1 MiB first. Default 1000, max 10000.
   */
  limit?: number;
}

export interface LogTextPage {
  /** UTF-8, as core/log-text.ts renders the page's lines. */
  text: Buffer;
  /** The last seq in `text`, or the query's `after` if none. */
  nextAfter: number;
  hasMore: boolean;
  /** As {@link LogPage.expiredAt}. */
  expiredAt?: string;
}

/** Consecutive lines of one step (stream ignored); `stepId` null for lines outside any step. */
export interface LogSegment {
  stepId: number | null;
  firstSeq: number;
  lastSeq: number;
}

export interface LogOutline {
  /** Highest stored seq; 0 for an empty log. */
  lastSeq: number;
  /** In seq order, gapless, consecutive segments of the same step merged. */
  segments: LogSegment[];
}

export interface LogSearchQuery {
  /** 1 to 200 characters, matched case-insensitively in the text without ANSI escapes. */
  text: string;
  /** Return matching lines with seq > after. Default 0. */
  after?: number;
  /** Default 1000, max 10000. */
  limit?: number;
}

export interface LogSearchPage {
  /** Occurrences in the whole log (non-overlapping, per line). */
  total: number;
  /** Lines of the whole log holding at least one occurrence. */
  lineTotal: number;
  /** Matching lines with seq > after, in seq order, at most `limit`. */
  matches: { seq: number; count: number }[];
  /** Pass as `after` for the next page: the last seq returned, or the query's `after` if none. */
  nextAfter: number;
  hasMore: boolean;
}

export interface RunSearchQuery {
  /** 3 to 200 characters, matched case-insensitively in the lines without ANSI escapes. */
  text: string;
  status?: ExecutionStatus[];
  /** ISO; only runs created at or after it. */
  since?: string;
  /** Only runs started by this job. */
  jobId?: string;
  /** `key=value` (exact) or `key` (present), as in {@link ExecutionQuery}; all must match. */
  tags?: string[];
  /** Runs with a match per page: default 20, max 100. */
  limit?: number;
  /** Matching lines returned per run (its first ones, in seq order): default 3, max 20. */
  linesPerRun?: number;
  /** Opaque, from a previous page's `nextCursor`. */
  cursor?: string;
}

export interface StatsQuery {
  /** Start of the first bucket (epoch ms, a multiple of `bucketMs`). */
  fromMs: number;
  /** Bucket width in ms; every bucket from `fromMs` up to and including the one holding `toMs` is returned. */
  bucketMs: number;
  /** End of the range (epoch ms, inclusive). */
  toMs: number;
}

export interface StatsBucket {
  /** ISO start of the bucket. */
  start: string;
  total: number;
  succeeded: number;
  /** Failures: the statuses of `FAILURE_STATUSES` (core/statuses.ts) together. */
  failed: number;
  cancelled: number;
  /** Nearest-rank median and 95th percentile of the durations of the bucket's ended executions. */
  medianDurationMs: number | null;
  p95DurationMs: number | null;
}

export interface ExecutionStats {
  /** Executions created in the range, by status; every status is present. */
  byStatus: Record<ExecutionStatus, number>;
  /** Every bucket of the range in time order, empty ones included. */
  buckets: StatsBucket[];
}

export interface ArtifactQuery {
  /** Case-insensitive substring of the artifact's path or description, or its execution's name. */
  text?: string;
  /** Default 100, max 500. */
  limit?: number;
  /** Opaque, from a previous page's `nextCursor`. */
  cursor?: string;
}

/** @public */
export interface ArtifactListItem extends Artifact {
  executionId: string;
  executionName: string;
  executionStatus: ExecutionStatus;
  executionCreatedAt: string;
  /** Name of the step that recorded it, when it was recorded inside one. */
  stepName: string | null;
}

export interface ArtifactPage {
  items: ArtifactListItem[];
  nextCursor: string | null;
}
