import { useState } from 'react';
import type { RunningLate } from '../../api/types.js';
import { useLiveTopic } from '../../live/live-context.js';

/**
 * Runs the job scheduler has called late while this page was open (`late.warning` on the `jobs`
 * topic), by execution id: the percentile rule needs a job's history, so lists learn it from the
 * scheduler rather than compute it. The fixed threshold is `lateByThreshold`'s job.
 */
export function useLateWarnings(): ReadonlyMap<string, RunningLate> {
  const [warnings, setWarnings] = useState<ReadonlyMap<string, RunningLate>>(() => new Map());
  useLiveTopic('jobs', (message) => {
    if (message.type !== 'jobs') return;
    const late = message.changes.flatMap((change) => (change.change === 'late.warning' ? [change] : []));
    if (late.length === 0) return;
    setWarnings((previous) => {
      const next = new Map(previous);
      for (const change of late) next.set(change.executionId, change.late);
      return next;
    });
  });
  return warnings;
}
