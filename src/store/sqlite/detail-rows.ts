import type { Annotation, Artifact, ResourceSample, Step, StepSource } from '../../core/model.js';
import type { AnnotationLevel, ArtifactStatus, StepStatus } from '../../core/statuses.js';

/**
 * Conversions between the things hanging off an execution and their rows. They are upserted by
 * (execution_id, id): INSERT OR REPLACE is safe here because nothing references these rows.
 */

export const UPSERT_STEP_SQL = `INSERT OR REPLACE INTO steps (execution_id, id, parent_id, name, status,
  started_at, ended_at, duration_ms, meta, implicit, source, error, estimated_duration_seconds, first_seq)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

export function stepParams(executionId: string, step: Step): unknown[] {
  return [
    executionId,
    step.id,
    step.parentId,
    step.name,
    step.status,
    step.startedAt,
    step.endedAt,
    step.durationMs,
    JSON.stringify(step.meta),
    step.implicit ? 1 : 0,
    step.source,
    step.error,
    step.estimatedDurationSeconds,
    step.firstSeq,
  ];
}

export interface StepRow {
  id: number;
  parent_id: number | null;
  name: string;
  status: StepStatus;
  started_at: string;
  ended_at: string | null;
  duration_ms: number | null;
  meta: string;
  implicit: number;
  source: StepSource;
  error: string | null;
  estimated_duration_seconds: number | null;
  first_seq: number;
  /** Derived: a summary text is stored for the step (see `hasSummarySql`). */
  has_summary: number;
}

export function stepFromRow(row: StepRow): Step {
  return {
    id: row.id,
    parentId: row.parent_id,
    name: row.name,
    status: row.status,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    durationMs: row.duration_ms,
    meta: JSON.parse(row.meta) as Record<string, string>,
    implicit: row.implicit !== 0,
    source: row.source,
    error: row.error,
    estimatedDurationSeconds: row.estimated_duration_seconds,
    firstSeq: row.first_seq,
    hasSummary: row.has_summary === 1,
  };
}

export const UPSERT_ARTIFACT_SQL = `INSERT OR REPLACE INTO artifacts (execution_id, id, step_id, path,
  description, status, error, kind, size, sha256, media_type, created_at, stored_path)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

export function artifactParams(executionId: string, a: Artifact): unknown[] {
  return [
    executionId,
    a.id,
    a.stepId,
    a.path,
    a.description,
    a.status,
    a.error,
    a.kind,
    a.size,
    a.sha256,
    a.mediaType,
    a.createdAt,
    a.storedPath,
  ];
}

export interface ArtifactRow {
  id: number;
  step_id: number | null;
  path: string;
  description: string;
  status: ArtifactStatus;
  error: string | null;
  kind: 'file' | 'directory' | null;
  size: number | null;
  sha256: string | null;
  media_type: string | null;
  created_at: string;
  stored_path: string | null;
}

export function artifactFromRow(row: ArtifactRow): Artifact {
  return {
    id: row.id,
    stepId: row.step_id,
    path: row.path,
    description: row.description,
    status: row.status,
    error: row.error,
    kind: row.kind,
    size: row.size,
    sha256: row.sha256,
    mediaType: row.media_type,
    createdAt: row.created_at,
    storedPath: row.stored_path,
  };
}

export const UPSERT_ANNOTATION_SQL = `INSERT OR REPLACE INTO annotations (execution_id, id, step_id, seq,
  level, message, title, file, line, col, end_line, end_col) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

export function annotationParams(executionId: string, a: Annotation): unknown[] {
  return [
    executionId,
    a.id,
    a.stepId,
    a.seq,
    a.level,
    a.message,
    a.title,
    a.file,
    a.line,
    a.col,
    a.endLine,
    a.endCol,
  ];
}

export interface AnnotationRow {
  id: number;
  step_id: number | null;
  seq: number;
  level: AnnotationLevel;
  message: string;
  title: string | null;
  file: string | null;
  line: number | null;
  col: number | null;
  end_line: number | null;
  end_col: number | null;
}

export function annotationFromRow(row: AnnotationRow): Annotation {
  return {
    id: row.id,
    stepId: row.step_id,
    seq: row.seq,
    level: row.level,
    message: row.message,
    title: row.title,
    file: row.file,
    line: row.line,
    col: row.col,
    endLine: row.end_line,
    endCol: row.end_col,
  };
}

export const UPSERT_SAMPLE_SQL = `INSERT OR REPLACE INTO resource_samples (execution_id, ts, cpu_percent,
  memory_bytes, process_count) VALUES (?, ?, ?, ?, ?)`;

export interface SampleRow {
  ts: number;
  cpu_percent: number;
  memory_bytes: number;
  process_count: number;
}

export function sampleFromRow(row: SampleRow): ResourceSample {
  return {
    ts: row.ts,
    cpuPercent: row.cpu_percent,
    memoryBytes: row.memory_bytes,
    processCount: row.process_count,
  };
}
