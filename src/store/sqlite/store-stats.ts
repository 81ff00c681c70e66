import * as fs from 'node:fs';
import * as path from 'node:path';
import type Database from 'better-sqlite3';

/** What a health endpoint shows about the database. */
export interface SqliteStats {
  journalMode: string;
  pageCount: number;
  pageSize: number;
  /** Pages on the free list: space a VACUUM would give back to the file system. */
  freelistCount: number;
  /** Rows per table (log_chunks holds up to ~1000 lines per row). */
  rowCounts: Record<(typeof TABLES)[number], number>;
  dbFileBytes: number;
  walFileBytes: number;
  /** Space left for the database on its file system (what an unprivileged writer may use). */
  diskFreeBytes: number;
  /** The connection's tuning, as `open-database.ts` set it. */
  settings: SqliteSettings;
}

interface SqliteSettings {
  /** Page cache of this connection, KiB (SQLite's `cache_size`, whichever unit it was set in). */
  cacheSizeKiB: number;
  synchronous: 'OFF' | 'NORMAL' | 'FULL' | 'EXTRA';
  tempStore: 'DEFAULT' | 'FILE' | 'MEMORY';
  busyTimeoutMs: number;
  /** WAL pages that trigger an automatic checkpoint. */
  walAutocheckpointPages: number;
  /** Size the WAL is truncated to after a checkpoint; -1 = no limit. */
  journalSizeLimitBytes: number;
  mmapSizeBytes: number;
  foreignKeys: boolean;
}

/** What {@link optimizeDatabase} did. */
export interface OptimizeResult {
  optimized: true;
  /** From `wal_checkpoint(TRUNCATE)`: busy when a reader kept it from finishing. */
  checkpoint: { busy: boolean; walFrames: number; checkpointedFrames: number };
  walBytesBefore: number;
  walBytesAfter: number;
}

const TABLES = [
  'executions',
  'execution_tags',
  'steps',
  'log_chunks',
  'artifacts',
  'annotations',
  'resource_samples',
] as const;

const SYNCHRONOUS = ['OFF', 'NORMAL', 'FULL', 'EXTRA'] as const;
const TEMP_STORE = ['DEFAULT', 'FILE', 'MEMORY'] as const;

export function readStats(db: Database.Database, file: string): SqliteStats {
  const pragma = (name: string): number => db.pragma(name, { simple: true }) as number;
  const rowCounts = {} as SqliteStats['rowCounts'];
  for (const table of TABLES) {
    rowCounts[table] = db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
  }
  const pageSize = pragma('page_size');
  const cacheSize = pragma('cache_size');
  return {
    journalMode: db.pragma('journal_mode', { simple: true }) as string,
    pageCount: pragma('page_count'),
    pageSize,
    freelistCount: pragma('freelist_count'),
    rowCounts,
    ...readFileSizes(file),
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
}

/** The database and WAL file sizes alone: cheap enough for every metrics scrape. */
export function readFileSizes(file: string): {
  dbFileBytes: number;
  walFileBytes: number;
  diskFreeBytes: number;
} {
  const disk = fs.statfsSync(path.dirname(file));
  return {
    dbFileBytes: fileSize(file),
    walFileBytes: fileSize(`${file}-wal`),
    diskFreeBytes: disk.bavail * disk.bsize,
  };
}

/** Refreshes planner statistics and folds the WAL back into the database file. */
export function optimizeDatabase(db: Database.Database, file: string): OptimizeResult {
  const walBytesBefore = fileSize(`${file}-wal`);
  db.pragma('optimize');
  const row = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number; log: number; checkpointed: number }[];
  const result = row[0] ?? { busy: 0, log: 0, checkpointed: 0 };
  return {
    optimized: true,
    checkpoint: { busy: result.busy !== 0, walFrames: result.log, checkpointedFrames: result.checkpointed },
    walBytesBefore,
    walBytesAfter: fileSize(`${file}-wal`),
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
