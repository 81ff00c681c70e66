import type { Execution, RunSpec } from '../../core/model.js';
import type { WriteBatch } from '../store.js';
import { annotationParams, artifactParams, stepParams } from '../sqlite/detail-rows.js';
import { executionParams, RUN_SUMMARY_STEP_ID, runSpecOf } from '../sqlite/execution-row.js';
import { encodeLogChunks } from '../sqlite/log-chunks.js';
import { EXECUTION_PARAM_COUNT, INSERT_EXECUTION_HEAD, UPSERT_EXECUTION_TAIL } from './execution-row.js';
import { encodeLogText } from './log-text-bytes.js';
import { insertValues, lastByKey, type Queryable } from './sql-values.js';

/**
 * Writes executions with their tags (inside the caller's transaction): one upsert for all of
 * them, one delete and one insert for their tags.
 */
export async function writeExecutions(
  db: Queryable,
  items: readonly { execution: Execution; spec: RunSpec }[],
): Promise<void> {
  const rows = lastByKey(items, (item) => item.execution.id);
  if (rows.length === 0) return;
  await insertValues(
    db,
    INSERT_EXECUTION_HEAD,
    EXECUTION_PARAM_COUNT,
    rows.map(({ execution, spec }) => executionParams(execution, spec)),
    UPSERT_EXECUTION_TAIL,
  );
  await db.query('DELETE FROM execution_tags WHERE execution_id = ANY($1::text[])', [
    rows.map(({ execution }) => execution.id),
  ]);
  const tags = rows.flatMap(({ execution }) =>
    Object.entries(execution.tags).map(([key, value]) => [execution.id, key, value]),
  );
  await insertValues(db, 'INSERT INTO execution_tags (execution_id, key, value)', 3, tags);
}

/**
 * Applies a batch inside the caller's transaction, a statement per kind of row (never per line or
 * per row): upserts for executions, steps, artifacts, annotations, samples and summaries; log
 * lines as chunks (`../sqlite/log-chunks.ts`, text as bytes: `log-text-bytes.ts`) after the highest seq stored,
 * read once per batch, so lines already stored (a retried batch, another process) are skipped.
 */
export async function writeBatch(db: Queryable, batch: WriteBatch): Promise<void> {
  await writeExecutions(
    db,
    (batch.executions ?? []).map((execution) => ({ execution, spec: runSpecOf(execution) })),
  );

  const steps = lastByKey(batch.steps ?? [], ({ executionId, step }) => `${executionId}/${step.id}`);
  await insertValues(
    db,
    `INSERT INTO steps (execution_id, id, parent_id, name, status, started_at, ended_at, duration_ms, meta,
      implicit, source, error, estimated_duration_seconds, first_seq)`,
    14,
    steps.map(({ executionId, step }) => stepParams(executionId, step)),
    `ON CONFLICT (execution_id, id) DO UPDATE SET parent_id = excluded.parent_id, name = excluded.name,
      status = excluded.status, started_at = excluded.started_at, ended_at = excluded.ended_at,
      duration_ms = excluded.duration_ms, meta = excluded.meta, implicit = excluded.implicit,
      source = excluded.source, error = excluded.error,
      estimated_duration_seconds = excluded.estimated_duration_seconds, first_seq = excluded.first_seq`,
  );

  await writeLines(db, batch.lines ?? []);

  const artifacts = lastByKey(batch.artifacts ?? [], (a) => `${a.executionId}/${a.artifact.id}`);
  await insertValues(
    db,
    `INSERT INTO artifacts (execution_id, id, step_id, path, description, status, error, kind, size,
      sha256, media_type, created_at, stored_path)`,
    13,
    artifacts.map(({ executionId, artifact }) => artifactParams(executionId, artifact)),
    `ON CONFLICT (execution_id, id) DO UPDATE SET step_id = excluded.step_id, path = excluded.path,
      description = excluded.description, status = excluded.status, error = excluded.error,
      kind = excluded.kind, size = excluded.size, sha256 = excluded.sha256,
      media_type = excluded.media_type, created_at = excluded.created_at, stored_path = excluded.stored_path`,
  );

  const annotations = lastByKey(batch.annotations ?? [], (a) => `${a.executionId}/${a.annotation.id}`);
  await insertValues(
    db,
    `INSERT INTO annotations (execution_id, id, step_id, seq, level, message, title, file, line, col,
      end_line, end_col)`,
    12,
    annotations.map(({ executionId, annotation }) => annotationParams(executionId, annotation)),
    `ON CONFLICT (execution_id, id) DO UPDATE SET step_id = excluded.step_id, seq = excluded.seq,
      level = excluded.level, message = excluded.message, title = excluded.title, file = excluded.file,
      line = excluded.line, col = excluded.col, end_line = excluded.end_line, end_col = excluded.end_col`,
  );

  const samples = lastByKey(
    (batch.samples ?? []).flatMap(({ executionId, samples }) =>
      samples.map((s) => [executionId, s.ts, s.cpuPercent, s.memoryBytes, s.processCount]),
    ),
    (row) => `${String(row[0])}/${String(row[1])}`,
  );
  await insertValues(
    db,
    'INSERT INTO resource_samples (execution_id, ts, cpu_percent, memory_bytes, process_count)',
    5,
    samples,
    `ON CONFLICT (execution_id, ts) DO UPDATE SET cpu_percent = excluded.cpu_percent,
      memory_bytes = excluded.memory_bytes, process_count = excluded.process_count`,
  );

  const summaries = lastByKey(
    (batch.summaries ?? []).map(({ executionId, stepId, summary }) => [
      executionId,
      stepId ?? RUN_SUMMARY_STEP_ID,
      summary,
    ]),
    (row) => `${String(row[0])}/${String(row[1])}`,
  );
  await insertValues(
    db,
    'INSERT INTO summaries (execution_id, step_id, text)',
    3,
    summaries,
    'ON CONFLICT (execution_id, step_id) DO UPDATE SET text = excluded.text',
  );

  if (batch.ownerSeen) {
    const { owner, at } = batch.ownerSeen;
    // Walks the (status, id) index: only open executions are looked at.
    await db.query(
      `UPDATE executions SET owner_seen_at = $1
        WHERE status IN ('queued', 'running') AND owner_host = $2 AND owner_pid = $3 AND owner_start_time = $4`,
      [at, owner.host, owner.pid, owner.startTime],
    );
  }
}

async function writeLines(db: Queryable, batches: NonNullable<WriteBatch['lines']>): Promise<void> {
  const wanted = batches.filter((b) => b.lines.length > 0);
  if (wanted.length === 0) return;
  const ids = [...new Set(wanted.map((b) => b.executionId))];
  // Each max() is one step down the primary key.
  const { rows } = await db.query<{ id: string; last: number }>(
    `SELECT id, (SELECT max(seq_end) FROM log_chunks WHERE execution_id = id) AS last
      FROM unnest($1::text[]) AS id`,
    [ids],
  );
  const lastSeqs = new Map(rows.map((row) => [row.id, row.last ?? 0]));
  const chunkRows: unknown[][] = [];
  for (const { executionId, lines } of wanted) {
    const { chunks, lastSeq } = encodeLogChunks(lines, lastSeqs.get(executionId) ?? 0);
    lastSeqs.set(executionId, lastSeq);
    for (const c of chunks) {
      chunkRows.push([
        executionId,
        c.seqStart,
        c.seqEnd,
        c.tsStart,
        c.stream,
        c.stepId,
        c.tsDeltas,
        c.flags,
        encodeLogText(c.text),
      ]);
    }
  }
  if (chunkRows.length === 0) return;
  await insertValues(
    db,
    'INSERT INTO log_chunks (execution_id, seq_start, seq_end, ts_start, stream, step_id, ts_deltas, flags, text)',
    9,
    chunkRows,
  );
  await db.query(
    `UPDATE executions e SET line_count = greatest(e.line_count, v.last)
      FROM unnest($1::text[], $2::bigint[]) AS v(id, last) WHERE e.id = v.id`,
    [[...lastSeqs.keys()], [...lastSeqs.values()]],
  );
}
