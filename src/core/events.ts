import type { Annotation, Artifact, Execution, LogLine, ResourceSample, Step } from './model.js';

/**
 * The one event vocabulary. The store writer, the terminal view and (later) the WebSocket hub are
 * all subscribers of the same stream. Lines travel in batches: never one event per line.
 */
export type ExecutionEvent =
  /** Accepted, waiting for a free slot (only published when it has to wait). */
  | { type: 'execution.queued'; executionId: string; execution: Execution }
  | { type: 'execution.started'; executionId: string; execution: Execution }
  | { type: 'execution.updated'; executionId: string; execution: Execution }
  | { type: 'execution.finished'; executionId: string; execution: Execution }
  | { type: 'log.lines'; executionId: string; lines: LogLine[] }
  | { type: 'step.started'; executionId: string; step: Step }
  | { type: 'step.updated'; executionId: string; step: Step }
  | { type: 'step.finished'; executionId: string; step: Step }
  | { type: 'artifact.recorded'; executionId: string; artifact: Artifact }
  | { type: 'annotation.added'; executionId: string; annotation: Annotation }
  | { type: 'resource.sampled'; executionId: string; sample: ResourceSample };

export type ExecutionEventListener = (event: ExecutionEvent) => void;
