import type { RunningLate } from '../../api/types.js';
import { formatDuration } from '../../format.js';
import './late-badge.css';

/**
 * "late" once the run is running late (its `lateAfterSeconds` passed, or the job scheduler says a
 * step ran past its usual 95th percentile). The live region is always there, empty until then,
 * so a screen reader announces the badge when it appears. `jobRun`: whose limit it was.
 */
export function LateBadge({ late, jobRun = true }: { late: RunningLate | null; jobRun?: boolean }) {
  const why = late === null ? null : lateReason(late, jobRun);
  return (
    <span className="late-state" role="status">
      {why !== null && (
        <span className="late-badge" title={`Running late: ${why}`}>
          late<span className="visually-hidden">: {why}</span>
        </span>
      )}
    </span>
  );
}

function lateReason(late: RunningLate, jobRun: boolean): string {
  switch (late.reason) {
    case 'threshold':
      return `still running after ${jobRun ? "the job's" : 'its'} limit of ${formatDuration(late.lateAfterSeconds * 1000)}`;
    case 'step-p95':
      return (
        `step "${late.step.name}" has run ${formatDuration(late.elapsedMs)}, past its usual ` +
        `${formatDuration(late.p95Ms)} (95th percentile of its last ${late.samples} successful runs)`
      );
  }
}
