import type { RunningLate } from '../../api/types.js';
import { formatDuration } from '../../format.js';

/**
 * "late" once the job scheduler says this run is running late (its `lateAfterSeconds` passed, or
 * a step ran past its usual 95th percentile). The live region is always there, empty until then,
 * so a screen reader announces the badge when it appears.
 */
export function LateBadge({ late }: { late: RunningLate | null }) {
  const why = late === null ? null : lateReason(late);
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

function lateReason(late: RunningLate): string {
  switch (late.reason) {
    case 'threshold':
      return `still running after the job's limit of ${formatDuration(late.lateAfterSeconds * 1000)}`;
    case 'step-p95':
      return (
        `step "${late.step.name}" has run ${formatDuration(late.elapsedMs)}, past its usual ` +
        `${formatDuration(late.p95Ms)} (95th percentile of its last ${late.samples} successful runs)`
      );
  }
}
