import type { PipelineRun, PipelineRunStatus } from '../core/pipelines/pipeline-run.js';

/** Which pipeline runs to list: by name, any of the statuses; newest first, keyset paged. */
export interface PipelineRunQuery {
  name?: string;
  /** Only the runs a job's fires (and their retries) started. */
  jobId?: string;
  status?: PipelineRunStatus[];
  limit: number;
  /** The `nextCursor` of the previous page. */
  cursor?: string;
}

export interface PipelineRunPage {
  items: PipelineRun[];
  /** Pass as `cursor` for the next (older) page; null when this was the last. */
  nextCursor: string | null;
}

/**
 * Pipeline runs (docs/PIPELINES-RUNNING.md): each saved whole — the run and its nodes — by the one
 * orchestrator that drives it, so a save replaces the previous state. Ids are ULIDs: newest first
 * is by id. Every backend passes `pipeline-run-store-contract.ts`.
 */
export interface PipelineRunStore {
  /** Saves a new run; an id already used is a `conflict` error. */
  insertPipelineRun(run: PipelineRun): Promise<void>;
  /** Replaces a run's state (status, times, cancel request, nodes); an unknown id is `not_found`. */
  updatePipelineRun(run: PipelineRun): Promise<void>;
  getPipelineRun(id: string): Promise<PipelineRun | undefined>;
  listPipelineRuns(query: PipelineRunQuery): Promise<PipelineRunPage>;
}
