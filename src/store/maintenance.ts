/**
 * Database maintenance: an optional capability of a storage backend, next to its ports (not part
 * of them: the domain never needs it). The health endpoints show it when the backend has it
 * (`Stepflow.maintenance`). Figures every backend can give are at the top level of each shape;
 * what only one backend has sits under that backend's name (`sqlite`), so clients can rely on
 * the top level whatever the backend.
 */
export interface StoreMaintenance {
  /** Sizes only: cheap enough for every metrics scrape. */
  sizes(): Promise<StorageSizes>;
  /** Sizes, row counts and the backend's own figures (`GET /api/health/database`). */
  describe(): Promise<DatabaseDescription>;
  /** The backend's housekeeping (SQLite: planner statistics, WAL folded back), said in words. */
  optimize(): Promise<OptimizeOutcome>;
  /** Reads the stored data looking for damage, without stopping other work while it reads. */
  integrityCheck(): Promise<IntegrityReport>;
  /**
   * Gives space that deletes freed back to the file system, in short steps that let other work
   * in between (SQLite: `incremental_vacuum`, on a file in auto_vacuum INCREMENTAL mode; a server
   * database reclaims by itself). Absent when the backend has nothing to do.
   */
  reclaim?(): Promise<ReclaimOutcome>;
  /**
   * Rewrites the whole database so that later reclaims can shrink it (SQLite: auto_vacuum
   * INCREMENTAL, then VACUUM). Holds the write lock for the whole rewrite: for a stopped server.
   */
  vacuum?(): Promise<ReclaimOutcome>;
  /**
   * From now on, packs ended runs' log text whenever the store is idle (SQLite: Brotli, ~30 % of
   * the text on disk; see log-packer.ts). Absent where the database compresses by itself
   * (PostgreSQL's TOAST). Stops when the store closes.
   */
  packLogsWhenIdle?(): void;
}

export interface ReclaimOutcome {
  /** The database's size on disk before and after. */
  dbBytesBefore: number;
  dbBytesAfter: number;
  /**
   * False when this database cannot give space back without a one-time rewrite (SQLite: a file
   * created before auto_vacuum INCREMENTAL; see `vacuum`): freed space is then reused, not returned.
   */
  incremental: boolean;
}

export interface StorageSizes {
  /** Which backend: `sqlite`. */
  backend: string;
  /** The database's size on disk (SQLite: the database file; its WAL is counted apart). */
  dbBytes: number;
  /**
   * Space left where the database grows (what an unprivileged writer may use); null when the
   * backend cannot see it (a database server on another machine).
   */
  diskFreeBytes: number | null;
  sqlite?: { walBytes: number };
}

export interface DatabaseDescription extends StorageSizes {
  /** Rows per table (SQLite's log_chunks holds up to ~1000 lines per row). */
  rowCounts: Record<string, number>;
  sqlite?: SqliteDescription;
}

/** What SQLite alone has: journal, pages, WAL and the connection's PRAGMAs. */
export interface SqliteDescription {
  walBytes: number;
  journalMode: string;
  pageCount: number;
  pageSize: number;
  /** Pages on the free list: space a VACUUM would give back to the file system. */
  freelistCount: number;
  /** The connection's tuning, as `open-database.ts` set it. */
  settings: {
    /** Page cache of this connection, KiB (SQLite's `cache_size`, whichever unit it was set in). */
    cacheSizeKiB: number;
    synchronous: 'OFF' | 'NORMAL' | 'FULL' | 'EXTRA';
    tempStore: 'DEFAULT' | 'FILE' | 'MEMORY';
    busyTimeoutMs: number;
    /** WAL pages that trigger an automatic checkpoint (0 while the background checkpointer runs). */
    walAutocheckpointPages: number;
    /** Size the WAL is truncated to after a checkpoint; -1 = no limit. */
    journalSizeLimitBytes: number;
    mmapSizeBytes: number;
    foreignKeys: boolean;
  };
}

export interface OptimizeOutcome {
  optimized: true;
  /** What was done, in words. */
  actions: string[];
  sqlite?: {
    /** From `wal_checkpoint(TRUNCATE)`: busy when a reader kept it from finishing. */
    checkpoint: { busy: boolean; walFrames: number; checkpointedFrames: number };
    walBytesBefore: number;
    walBytesAfter: number;
  };
}

export interface IntegrityReport {
  /** True when nothing is damaged. */
  ok: boolean;
  /** What is damaged, in the backend's words; empty when `ok`. At most 100. */
  problems: string[];
}
