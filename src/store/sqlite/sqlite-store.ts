import * as path from 'node:path';
import type Database from 'better-sqlite3';
import { ERROR_CODES, StepflowError, notFound } from '../../core/errors.js';
import { createExecutionIdFactory } from '../../core/execution-ids.js';
import { newExecution } from '../../core/new-execution.js';
import { EXECUTION_STATUSES, isExecutionStatus } from '../../core/statuses.js';
import type { ExecutionStatus } from '../../core/statuses.js';
import type {
  Execution,
  ExecutionDetail,
  ExecutionOwner,
  ExecutionSummary,
  ResourceSample,
  RunSpec,
} from '../../core/model.js';
import type {
  CancelRequestResult,
  ExecutionPage,
  ExecutionQuery,
  ExecutionStore,
  LogOutline,
  LogPage,
  LogQuery,
  LogTextPage,
  LogTextQuery,
  LogSearchPage,
  LogSearchQuery,
  NewExecution,
  RunSearchPage,
  RunSearchQuery,
  WriteBatch,
} from '../store.js';
import { createBatchWriter } from './batch-writer.js';
import { createCancelRequests } from './cancel-requests.js';
import { startCheckpointer, type Checkpointer } from './checkpointer.js';
import { lastSucceededByName } from './last-succeeded.js';
import { recentRuns } from './recent-runs.js';
import { listExecutions, registerListFunctions } from './list-executions.js';
import { createListingCache, type ListingCache } from './listing-cache.js';
import { listArtifacts } from './list-artifacts.js';
import { executionStats } from './execution-stats.js';
import type { ArtifactPage, ArtifactQuery, ExecutionStats, RecentRuns, StatsQuery } from '../store.js';
import { createLogReader } from './log-reader.js';
import { createLogTextReader } from './log-text-reader.js';
import { createLogPacker, type LogPacker } from './log-packer.js';
import { createLogOutlineReader } from './log-outline.js';
import { createLogSearcher } from './log-search.js';
import { createRunSearcher } from './run-search.js';
import { searchIndexPath } from './search-index.js';
import { DATABASE_FILE, openDatabase } from './open-database.js';
import { recoverInterrupted } from './recover-interrupted.js';
import { createSignOfLifeReader } from './last-sign-of-life.js';
import { annotationFromRow, artifactFromRow, sampleFromRow, stepFromRow } from './detail-rows.js';
import type { AnnotationRow, ArtifactRow, SampleRow, StepRow } from './detail-rows.js';
import {
  EXECUTION_COLUMNS,
  executionFromRow,
  hasSummarySql,
  parseRunSpec,
  RUN_SUMMARY_STEP_ID,
  unreadableExecution,
} from './execution-row.js';
import type { ExecutionRow } from './execution-row.js';
import { guarded } from './sqlite-errors.js';
import { createRetentionRows, type RetentionRows } from './retention-rows.js';
import type { EndedRun, EndedRunQuery, ExpiredArtifact, RunBytes } from '../store.js';

/** Chunks per packing transaction: ~1,000 lines each, a few ms together. */
const PACK_CHUNKS_PER_STEP = 8;
/** `PRAGMA auto_vacuum` INCREMENTAL; pages handed back per packing turn (4 MiB of 16 KiB pages). */
const AUTO_VACUUM_INCREMENTAL = 2;
const RECLAIM_PAGES_PER_PACK = 256;
const PACKING_WAITS_FOR = new Set<string>([ERROR_CODES.STORE_UNAVAILABLE, ERROR_CODES.STORE_FULL]);

/** Log text after which a writing connection starts its background checkpointer (~1 MiB). */
const CHECKPOINTER_AFTER_CHARS = 1 << 20;
/** …or this long after its first write, for a run that writes little but long. */
const CHECKPOINTER_AFTER_MS = 5_000;

export interface SqliteStoreOptions {
  /** Directory holding `stepflow.db`; created when missing. */
  dataDir: string;
  /** Clock for timestamps the store sets itself (createdAt, recovery); tests pass a fake. */
  now?: () => Date;
}

/** Opens the SQLite store in `dataDir`, creating and migrating the database as needed. */
export async function openSqliteStore({
  dataDir,
  now = () => new Date(),
}: SqliteStoreOptions): Promise<SqliteStore> {
  const file = path.join(dataDir, DATABASE_FILE);
  return new SqliteStore(await openDatabase(dataDir), file, now);
}

/**
 * {@link ExecutionStore} on one better-sqlite3 connection, which it owns (closes): the job store
 * and maintenance opened with it by `openSqliteStores` share it. Every method runs synchronously
 * inside its promise, so no transaction is ever open across an await.
 */
export class SqliteStore implements ExecutionStore {
  private readonly writer: ReturnType<typeof createBatchWriter>;
  private readonly readLogPage: ReturnType<typeof createLogReader>;
  private readonly readLogTextPage: ReturnType<typeof createLogTextReader>;
  private readonly readOutline: ReturnType<typeof createLogOutlineReader>;
  private readonly searchLogText: ReturnType<typeof createLogSearcher>;
  private readonly searchAllRuns: ReturnType<typeof createRunSearcher>;
  private readonly readSignOfLife: ReturnType<typeof createSignOfLifeReader>;
  private readonly cancels: ReturnType<typeof createCancelRequests>;
  private readonly nextId = createExecutionIdFactory();
  private readonly listings: ListingCache;
  private readonly selectExecution: Database.Statement<[string], ExecutionRow>;
  private readonly selectSteps: Database.Statement<[string], StepRow>;
  private readonly selectSummaries: Database.Statement<[string], { step_id: number; text: string }>;
  private readonly readSummary: Database.Transaction<(id: string) => ExecutionSummary | undefined>;
  private readonly selectArtifacts: Database.Statement<[string], ArtifactRow>;
  private readonly selectAnnotations: Database.Statement<[string], AnnotationRow>;
  private readonly selectSamples: Database.Statement<[string], SampleRow>;
  private readonly selectRunSpec: Database.Statement<[string], string>;
  private readonly selectExists: Database.Statement<[string], number>;
  private readonly selectStatusCounts: Database.Statement<[], { status: string; n: number }>;
  private readonly deleteRow: Database.Statement<[string]>;
  private readonly retention: RetentionRows;
  private readonly selectLogExpiry: Database.Statement<[string], { at: string | null }>;
  private readonly readDetail: Database.Transaction<(id: string) => ExecutionDetail | undefined>;
  /** Started once writes add up ({@link startCheckpointerWhenBusy}); read-only uses never pay for it. */
  private checkpointer: Checkpointer | undefined;
  private checkpointerTimer: NodeJS.Timeout | undefined;
  /** Log text this connection wrote since it opened, until the checkpointer starts (characters). */
  private textWritten = 0;
  /** Ended runs' log text packed while idle ({@link packLogsWhenIdle}). */
  private readonly packer: LogPacker;
  private packTimer: NodeJS.Timeout | undefined;
  /** performance.now() of this connection's last write. */
  private lastWriteAt = -Infinity;
  /** Whether the file gives freed pages back in steps (auto_vacuum INCREMENTAL); read once. */
  private incrementalVacuum: boolean | undefined;

  constructor(
    private readonly db: Database.Database,
    /** Path of the database file. */
    readonly file: string,
    private readonly now: () => Date,
  ) {
    registerListFunctions(db);
    this.listings = createListingCache(db);
    this.writer = createBatchWriter(db);
    this.readLogPage = createLogReader(db);
    this.readLogTextPage = createLogTextReader(db);
    this.readOutline = createLogOutlineReader(db);
    this.searchLogText = createLogSearcher(db);
    this.searchAllRuns = createRunSearcher(db, { indexFile: searchIndexPath(path.dirname(file)) });
    this.readSignOfLife = createSignOfLifeReader(db);
    this.cancels = createCancelRequests(db);
    this.retention = createRetentionRows(db);
    this.packer = createLogPacker(db);
    this.selectLogExpiry = db.prepare('SELECT logs_expired_at AS at FROM executions WHERE id = ?');
    this.selectExecution = db.prepare(`SELECT ${EXECUTION_COLUMNS} FROM executions WHERE id = ?`);
    this.selectSteps = db.prepare(
      `SELECT *, ${hasSummarySql('execution_id', 'id')} AS has_summary FROM steps WHERE execution_id = ? ORDER BY id`,
    );
    this.selectSummaries = db.prepare<[string], { step_id: number; text: string }>(
      'SELECT step_id, text FROM summaries WHERE execution_id = ? ORDER BY step_id',
    );
    this.selectArtifacts = db.prepare('SELECT * FROM artifacts WHERE execution_id = ? ORDER BY id');
    this.selectAnnotations = db.prepare('SELECT * FROM annotations WHERE execution_id = ? ORDER BY id');
    this.selectSamples = db.prepare(
      'SELECT ts, cpu_percent, memory_bytes, process_count FROM resource_samples WHERE execution_id = ? ORDER BY ts',
    );
    this.selectRunSpec = db.prepare<[string], string>('SELECT run_spec FROM executions WHERE id = ?').pluck();
    this.selectExists = db.prepare<[string], number>('SELECT 1 FROM executions WHERE id = ?').pluck();
    // Walks the (status, id) index, never the table rows.
    this.selectStatusCounts = db.prepare<[], { status: string; n: number }>(
      'SELECT status, count(*) AS n FROM executions GROUP BY status',
    );
    // ON DELETE CASCADE removes tags, steps, log chunks, artifacts, annotations and samples.
    this.deleteRow = db.prepare<[string]>('DELETE FROM executions WHERE id = ?');
    // One read transaction: the run's text and its steps' from one snapshot.
    this.readSummary = db.transaction((id: string): ExecutionSummary | undefined => {
      if (this.selectExists.get(id) === undefined) return undefined;
      const rows = this.selectSummaries.all(id);
      return {
        summary: rows.find((row) => row.step_id === RUN_SUMMARY_STEP_ID)?.text ?? null,
        steps: rows
          .filter((row) => row.step_id !== RUN_SUMMARY_STEP_ID)
          .map((row) => ({ stepId: row.step_id, summary: row.text })),
      };
    });
    // Per connection: moves only when another connection (another process) committed.
    // One read transaction, so the parts come from one snapshot even while other processes write.
    this.readDetail = db.transaction((id: string): ExecutionDetail | undefined => {
      const row = this.selectExecution.get(id);
      if (row === undefined) return undefined;
      const execution = executionFromRow(row);
      try {
        return {
          ...execution,
          steps: this.selectSteps.all(id).map(stepFromRow),
          artifacts: this.selectArtifacts.all(id).map(artifactFromRow),
          annotations: this.selectAnnotations.all(id).map(annotationFromRow),
        };
      } catch (error) {
        // A step's damaged meta JSON: the execution cannot be shown, and can be deleted.
        if (error instanceof SyntaxError) throw unreadableExecution(row, error);
        throw error;
      }
    });
  }

  async createExecution(input: NewExecution): Promise<Execution> {
    return this.guard('cannot create the execution', () => {
      const execution = newExecution(input, { nextId: this.nextId, now: this.now });
      this.listings.invalidate();
      this.writer.insertExecution(execution, input.spec);
      return execution;
    });
  }

  async write(batch: WriteBatch): Promise<void> {
    this.lastWriteAt = performance.now();
    this.guard('cannot write the batch', () => {
      this.listings.invalidate();
      this.textWritten += this.writer.write(batch);
      this.startCheckpointerWhenBusy();
    });
  }

  /**
   * A thread of its own is worth it only to a connection that writes a lot or for long: a
   * `stepflow run -- true` would spend longer starting and stopping it (~50 ms at exit) than its
   * few commits take to checkpoint. So it starts when the log text written reaches
   * {@link CHECKPOINTER_AFTER_CHARS} — before the WAL reaches SQLite's own checkpoint inside a commit
   * (WAL_AUTOCHECKPOINT_PAGES of 4 KiB) — or {@link CHECKPOINTER_AFTER_MS} after the first write.
   */
  private startCheckpointerWhenBusy(): void {
    if (this.checkpointer !== undefined) return;
    // From the first write on, this connection never checkpoints inside a commit (what the thread
    // is for); until the thread starts, the WAL waits for it or for close. A checkpoint inside a
    // commit on a full disk left a run's end unsaved after the space came back (disk-full test).
    if (this.checkpointerTimer === undefined) this.db.pragma('wal_autocheckpoint = 0');
    const start = (): void => {
      clearTimeout(this.checkpointerTimer);
      if (this.db.open) this.checkpointer ??= startCheckpointer(this.db);
    };
    if (this.textWritten >= CHECKPOINTER_AFTER_CHARS) start();
    else if (this.checkpointerTimer === undefined) {
      this.checkpointerTimer = setTimeout(start, CHECKPOINTER_AFTER_MS).unref();
    }
  }

  /**
   * Packs ended runs' log text (log-packer.ts: ~30 % of its size on disk) while this connection is
   * idle: every `checkMs`, when it wrote nothing for `idleMs` and no other process committed since
   * the last check, it packs for up to `budgetMs` (short transactions, then a few MiB of space
   * handed back), so neither ingest nor the API waits for it. For long-lived processes (the
   * server); close() stops it.
   */
  packLogsWhenIdle({ idleMs = 2000, checkMs = 250, budgetMs = 20 } = {}): void {
    if (this.packTimer !== undefined) return;
    let dataVersion: number | undefined;
    this.packTimer = setInterval(() => {
      if (!this.db.open) return;
      const version = this.db.pragma('data_version', { simple: true }) as number;
      const quiet = version === dataVersion && performance.now() - this.lastWriteAt >= idleMs;
      dataVersion = version;
      if (!quiet) return;
      try {
        this.guard('cannot pack log text', () => this.packLogs(budgetMs));
      } catch (error) {
        // Busy (another process writing) or a full disk: the text stays as it is; next time.
        const passing = error instanceof StepflowError && PACKING_WAITS_FOR.has(error.code);
        if (!passing) console.error('stepflow: packing log text failed', error);
      }
      dataVersion = this.db.pragma('data_version', { simple: true }) as number;
    }, checkMs).unref();
  }

  /**
   * Packs ended runs' chunks for about `budgetMs`, then hands back up to 4 MiB of freed pages.
   * Returns true while more is left to pack.
   */
  packLogs(budgetMs: number): boolean {
    const deadline = performance.now() + budgetMs;
    let more = true;
    while (more && performance.now() < deadline) more = this.packer.step(PACK_CHUNKS_PER_STEP) > 0;
    // Only `stepflow prune --vacuum` turns it on (never off); if that runs meanwhile, freed pages
    // are reused until this process restarts.
    this.incrementalVacuum ??= this.db.pragma('auto_vacuum', { simple: true }) === AUTO_VACUUM_INCREMENTAL;
    if (this.incrementalVacuum) this.db.pragma(`incremental_vacuum(${RECLAIM_PAGES_PER_PACK})`);
    return more;
  }

  async getExecution(id: string): Promise<ExecutionDetail | undefined> {
    return this.guard('cannot read the execution', () => this.readDetail(id));
  }

  async getSummary(id: string): Promise<ExecutionSummary | undefined> {
    return this.guard('cannot read the summary', () => this.readSummary(id));
  }

  async getRunSpec(id: string): Promise<RunSpec | undefined> {
    return this.guard('cannot read the run spec', () => {
      const json = this.selectRunSpec.get(id);
      return json === undefined ? undefined : parseRunSpec(json, id);
    });
  }

  async listExecutions(query?: ExecutionQuery): Promise<ExecutionPage> {
    return this.guard('cannot list executions', () =>
      this.listings.get(query, () => listExecutions(this.db, query)),
    );
  }

  async executionStats(query: StatsQuery): Promise<ExecutionStats> {
    return this.guard('cannot compute execution stats', () => executionStats(this.db, query));
  }

  async listArtifacts(query?: ArtifactQuery): Promise<ArtifactPage> {
    return this.guard('cannot list artifacts', () => listArtifacts(this.db, query));
  }

  async readLog(id: string, query?: LogQuery): Promise<LogPage> {
    return this.guard('cannot read the log', () => {
      const page = this.readLogPage(id, query);
      return page.lines.length > 0 ? page : this.withLogExpiry(id, page);
    });
  }

  async readLogText(id: string, query?: LogTextQuery): Promise<LogTextPage> {
    return this.guard('cannot read the log', () => {
      const page = this.readLogTextPage(id, query);
      return page.text.length > 0 ? page : this.withLogExpiry(id, page);
    });
  }

  /** An empty page: say why when retention dropped the text (an empty log looks the same). */
  private withLogExpiry<P extends { expiredAt?: string }>(id: string, page: P): P {
    const row = this.selectLogExpiry.get(id);
    if (row === undefined) throw notFound('execution', id);
    return row.at === null ? page : { ...page, expiredAt: row.at };
  }

  async readLogOutline(id: string): Promise<LogOutline> {
    return this.guard('cannot read the log outline', () => {
      const outline = this.readOutline(id);
      if (outline.segments.length === 0) this.assertExists(id);
      return outline;
    });
  }

  async searchLog(id: string, query: LogSearchQuery): Promise<LogSearchPage> {
    return this.guard('cannot search the log', () => {
      const page = this.searchLogText(id, query);
      if (page.lineTotal === 0) this.assertExists(id);
      return page;
    });
  }

  async searchRuns(query: RunSearchQuery): Promise<RunSearchPage> {
    return this.guard('cannot search the runs', () => this.searchAllRuns(query));
  }

  async listResourceSamples(id: string): Promise<ResourceSample[]> {
    return this.guard('cannot read resource samples', () => {
      const samples = this.selectSamples.all(id).map(sampleFromRow);
      if (samples.length === 0) this.assertExists(id);
      return samples;
    });
  }

  async lastSucceededByName(name: string, beforeCreatedAt: string): Promise<Execution | undefined> {
    return this.guard('cannot find the last succeeded execution', () =>
      lastSucceededByName(this.db, name, beforeCreatedAt),
    );
  }

  async recentRuns(id: string, limit: number): Promise<RecentRuns | undefined> {
    return this.guard('cannot read the recent runs', () =>
      recentRuns(this.db, id, Math.max(1, Math.trunc(limit))),
    );
  }

  async countByStatus(): Promise<Record<ExecutionStatus, number>> {
    return this.guard('cannot count executions', () => {
      const counts = Object.fromEntries(EXECUTION_STATUSES.map((s) => [s, 0])) as Record<
        ExecutionStatus,
        number
      >;
      for (const { status, n } of this.selectStatusCounts.all()) {
        // A status written by a newer StepFlow has no slot here; it is left out rather than guessed.
        if (isExecutionStatus(status)) counts[status] = n;
      }
      return counts;
    });
  }

  async deleteExecution(id: string): Promise<void> {
    this.guard('cannot delete the execution', () => {
      this.listings.invalidate();
      if (this.deleteRow.run(id).changes === 0) {
        throw notFound('execution', id);
      }
    });
  }

  async setPinned(id: string, pinned: boolean): Promise<Execution> {
    return this.guard('cannot pin the execution', () => {
      this.listings.invalidate();
      return this.retention.setPinned(id, pinned);
    });
  }

  async listEndedRuns(query: EndedRunQuery): Promise<EndedRun[]> {
    return this.guard('cannot list ended executions', () => this.retention.listEndedRuns(query));
  }

  async measureRuns(ids: string[]): Promise<RunBytes[]> {
    return this.guard('cannot measure executions', () => this.retention.measureRuns(ids));
  }

  async dropLogs(ids: string[], at: string): Promise<string[]> {
    return this.guard('cannot drop logs', () => {
      this.listings.invalidate();
      return this.retention.dropLogs(ids, at);
    });
  }

  async expireArtifacts(ids: string[]): Promise<ExpiredArtifact[]> {
    return this.guard('cannot expire artifacts', () => {
      this.listings.invalidate();
      return this.retention.expireArtifacts(ids);
    });
  }

  async deleteExecutions(ids: string[]): Promise<string[]> {
    return this.guard('cannot delete executions', () => {
      this.listings.invalidate();
      return this.retention.deleteExecutions(ids);
    });
  }

  async recoverInterrupted(isOwnerAlive: (owner: ExecutionOwner) => boolean): Promise<string[]> {
    return this.guard('cannot recover interrupted executions', () => {
      this.listings.invalidate();
      return recoverInterrupted(this.db, isOwnerAlive, this.now());
    });
  }

  async lastSignOfLife(id: string): Promise<string | null> {
    return this.guard('cannot read the last sign of life', () => {
      const ms = this.readSignOfLife(id);
      return ms === null ? null : new Date(ms).toISOString();
    });
  }

  async requestCancel(id: string, at: string): Promise<CancelRequestResult> {
    return this.guard('cannot record the cancel request', () => this.cancels.request(id, at));
  }

  async cancelRequests(owner: ExecutionOwner): Promise<string[]> {
    return this.guard('cannot read cancel requests', () => this.cancels.pending(owner));
  }

  async changeMarker(): Promise<number> {
    return this.guard('cannot read the change marker', () => this.cancels.changeMarker());
  }

  /** Another store on this connection changed executions (the worker store's claims). */
  invalidateListings(): void {
    this.listings.invalidate();
  }

  /** Closes the connection; later calls fail with `store_unavailable`. Safe to call twice. */
  async close(): Promise<void> {
    if (!this.db.open) return;
    clearTimeout(this.checkpointerTimer);
    clearInterval(this.packTimer);
    // Before the main connection closes: the last connection to close checkpoints the whole WAL.
    await this.checkpointer?.close();
    if (!this.db.open) return;
    this.searchAllRuns.close();
    try {
      // SQLite's advice for connections that ran queries: refresh planner stats before closing.
      this.db.pragma('optimize');
    } finally {
      this.db.close();
    }
  }

  private assertExists(id: string): void {
    if (this.selectExists.get(id) === undefined) throw notFound('execution', id);
  }

  private guard<T>(context: string, operation: () => T): T {
    return guarded(this.db, context, operation);
  }
}
