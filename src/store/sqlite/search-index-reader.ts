import type Database from 'better-sqlite3';
import { createMarkReader, fileIdentity, openSearchIndex } from './search-index.js';

/** What the index says for a needle: candidate chunks up to `mark`; past it, nothing is indexed. */
export interface IndexCandidates {
  mark: number;
  /** Candidates with their run, when there are few enough to look each one's run up. */
  byChunk?: Map<number, string>;
  /** Otherwise the candidates' rowids alone. */
  rowids?: number[];
}

export interface IndexReader {
  /** Call inside a read transaction of the main database (the mark is checked against it). */
  lookUp(match: string, groupUpTo: number): IndexCandidates;
  close(): void;
}

/**
 * The searcher's view of `search-index.sqlite`: opened on first use, reopened when the file was
 * deleted or replaced (the indexer rebuilds it), treated as empty when it is missing (then every
 * chunk is past the mark and read directly). Never writes it.
 */
export function createIndexReader(main: Database.Database, file: string): IndexReader {
  interface Open {
    db: Database.Database;
    identity: string;
    marks: ReturnType<typeof createMarkReader>;
    selectRowids: Database.Statement<[string, number], number>;
    selectWithRuns: Database.Statement<[string, number], [number, string]>;
  }
  let open: Open | undefined;

  const current = (): Open | undefined => {
    const identity = fileIdentity(file);
    if (open !== undefined && open.identity === identity) return open;
    open?.db.close();
    open = undefined;
    if (identity === undefined) return undefined;
    const db = openSearchIndex(file, { create: false });
    if (db === undefined) return undefined;
    open = {
      db,
      identity,
      marks: createMarkReader(db, main),
      selectRowids: db
        .prepare<[string, number], number>(
          'SELECT rowid FROM chunk_trigrams WHERE chunk_trigrams MATCH ? AND rowid <= ?',
        )
        .pluck(),
      selectWithRuns: db
        .prepare<[string, number], [number, string]>(
          `SELECT c.id, c.execution_id FROM chunk_trigrams t JOIN indexed_chunks c ON c.id = t.rowid
           WHERE chunk_trigrams MATCH ? AND t.rowid <= ?`,
        )
        .raw(),
    };
    return open;
  };

  return {
    lookUp(match, groupUpTo) {
      const idx = current();
      if (idx === undefined) return { mark: 0, byChunk: new Map() };
      // One short read: the index's lock is released before any log text is read.
      idx.db.exec('BEGIN');
      try {
        const mark = idx.marks.safeMark();
        if (mark === 0) return { mark, byChunk: new Map() };
        const rowids = idx.selectRowids.all(match, mark);
        if (rowids.length > groupUpTo) return { mark, rowids };
        return { mark, byChunk: new Map(idx.selectWithRuns.all(match, mark)) };
      } finally {
        idx.db.exec('COMMIT');
      }
    },
    close() {
      open?.db.close();
      open = undefined;
    },
  };
}
