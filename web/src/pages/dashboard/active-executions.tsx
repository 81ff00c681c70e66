import { Link } from 'react-router';
import type { Execution, RunningLate } from '../../api/types.js';
import { lateByThreshold } from '../../features/execution/late-state.js';
import { useLateWarnings } from '../../features/execution/use-late-warnings.js';
import { LateBadge } from '../execution/late-badge.js';
import { StatusBadge } from '../../components/status-badge.js';
import { TagList } from '../../components/tag-list.js';
// Shared with the execution page's live durations.
import { useNow } from '../../components/use-now.js';
import { useEstimates } from '../../features/execution/use-estimates.js';
import { progressFraction } from '../../features/execution/step-progress.js';
import { formatDuration } from '../../format.js';
import { ProgressBar } from '../../components/progress-bar.js';

/** Running and queued executions, live, each with a ticking clock (running for / waiting for). */
export function ActiveExecutions({ executions, connected }: { executions: Execution[]; connected: boolean }) {
  const now = useNow(executions.length > 0);
  const warnings = useLateWarnings();
  return (
    <section className="card active-executions" aria-labelledby="active-heading">
      <h2 className="card-header" id="active-heading">
        Active executions <span className="count">{executions.length}</span>
      </h2>
      {executions.length === 0 ? (
        <p className="empty muted">{connected ? 'Nothing running or queued.' : 'Connecting…'}</p>
      ) : (
        <ul className="active-list" aria-label="Active executions">
          {executions.map((execution) => (
            <ActiveExecution
              key={execution.id}
              execution={execution}
              now={now}
              late={warnings.get(execution.id) ?? lateByThreshold(execution, now)}
            />
          ))}
        </ul>
      )}
    </section>
  );
}

/**
 * One active execution. A running one gets a progress bar when an earlier successful run with the
 * same name says how long it should take (the same estimate the execution view uses).
 */
function ActiveExecution({
  execution,
  now,
  late,
}: {
  execution: Execution;
  now: number;
  late: RunningLate | null;
}) {
  const running = execution.status === 'running';
  const estimates = useEstimates(execution.id, running);
  const elapsedMs = Math.max(0, now - Date.parse(execution.startedAt ?? execution.createdAt));
  const expectedMs =
    execution.estimatedDurationSeconds !== null
      ? execution.estimatedDurationSeconds * 1000
      : (estimates?.totalMs ?? null);
  const fraction = running ? progressFraction(elapsedMs, expectedMs) : null;
  const elapsed = formatDuration(elapsedMs);
  return (
    <li>
      <StatusBadge status={execution.status} iconOnly />
      <div className="active-main">
        <Link to={`/executions/${execution.id}`} className="active-name">
          {execution.name}
        </Link>
        <LateBadge late={late} jobRun={execution.jobId !== null} />
        <TagList tags={execution.tags} />
        {fraction !== null && (
          <ProgressBar
            fraction={fraction}
            label={`${execution.name}: about ${Math.round(fraction * 100)}% done`}
          />
        )}
      </div>
      <span className="elapsed" title={running ? 'Running for' : 'Waiting for'}>
        {running ? elapsed : `waiting ${elapsed}`}
      </span>
    </li>
  );
}
