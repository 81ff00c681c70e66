import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';

/**
 * The search index's own file in the data dir: never written by the ingest transaction (no write
 * lock shared with it), and derived data only, so it can be deleted at any time (the indexer
 * rebuilds it) and backups need not hold it (docs/SEARCH.md).
 */
const SEARCH_INDEX_FILE = 'search-index.sqlite';

/** Bumped when the schema below changes: a file of another version is deleted and rebuilt. */
const SEARCH_INDEX_VERSION = 1;

const BUSY_TIMEOUT_MS = 5000;

/**
 * - `indexed_chunks`: every chunk of `log_chunks` the index holds, by its rowid, with its run (to
 *   group candidates by run and to prune the rows of deleted runs) and its first seq (identity).
 * - `chunk_trigrams`: FTS5 trigram index of each chunk as it is searched (`indexedChunkText`),
 *   keyed by the same rowid; contentless (the text stays in the main database) and `detail=none`.
 * - `mark`: every chunk up to rowid `chunk` is indexed; `execution_id`/`seq_start` say which
 *   chunk that was, so a reader can tell the mark from a rowid reused after the newest chunks
 *   were deleted (`safeMark`). Updated in the same transaction as the rows it covers.
 */
const SCHEMA = `
CREATE TABLE indexed_chunks (
  id INTEGER PRIMARY KEY,
  execution_id TEXT NOT NULL,
  seq_start INTEGER NOT NULL
);
CREATE INDEX indexed_chunks_run ON indexed_chunks (execution_id);
CREATE VIRTUAL TABLE chunk_trigrams USING fts5(
  text, content = '', contentless_delete = 1, tokenize = 'trigram case_sensitive 1', detail = none
);
CREATE TABLE mark (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  chunk INTEGER NOT NULL,
  execution_id TEXT,
  seq_start INTEGER
);
INSERT INTO mark (id, chunk) VALUES (1, 0);
PRAGMA user_version = ${SEARCH_INDEX_VERSION};
`;

export interface IndexMark {
  chunk: number;
  execution_id: string | null;
  seq_start: number | null;
}

/** Path of the index file of a data dir. */
export function searchIndexPath(dataDir: string): string {
  return path.join(dataDir, SEARCH_INDEX_FILE);
}

/**
 * Opens the index file, creating it (or recreating it when it has another schema version) when
 * `create`; without `create`, a missing or foreign file gives undefined (search then reads every
 * chunk directly). Rollback journal, not WAL: deleting the file alone is a clean reset (no WAL
 * left to replay into a new file), and readers only hold it for one short read.
 */
export function openSearchIndex(
  file: string,
  { create }: { create: boolean },
): Database.Database | undefined {
  if (!create && !fs.existsSync(file)) return undefined;
  let db = new Database(file, { timeout: BUSY_TIMEOUT_MS });
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma('journal_mode = DELETE');
    db.pragma('synchronous = NORMAL');
    db.pragma('cache_size = -8192');
    let version = db.pragma('user_version', { simple: true }) as number;
    if (version !== SEARCH_INDEX_VERSION && create) {
      db.exec('BEGIN IMMEDIATE');
      try {
        // Re-read under the write lock: another process may have just created it.
        version = db.pragma('user_version', { simple: true }) as number;
        if (version === 0 && isEmpty(db)) {
          db.exec(SCHEMA);
          version = SEARCH_INDEX_VERSION;
        }
        db.exec('COMMIT');
      } catch (error) {
        db.exec('ROLLBACK');
        throw error;
      }
      if (version !== SEARCH_INDEX_VERSION) {
        // Another schema (an older or newer StepFlow's): the index is derived data, start over.
        db.close();
        removeSearchIndex(file);
        db = new Database(file, { timeout: BUSY_TIMEOUT_MS });
        db.pragma('journal_mode = DELETE');
        db.exec(`BEGIN IMMEDIATE; ${SCHEMA} COMMIT;`);
        version = SEARCH_INDEX_VERSION;
      }
    }
    if (version !== SEARCH_INDEX_VERSION) {
      db.close();
      return undefined;
    }
    return db;
  } catch (error) {
    if (db.open) db.close();
    throw error;
  }
}

/** Deletes the index file (and a journal left by a crash). */
export function removeSearchIndex(file: string): void {
  for (const f of [file, `${file}-journal`]) fs.rmSync(f, { force: true });
}

/** The file's identity, to notice that it was deleted (or replaced) under an open connection. */
export function fileIdentity(file: string): string | undefined {
  try {
    const s = fs.statSync(file);
    return `${s.dev}:${s.ino}`;
  } catch {
    // Missing: deleted (to be rebuilt) or never created.
    return undefined;
  }
}

function isEmpty(db: Database.Database): boolean {
  return db.prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'table'").pluck().get() === 0;
}

/** Prepared reads of the mark, shared by the searcher and the indexer. */
export function createMarkReader(
  index: Database.Database,
  main: Database.Database,
): { mark(): IndexMark; safeMark(): number } {
  const selectMark = index.prepare<[], IndexMark>('SELECT chunk, execution_id, seq_start FROM mark');
  const selectIndexedBelow = index
    .prepare<[number, number], [number, string, number]>(
      'SELECT id, execution_id, seq_start FROM indexed_chunks WHERE id < ? ORDER BY id DESC LIMIT ?',
    )
    .raw();
  const selectChunkIdentity = main
    .prepare<[number], [string, number]>('SELECT execution_id, seq_start FROM log_chunks WHERE rowid = ?')
    .raw();
  const stillThere = (rowid: number, executionId: string | null, seqStart: number | null): boolean => {
    const chunk = selectChunkIdentity.get(rowid);
    return chunk !== undefined && chunk[0] === executionId && chunk[1] === seqStart;
  };
  const mark = (): IndexMark => selectMark.get() ?? { chunk: 0, execution_id: null, seq_start: null };
  return {
    mark,
    /**
     * The highest rowid up to which the index is complete and the main database still holds the
     * same chunks. SQLite gives a new row max(rowid)+1, so while the chunk at the mark exists, every
     * chunk added since sits above it. Once it was deleted (the newest run deleted), its rowid and
     * those above may be reused: go down to the highest indexed chunk still there (rows above are
     * for deleted chunks; any chunk above it is new). Call inside a read transaction of both files.
     */
    safeMark(): number {
      const m = mark();
      if (m.chunk === 0 || stillThere(m.chunk, m.execution_id, m.seq_start)) return m.chunk;
      let below = m.chunk + 1;
      for (;;) {
        const rows = selectIndexedBelow.all(below, 256);
        for (const [id, executionId, seqStart] of rows) {
          if (stillThere(id, executionId, seqStart)) return id;
        }
        if (rows.length < 256) return 0;
        below = (rows.at(-1) as [number, string, number])[0];
      }
    },
  };
}
