import * as fs from 'node:fs';
import * as path from 'node:path';
import { setImmediate as yieldToOthers } from 'node:timers/promises';
import type Database from 'better-sqlite3';
import type {
  DatabaseDescription,
  IntegrityReport,
  OptimizeOutcome,
  ReclaimOutcome,
  SqliteDescription,
  StorageSizes,
  StoreMaintenance,
} from '../maintenance.js';
import { checkIntegrity } from './integrity-check.js';
import { guarded } from './sqlite-errors.js';

const TABLES = [
  'executions',
  'execution_tags',
  'steps',
  'log_chunks',
  'artifacts',
  'annotations',
  'resource_samples',
  'jobs',
  'job_triggers',
  'job_fires',
  'webhook_deliveries',
  'job_pending_retries',
] as const;

/** `PRAGMA auto_vacuum` value of INCREMENTAL. */
const INCREMENTAL = 2;
/** Pages per incremental_vacuum step: 256 × 16 KiB = 4 MiB, a few ms of work. */
const RECLAIM_STEP_PAGES = 256;

const SYNCHRONOUS = ['OFF', 'NORMAL', 'FULL', 'EXTRA'] as const;
const TEMP_STORE = ['DEFAULT', 'FILE', 'MEMORY'] as const;

/**
 * {@link StoreMaintenance} of the SQLite backend, on the stores' connection (`openSqliteStores`):
 * file sizes, PRAGMAs, `PRAGMA optimize` with a WAL checkpoint, and an integrity check run in a
 * worker thread on a connection of its own.
 */
export class SqliteMaintenance implements StoreMaintenance {
  private integrityRun: Promise<IntegrityReport> | undefined;

  constructor(
    private readonly db: Database.Database,
    /** Path of the database file. */
    private readonly file: string,
    /** The execution store's idle packing (SqliteStore.packLogsWhenIdle). */
    private readonly startPacking: () => void = () => {},
  ) {}

  packLogsWhenIdle(): void {
    this.startPacking();
  }

  async sizes(): Promise<StorageSizes> {
    return this.guard('cannot read store file sizes', () => readSizes(this.file));
  }

  async describe(): Promise<DatabaseDescription> {
    return this.guard('cannot read store stats', () => {
      const pragma = (name: string): number => this.db.pragma(name, { simple: true }) as number;
      const rowCounts: Record<string, number> = {};
      for (const table of TABLES) {
        rowCounts[table] = this.db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
      }
      const { backend, dbBytes, diskFreeBytes, sqlite } = readSizes(this.file);
      const pageSize = pragma('page_size');
      const cacheSize = pragma('cache_size');
      const details: SqliteDescription = {
        walBytes: sqlite.walBytes,
        journalMode: this.db.pragma('journal_mode', { simple: true }) as string,
        pageCount: pragma('page_count'),
        pageSize,
        freelistCount: pragma('freelist_count'),
        settings: {
          // Negative cache_size is in KiB, positive in pages.
          cacheSizeKiB: cacheSize < 0 ? -cacheSize : (cacheSize * pageSize) / 1024,
          synchronous: SYNCHRONOUS[pragma('synchronous')] ?? 'FULL',
          tempStore: TEMP_STORE[pragma('temp_store')] ?? 'DEFAULT',
          busyTimeoutMs: pragma('busy_timeout'),
          walAutocheckpointPages: pragma('wal_autocheckpoint'),
          journalSizeLimitBytes: pragma('journal_size_limit'),
          mmapSizeBytes: pragma('mmap_size'),
          foreignKeys: pragma('foreign_keys') === 1,
        },
      };
      return { backend, dbBytes, diskFreeBytes, rowCounts, sqlite: details };
    });
  }

  /** Refreshes planner statistics and folds the WAL back into the database file. */
  async optimize(): Promise<OptimizeOutcome> {
    return this.guard('cannot optimize the store', () => {
      const walBytesBefore = fileSize(`${this.file}-wal`);
      this.db.pragma('optimize');
      const rows = this.db.pragma('wal_checkpoint(TRUNCATE)') as {
        busy: number;
        log: number;
        checkpointed: number;
      }[];
      const row = rows[0] ?? { busy: 0, log: 0, checkpointed: 0 };
      const walBytesAfter = fileSize(`${this.file}-wal`);
      const busy = row.busy !== 0;
      const walBytes = `WAL ${walBytesBefore} → ${walBytesAfter} bytes`;
      return {
        optimized: true,
        actions: [
          'PRAGMA optimize: refreshed query planner statistics where they were stale',
          busy
            ? `wal_checkpoint(TRUNCATE): a reader was using the WAL, so only part of it was copied; try again later (${walBytes})`
            : `wal_checkpoint(TRUNCATE): copied the WAL into the database and truncated it (${walBytes})`,
        ],
        sqlite: {
          checkpoint: { busy, walFrames: row.log, checkpointedFrames: row.checkpointed },
          walBytesBefore,
          walBytesAfter,
        },
      };
    });
  }

  /**
   * One check at a time: a caller arriving while one runs gets that check's report. Each check
   * reads the whole file, so repeated requests must not multiply the work.
   */
  async integrityCheck(): Promise<IntegrityReport> {
    // Checked here so a closed store answers like every other call; the check has its own connection.
    this.guard('cannot check the store', () => undefined);
    this.integrityRun ??= checkIntegrity(this.file).finally(() => {
      this.integrityRun = undefined;
    });
    return this.integrityRun;
  }

  /**
   * `incremental_vacuum` a few MiB at a time (each step a short write transaction, other work
   * between steps) until the free list is empty, then a PASSIVE checkpoint, which truncates the
   * file once no reader holds the WAL. A file in auto_vacuum NONE (created before retention) only
   * reuses its free pages: `vacuum()` converts it.
   */
  async reclaim(): Promise<ReclaimOutcome> {
    const dbBytesBefore = this.guard('cannot reclaim space', () => fileSize(this.file));
    const incremental = this.guard('cannot reclaim space', () => this.autoVacuum() === INCREMENTAL);
    if (incremental) {
      while (this.guard('cannot reclaim space', () => this.freePages()) > 0) {
        this.guard('cannot reclaim space', () => this.db.pragma(`incremental_vacuum(${RECLAIM_STEP_PAGES})`));
        await yieldToOthers();
      }
      this.guard('cannot reclaim space', () => this.db.pragma('wal_checkpoint(PASSIVE)'));
    }
    return { dbBytesBefore, dbBytesAfter: fileSize(this.file), incremental };
  }

  /** auto_vacuum INCREMENTAL and a VACUUM (which applies it), then a TRUNCATE checkpoint. */
  async vacuum(): Promise<ReclaimOutcome> {
    return this.guard('cannot vacuum the database', () => {
      const dbBytesBefore = fileSize(this.file);
      this.db.pragma('auto_vacuum = INCREMENTAL');
      this.db.exec('VACUUM');
      this.db.pragma('wal_checkpoint(TRUNCATE)');
      return {
        dbBytesBefore,
        dbBytesAfter: fileSize(this.file),
        incremental: this.autoVacuum() === INCREMENTAL,
      };
    });
  }

  private autoVacuum(): number {
    return this.db.pragma('auto_vacuum', { simple: true }) as number;
  }

  private freePages(): number {
    return this.db.pragma('freelist_count', { simple: true }) as number;
  }

  private guard<T>(context: string, operation: () => T): T {
    return guarded(this.db, context, operation);
  }
}

/** The database and WAL file sizes and the free space next to them: no query at all. */
function readSizes(file: string): StorageSizes & { sqlite: { walBytes: number } } {
  const disk = fs.statfsSync(path.dirname(file));
  return {
    backend: 'sqlite',
    dbBytes: fileSize(file),
    diskFreeBytes: disk.bavail * disk.bsize,
    sqlite: { walBytes: fileSize(`${file}-wal`) },
  };
}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch (error) {
    // No WAL file is a normal state (after a clean close): it weighs nothing.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}
