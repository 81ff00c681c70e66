import type Database from 'better-sqlite3';
import { indexedChunkText } from '../../core/search/run-search.js';
import { createMarkReader } from './search-index.js';
import { chunkText } from './log-text-packing.js';

/** How far the index is behind the log: chunks (and their lines) past its mark. */
export interface IndexLag {
  chunks: number;
  lines: number;
}

export interface IndexStep {
  /** Chunks added to the index by this step. */
  indexed: number;
  /** True when chunks are left past the mark (the step stopped at its bound). */
  more: boolean;
}

/**
 * Returns the indexing step: under the index file's write lock (BEGIN IMMEDIATE, so a second
 * indexer, in this process or another, waits and then re-reads the mark instead of indexing the
 * same chunks), reads the chunks past the mark from one snapshot of the main database and adds
 * them with the new mark in one transaction. Bounded: stops after `maxMs` or `maxChunks`, so the
 * write lock and the main database's read snapshot are short.
 */
export function createIndexer(
  index: Database.Database,
  main: Database.Database,
): (bounds?: { maxMs?: number; maxChunks?: number }) => IndexStep {
  const marks = createMarkReader(index, main);
  const selectNewChunks = main
    .prepare<[number, number], [number, string, number, number, string, Buffer | null]>(
      `SELECT rowid, execution_id, seq_start, seq_end, text, text_z FROM log_chunks
       WHERE rowid > ? ORDER BY rowid LIMIT ?`,
    )
    .raw();
  const forgetAbove = index.prepare<[number]>(
    'DELETE FROM chunk_trigrams WHERE rowid IN (SELECT id FROM indexed_chunks WHERE id > ?)',
  );
  const forgetChunksAbove = index.prepare<[number]>('DELETE FROM indexed_chunks WHERE id > ?');
  const insertChunk = index.prepare<[number, string, number]>(
    'INSERT INTO indexed_chunks (id, execution_id, seq_start) VALUES (?, ?, ?)',
  );
  const insertTrigrams = index.prepare<[number, string]>(
    'INSERT INTO chunk_trigrams (rowid, text) VALUES (?, ?)',
  );
  const selectIndexed = index.prepare<[number], { execution_id: string; seq_start: number }>(
    'SELECT execution_id, seq_start FROM indexed_chunks WHERE id = ?',
  );
  const setMark = index.prepare<[number, string | null, number | null]>(
    'UPDATE mark SET chunk = ?, execution_id = ?, seq_start = ? WHERE id = 1',
  );

  return ({ maxMs = 50, maxChunks = 2000 } = {}) => {
    const started = performance.now();
    index.exec('BEGIN IMMEDIATE');
    main.exec('BEGIN');
    try {
      const mark = marks.mark();
      const safe = marks.safeMark();
      let last: { chunk: number; executionId: string | null; seqStart: number | null } = {
        chunk: mark.chunk,
        executionId: mark.execution_id,
        seqStart: mark.seq_start,
      };
      if (safe !== mark.chunk) {
        // The chunks above the safe mark were deleted (their rowids may come back for new ones).
        forgetAbove.run(safe);
        forgetChunksAbove.run(safe);
        last = { chunk: 0, executionId: null, seqStart: null };
        if (safe > 0) {
          const row = selectIndexed.get(safe);
          last = { chunk: safe, executionId: row?.execution_id ?? null, seqStart: row?.seq_start ?? null };
        }
      }
      let indexed = 0;
      let more = false;
      // One row at a time from a bounded query: the text of a chunk is up to ~100 KB.
      for (const [rowid, executionId, seqStart, seqEnd, stored, packed] of selectNewChunks.iterate(
        last.chunk,
        maxChunks + 1,
      )) {
        if (indexed === maxChunks || (indexed > 0 && performance.now() - started >= maxMs)) {
          more = true;
          break;
        }
        insertChunk.run(rowid, executionId, seqStart);
        insertTrigrams.run(rowid, indexedChunkText(chunkText(stored, packed), seqEnd - seqStart + 1));
        last = { chunk: rowid, executionId, seqStart };
        indexed++;
      }
      if (last.chunk !== mark.chunk || safe !== mark.chunk)
        setMark.run(last.chunk, last.executionId, last.seqStart);
      main.exec('COMMIT');
      index.exec('COMMIT');
      return { indexed, more };
    } catch (error) {
      // Undo both (the index's rows and mark stay as they were) and let the caller report it.
      if (main.inTransaction) main.exec('ROLLBACK');
      if (index.inTransaction) index.exec('ROLLBACK');
      throw error;
    }
  };
}

/** Chunks and lines stored past the index's safe mark (what a search reads directly). */
export function createLagReader(index: Database.Database, main: Database.Database): () => IndexLag {
  const marks = createMarkReader(index, main);
  const selectLag = main.prepare<[number], { chunks: number; lines: number }>(
    `SELECT count(*) AS chunks, coalesce(sum(seq_end - seq_start + 1), 0) AS lines
     FROM log_chunks WHERE rowid > ?`,
  );
  return () => {
    index.exec('BEGIN');
    main.exec('BEGIN');
    try {
      return selectLag.get(marks.safeMark()) ?? { chunks: 0, lines: 0 };
    } finally {
      main.exec('COMMIT');
      index.exec('COMMIT');
    }
  };
}

/**
 * Removes the index rows of runs no longer in the main database (deleted runs). Searches never
 * show them (a candidate must be a stored chunk of a stored run); this only gives the space back,
 * so it runs now and then, when the indexer has nothing new to do. Returns the runs pruned.
 */
export function createPruner(index: Database.Database, main: Database.Database): () => number {
  const selectRuns = index.prepare<[], string>('SELECT DISTINCT execution_id FROM indexed_chunks').pluck();
  const selectExists = main.prepare<[string], number>('SELECT 1 FROM executions WHERE id = ?').pluck();
  const deleteTrigrams = index.prepare<[string]>(
    'DELETE FROM chunk_trigrams WHERE rowid IN (SELECT id FROM indexed_chunks WHERE execution_id = ?)',
  );
  const deleteChunks = index.prepare<[string]>('DELETE FROM indexed_chunks WHERE execution_id = ?');
  return () => {
    const gone = selectRuns.all().filter((id) => selectExists.get(id) === undefined);
    if (gone.length === 0) return 0;
    index
      .transaction(() => {
        for (const id of gone) {
          deleteTrigrams.run(id);
          deleteChunks.run(id);
        }
      })
      .immediate();
    return gone.length;
  };
}
