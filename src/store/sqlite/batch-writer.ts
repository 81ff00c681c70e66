import type Database from 'better-sqlite3';
import type { Execution, RunSpec } from '../../core/model.js';
import type { WriteBatch } from '../store.js';
import { encodeLogChunks } from './log-chunks.js';
import {
  UPSERT_ANNOTATION_SQL,
  UPSERT_ARTIFACT_SQL,
  UPSERT_SAMPLE_SQL,
  UPSERT_STEP_SQL,
  annotationParams,
  artifactParams,
  stepParams,
} from './detail-rows.js';
import { RUN_SUMMARY_STEP_ID, UPSERT_EXECUTION_SQL, executionParams, runSpecOf } from './execution-row.js';

export interface BatchWriter {
  /**
   * Applies a batch in one transaction; returns how much log text it stored (characters). Text is
   * stored as is: packing it costs ingest CPU, so ended runs are packed later, when the store is
   * idle (log-packer.ts).
   */
  write(batch: WriteBatch): number;
  /** Stores a new execution with the spec it was started with. */
  insertExecution(execution: Execution, spec: RunSpec): void;
}

/**
 * Prepares the write statements once. Transactions are IMMEDIATE so a concurrent writer in another
 * process makes us wait on busy_timeout instead of failing with SQLITE_BUSY_SNAPSHOT halfway through.
 */
export function createBatchWriter(db: Database.Database): BatchWriter {
  const upsertExecution = db.prepare(UPSERT_EXECUTION_SQL);
  const deleteTags = db.prepare('DELETE FROM execution_tags WHERE execution_id = ?');
  const insertTag = db.prepare('INSERT INTO execution_tags (execution_id, key, value) VALUES (?, ?, ?)');
  const upsertStep = db.prepare(UPSERT_STEP_SQL);
  const upsertArtifact = db.prepare(UPSERT_ARTIFACT_SQL);
  const upsertAnnotation = db.prepare(UPSERT_ANNOTATION_SQL);
  const upsertSample = db.prepare(UPSERT_SAMPLE_SQL);
  const upsertSummary = db.prepare(`INSERT INTO summaries (execution_id, step_id, text) VALUES (?, ?, ?)
    ON CONFLICT (execution_id, step_id) DO UPDATE SET text = excluded.text`);
  const insertChunk = db.prepare(`INSERT INTO log_chunks (execution_id, seq_start, seq_end, ts_start, stream,
    step_id, ts_deltas, flags, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const selectLastSeq = db
    .prepare('SELECT seq_end FROM log_chunks WHERE execution_id = ? ORDER BY seq_start DESC LIMIT 1')
    .pluck();
  const raiseLineCount = db.prepare('UPDATE executions SET line_count = max(line_count, ?) WHERE id = ?');
  const selectDataVersion = db.prepare('PRAGMA data_version').pluck();
  // Walks the (status, id) index: only open executions are looked at.
  const markOwnerSeen = db.prepare(`UPDATE executions SET owner_seen_at = ?
    WHERE status IN ('queued', 'running') AND owner_host = ? AND owner_pid = ? AND owner_start_time = ?`);

  // Highest stored seq per execution, so a batch costs no lookup. Trusted only while data_version
  // shows no commit from another connection (another process, or another store on this file).
  const lastSeqs = new Map<string, number>();
  let seenDataVersion: unknown;

  const lastStoredSeq = (executionId: string): number => {
    let seq = lastSeqs.get(executionId);
    if (seq === undefined) {
      seq = (selectLastSeq.get(executionId) as number | undefined) ?? 0;
      lastSeqs.set(executionId, seq);
    }
    return seq;
  };

  const writeExecution = (execution: Execution, spec: RunSpec = runSpecOf(execution)): void => {
    upsertExecution.run(executionParams(execution, spec));
    deleteTags.run(execution.id);
    for (const [key, value] of Object.entries(execution.tags)) insertTag.run(execution.id, key, value);
  };

  const apply = db.transaction((batch: WriteBatch): number => {
    const dataVersion = selectDataVersion.get();
    if (dataVersion !== seenDataVersion) {
      lastSeqs.clear();
      seenDataVersion = dataVersion;
    }
    let text = 0;
    for (const execution of batch.executions ?? []) writeExecution(execution);
    for (const { executionId, step } of batch.steps ?? []) upsertStep.run(stepParams(executionId, step));
    for (const { executionId, lines } of batch.lines ?? []) {
      if (lines.length === 0) continue;
      const { chunks, lastSeq } = encodeLogChunks(lines, lastStoredSeq(executionId));
      for (const c of chunks) {
        text += c.text.length;
        insertChunk.run(
          executionId,
          c.seqStart,
          c.seqEnd,
          c.tsStart,
          c.stream,
          c.stepId,
          c.tsDeltas,
          c.flags,
          c.text,
        );
      }
      lastSeqs.set(executionId, lastSeq);
      if (chunks.length > 0) raiseLineCount.run(lastSeq, executionId);
    }
    for (const { executionId, artifact } of batch.artifacts ?? []) {
      upsertArtifact.run(artifactParams(executionId, artifact));
    }
    for (const { executionId, annotation } of batch.annotations ?? []) {
      upsertAnnotation.run(annotationParams(executionId, annotation));
    }
    for (const { executionId, samples } of batch.samples ?? []) {
      for (const s of samples)
        upsertSample.run(executionId, s.ts, s.cpuPercent, s.memoryBytes, s.processCount);
    }
    for (const { executionId, stepId, summary } of batch.summaries ?? []) {
      upsertSummary.run(executionId, stepId ?? RUN_SUMMARY_STEP_ID, summary);
    }
    if (batch.ownerSeen) {
      const { owner, at } = batch.ownerSeen;
      markOwnerSeen.run(at, owner.host, owner.pid, owner.startTime);
    }
    return text;
  });

  // Set once, at creation: the upsert never touches it, so later writes of the row keep it.
  const setRunsOn = db.prepare('UPDATE executions SET runs_on = ? WHERE id = ?');
  const setCreatedBy = db.prepare('UPDATE executions SET created_by = ? WHERE id = ?');
  const setProject = db.prepare('UPDATE executions SET project = ? WHERE id = ?');
  const insert = db.transaction((execution: Execution, spec: RunSpec): void => {
    writeExecution(execution, spec);
    if (execution.runsOn !== undefined) setRunsOn.run(JSON.stringify(execution.runsOn), execution.id);
    if (execution.createdBy !== undefined) setCreatedBy.run(execution.createdBy, execution.id);
    if (execution.project !== undefined) setProject.run(JSON.stringify(execution.project), execution.id);
  });

  return {
    write(batch) {
      try {
        return apply.immediate(batch);
      } catch (error) {
        // The rollback undid rows the cache already counted.
        lastSeqs.clear();
        throw error;
      }
    },
    insertExecution(execution, spec) {
      insert.immediate(execution, spec);
    },
  };
}
