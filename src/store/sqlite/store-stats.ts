import * as fs from 'node:fs';
import type Database from 'better-sqlite3';

/** What a health endpoint shows about the database. */
export interface SqliteStats {
  journalMode: string;
  pageCount: number;
  pageSize: number;
  /** Rows per table (log_chunks holds up to ~1000 lines per row). */
  rowCounts: Record<(typeof TABLES)[number], number>;
  dbFileBytes: number;
  walFileBytes: number;
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

export function readStats(db: Database.Database, file: string): SqliteStats {
  const rowCounts = {} as SqliteStats['rowCounts'];
  for (const table of TABLES) {
    rowCounts[table] = db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
  }
  return {
    journalMode: db.pragma('journal_mode', { simple: true }) as string,
    pageCount: db.pragma('page_count', { simple: true }) as number,
    pageSize: db.pragma('page_size', { simple: true }) as number,
    rowCounts,
    dbFileBytes: fileSize(file),
    walFileBytes: fileSize(`${file}-wal`),
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
