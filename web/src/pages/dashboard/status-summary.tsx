import { EXECUTION_STATUS_ORDER, StatusBadge } from '../../components/status-badge.js';
import type { Stats } from './use-stats.js';

/**
 * Counts of the range's executions by status, the total and the success rate: succeeded among
 * those that ended by themselves (cancelled runs count for neither side).
 */
export function StatusSummary({
  byStatus,
  live,
}: {
  byStatus: Stats['byStatus'];
  /** Running and queued right now, from the live feed (fresher than the last stats fetch). */
  live: { running: number; queued: number } | null;
}) {
  const counts = { ...byStatus, ...(live ?? {}) };
  const total = Object.values(byStatus).reduce((sum, n) => sum + n, 0);
  const ended = counts.succeeded + counts.failed + counts.timed_out + counts.interrupted + counts.lost;
  const rate = ended === 0 ? '–' : `${((100 * counts.succeeded) / ended).toFixed(ended < 100 ? 0 : 1)}%`;
  return (
    <dl className="status-summary">
      <div className="stat">
        <dt>Total</dt>
        <dd>{total}</dd>
      </div>
      <div className="stat">
        <dt>Success rate</dt>
        <dd>{rate}</dd>
      </div>
      {EXECUTION_STATUS_ORDER.map((status) => (
        <div className="stat" key={status} data-status={status}>
          <dt>
            <StatusBadge status={status} />
          </dt>
          <dd>{counts[status]}</dd>
        </div>
      ))}
    </dl>
  );
}
