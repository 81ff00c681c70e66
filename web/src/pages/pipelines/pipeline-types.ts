// Until the protocol's pipeline shapes land (merged from the pipe-run branch): the API's JSON.
export interface PipelineNodeAttemptJson {
  executionId: string;
  status: string;
  startedAt: string | null;
  endedAt: string | null;
}
export interface PipelineRunNodeJson {
  name: string;
  status: string;
  attempt: number;
  attempts: PipelineNodeAttemptJson[];
  outputs: Record<string, string>;
  startedAt: string | null;
  endedAt: string | null;
  reason?: string;
  needs: string[];
  level: number;
}
export interface PipelineRunJson {
  id: string;
  name: string;
  status: string;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
  createdBy?: string;
  rerunOf: string | null;
  nodes: PipelineRunNodeJson[];
}
export interface PipelineWarningJson {
  node: string;
  executionId: string;
  level: 'warning' | 'critical' | 'p95';
  elapsedMs: number;
  thresholdMs: number;
}
export interface PipelineRunPageJson {
  runs: PipelineRunJson[];
  nextCursor: string | null;
}
export interface SavedPipelineJson {
  name: string;
  yaml: string;
  createdAt: string;
  updatedAt: string;
}
export interface SavedPipelineListJson {
  pipelines: SavedPipelineJson[];
}
