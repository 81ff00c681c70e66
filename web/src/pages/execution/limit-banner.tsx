import type { Execution } from '../../api/types.js';

type LimitHit = Execution['limitHits'][number];

const KIND_LABELS: Record<LimitHit['kind'], string> = {
  memory: 'memory limit',
  cpu: 'CPU limit',
  logBytes: 'log size limit',
  lines: 'log lines limit',
};

const ACTION_LABELS: Record<LimitHit['action'], string> = {
  killed: 'killed',
  failed: 'stopped',
  truncated: 'log truncated',
  warned: 'warning',
};

const ENFORCEMENT_LABELS: Record<LimitHit['enforcement'], string> = {
  sampled: 'best-effort: sampled',
  counted: 'exact: every line counted',
};

/**
 * The limits that triggered on this run (docs/LIMITS.md), one line each with what StepFlow did,
 * like the timeout in the failure summary; live, since a truncation or a CPU warning happens while
 * the run goes on. Nothing when none triggered.
 */
export function LimitBanner({ execution }: { execution: Execution }) {
  if (execution.limitHits.length === 0) return null;
  const severe = execution.limitHits.some((hit) => hit.action === 'killed' || hit.action === 'failed');
  return (
    <section
      className="card limit-banner"
      data-severity={severe ? 'danger' : 'warning'}
      aria-label="Limits triggered"
      role="status"
    >
      {execution.limitHits.map((hit) => (
        <p key={hit.kind} className="limit-hit" data-kind={hit.kind}>
          <span className="limit-badge">
            {KIND_LABELS[hit.kind]} · {ACTION_LABELS[hit.action]}
          </span>{' '}
          {hit.message} <span className="muted">({ENFORCEMENT_LABELS[hit.enforcement]})</span>
        </p>
      ))}
    </section>
  );
}
