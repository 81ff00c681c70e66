import type { ExecutionStatus, Step } from '../api/types.js';

type AnyStatus = ExecutionStatus | Step['status'];

/** The order statuses are listed in (summaries, filters): live ones first, then by outcome. */
export const EXECUTION_STATUS_ORDER: readonly ExecutionStatus[] = [
  'running',
  'queued',
  'succeeded',
  'failed',
  'timed_out',
  'cancelled',
  'interrupted',
  'lost',
];

// Exhaustive: a new status fails the type check until it has an icon.
const ICONS: Record<AnyStatus, string> = {
  running: '', // a spinner instead
  succeeded: '✓',
  failed: '✗',
  timed_out: '⏱',
  interrupted: '⚠',
  lost: '⚠',
  cancelled: '⊘',
  queued: '◷',
};

const LABELS: Record<string, string> = { timed_out: 'timed out' };

/** Status icon (a spinner while running) and, unless `iconOnly`, its name. */
export function StatusBadge({ status, iconOnly = false }: { status: AnyStatus; iconOnly?: boolean }) {
  const label = LABELS[status] ?? status;
  return (
    <span className="status" data-status={status} title={label}>
      {status === 'running' ? (
        <span className="spinner" aria-hidden="true" />
      ) : (
        <span aria-hidden="true">{ICONS[status]}</span>
      )}
      {iconOnly ? <span className="visually-hidden">{label}</span> : <span>{label}</span>}
    </span>
  );
}
