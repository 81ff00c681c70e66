import type { Artifact, Execution, ExecutionDetail } from '../core/model.js';

/** An artifact as clients see it: where StepFlow keeps its copy is none of their business. */
/** @public */
export type ArtifactJson = Omit<Artifact, 'storedPath'>;

/** The execution shape served by `stepflow show --json` and `GET /api/executions/:id`. */
export interface ExecutionDetailJson extends Execution {
  steps: ExecutionDetail['steps'];
  artifacts: ArtifactJson[];
  annotations: ExecutionDetail['annotations'];
}

function toArtifactJson(artifact: Artifact): ArtifactJson {
  const { storedPath: _storedPath, ...rest } = artifact;
  return rest;
}

export function toExecutionDetailJson(detail: ExecutionDetail): ExecutionDetailJson {
  return { ...detail, artifacts: detail.artifacts.map(toArtifactJson) };
}
