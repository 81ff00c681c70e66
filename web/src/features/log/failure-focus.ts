import type { ExecutionDetail, Step } from '../../api/types.js';
import { fetchLogPage, type LogOutline } from './log-api.js';

const MARKER_FLAG = 1;

/**
 * The step a failed run should open at: the failed step with no failed step inside it (the one
 * that actually failed; its parents fail with it), earliest first; for a run that timed out or was
 * cancelled mid-step, the last step still not succeeded.
 */
export function failedStep(steps: readonly Step[]): Step | undefined {
  const failed = steps.filter((step) => step.status === 'failed');
  const innermost = failed.filter((step) => !failed.some((other) => other.parentId === step.id));
  innermost.sort((a, b) => a.firstSeq - b.firstSeq);
  if (innermost[0]) return innermost[0];
  const unfinished = steps.filter((step) => step.status === 'cancelled' || step.status === 'running');
  return unfinished.sort((a, b) => b.firstSeq - a.firstSeq)[0];
}

/**
 * The line to show first in a failed run: in the failed step, its first error annotation, else
 * its STEP_ERROR marker line, else its first stderr line, else its last line. Null when the run has
 * no such step (then the viewer shows the end of the log).
 */
export async function findFailureLine(
  execution: ExecutionDetail,
  outline: LogOutline,
  signal?: AbortSignal,
): Promise<{ stepId: number; seq: number } | null> {
  const step = failedStep(execution.steps);
  if (step === undefined) return null;
  const annotation = execution.annotations.find((a) => a.level === 'error' && a.stepId === step.id);
  if (annotation) return { stepId: step.id, seq: annotation.seq };
  const markers = await fetchLogPage(
    execution.id,
    { after: 0, limit: 100, step: step.id, q: 'STEP_ERROR' },
    signal,
  );
  const marker = markers.lines.find((line) => ((line.flags ?? 0) & MARKER_FLAG) !== 0);
  if (marker) return { stepId: step.id, seq: marker.seq };
  const stderr = await fetchLogPage(
    execution.id,
    { after: 0, limit: 1, step: step.id, stream: 'stderr' },
    signal,
  );
  if (stderr.lines[0]) return { stepId: step.id, seq: stderr.lines[0].seq };
  const last = outline.segments.findLast((segment) => segment.stepId === step.id);
  return { stepId: step.id, seq: last?.lastSeq ?? step.firstSeq };
}
