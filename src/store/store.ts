import type {
  Annotation,
  Artifact,
  Execution,
  ExecutionDetail,
  ExecutionOwner,
  LogLine,
  ResourceSample,
  RunSpec,
  Step,
} from '../core/model.js';
import type { ExecutionStatus, LogStream } from '../core/statuses.js';

/**
 * The storage port. The runner and the API only see this interface; `sqlite/` implements it (and a
 * later `postgres/` will, with the same file names). Every backend passes `store-contract.ts`.
 *
 * Writes of a running execution go through {@link ExecutionStore.write}: one call, one transaction,
 * many lines. Callers batch; the store never sees a line on its own.
 */
export interface ExecutionStore {
  /** Creates an execution in `queued` (or the given) status and returns it with its new id. */
  createExecution(input: NewExecution): Promise<Execution>;

  /** Applies a batch of changes to executions atomically (one transaction). */
  write(batch: WriteBatch): Promise<void>;

  getExecution(id: string): Promise<ExecutionDetail | undefined>;
  /** The spec an execution was started with (for re-runs). Env values are included: keep it inside. */
  getRunSpec(id: string): Promise<RunSpec | undefined>;
  listExecutions(query?: ExecutionQuery): Promise<ExecutionPage>;
  readLog(id: string, query?: LogQuery): Promise<LogPage>;
  listResourceSamples(id: string): Promise<ResourceSample[]>;
  /** How many executions are stored in each status; every status is present (0 when none). */
  countByStatus(): Promise<Record<ExecutionStatus, number>>;

  /** Deletes an execution with its log, steps, artifacts (rows only; files are the caller's job). */
  deleteExecution(id: string): Promise<void>;

  /**
   * Marks `queued`/`running` executions whose owner is dead as `interrupted` and closes their open
   * steps. Returns the ids it changed. `isOwnerAlive` is asked once per distinct owner.
   */
  recoverInterrupted(isOwnerAlive: (owner: ExecutionOwner) => boolean): Promise<string[]>;

  close(): Promise<void>;
}

export interface NewExecution {
  spec: RunSpec;
  status?: 'queued' | 'running';
  owner?: ExecutionOwner | null;
  /** Defaults to now. */
  createdAt?: string;
}

/** Changes produced by running executions during one flush interval. */
export interface WriteBatch {
  /** Full execution rows to overwrite (status, times, exit code, meta, peaks, lineCount…). */
  executions?: Execution[];
  /** Steps to insert or replace (by execution id + step id). */
  steps?: { executionId: string; step: Step }[];
  /** New log lines, in seq order per execution. */
  lines?: { executionId: string; lines: LogLine[] }[];
  artifacts?: { executionId: string; artifact: Artifact }[];
  annotations?: { executionId: string; annotation: Annotation }[];
  samples?: { executionId: string; samples: ResourceSample[] }[];
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
}

export interface ExecutionPage {
  items: Execution[];
  nextCursor: string | null;
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
  /** Pass as `after` to get the next page: the last seq returned, or the query's `after` if none. */
  nextAfter: number;
  /** True when more lines matching the query are stored past this page. */
  hasMore: boolean;
}
