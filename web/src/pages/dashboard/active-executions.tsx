import { Link } from 'react-router';
import type { Execution } from '../../api/types.js';
import { StatusBadge } from '../../components/status-badge.js';
import { TagList } from '../../components/tag-list.js';
// Shared with the execution page's live durations.
import { useNow } from '../../features/execution/use-now.js';
import { formatDuration } from '../../format.js';

/** Running and queued executions, live, each with a ticking clock (running for / waiting for). */
export function ActiveExecutions({ executions, connected }: { executions: Execution[]; connected: boolean }) {
  const now = useNow(executions.length > 0);
  return (
    <section className="card active-executions" aria-labelledby="active-heading">
      <h2 className="card-header" id="active-heading">
        Active executions <span className="count">{executions.length}</span>
      </h2>
      {executions.length === 0 ? (
        <p className="empty muted">{connected ? 'Nothing running or queued.' : 'Connecting…'}</p>
      ) : (
        <ul className="active-list" aria-label="Active executions">
          {executions.map((execution) => {
            const since = execution.startedAt ?? execution.createdAt;
            const elapsed = formatDuration(Math.max(0, now - Date.parse(since)));
            return (
              <li key={execution.id}>
                <StatusBadge status={execution.status} iconOnly />
                <div className="active-main">
                  <Link to={`/executions/${execution.id}`} className="active-name">
                    {execution.name}
                  </Link>
                  <TagList tags={execution.tags} />
                </div>
                <span
                  className="elapsed"
                  title={execution.status === 'queued' ? 'Waiting for' : 'Running for'}
                >
                  {execution.status === 'queued' ? `waiting ${elapsed}` : elapsed}
                </span>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
