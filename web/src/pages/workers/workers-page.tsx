import { Link } from 'react-router';
import { PageHeader } from '../../components/page-header.js';
import { QueryState } from '../../components/query-state.js';
import { formatAgo } from '../../format.js';
import { useWorkers } from './use-workers.js';

/** The workers registered with this server (docs/WORKERS.md); a stale one (silent past the lease) is marked. */
export function WorkersPage() {
  const list = useWorkers();
  const workers = list.data?.workers;
  return (
    <div className="page workers">
      <PageHeader title="Workers" />
      <QueryState
        error={list.error}
        items={workers}
        inCard
        empty="No workers yet. Start one with: stepflow worker --server <this URL>"
      >
        {(items) => (
          <table className="table workers-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>State</th>
                <th>Labels</th>
                <th>Slots in use</th>
                <th>Last heartbeat</th>
                <th>Version</th>
                <th>Running</th>
              </tr>
            </thead>
            <tbody>
              {items.map((worker) => (
                <tr key={worker.name} data-stale={worker.live ? undefined : 'true'}>
                  <td>
                    {worker.name}
                    <div className="muted">{worker.host}</div>
                  </td>
                  <td>
                    <span
                      className={`status ${worker.live ? '' : 'stale'}`}
                      data-status={worker.live ? 'succeeded' : 'lost'}
                    >
                      {worker.live ? 'live' : 'stale'}
                    </span>
                  </td>
                  <td>{worker.labels.length > 0 ? worker.labels.join(', ') : '—'}</td>
                  <td>
                    {worker.running.length} / {worker.slots}
                  </td>
                  <td title={worker.lastSeenAt}>{formatAgo(worker.lastSeenAt)}</td>
                  <td>{worker.version}</td>
                  <td>
                    {worker.running.length === 0
                      ? '—'
                      : worker.running.map((run) => (
                          <div key={run.executionId}>
                            <Link to={`/executions/${run.executionId}`}>{run.executionId}</Link>
                            {run.attempt > 1 ? ` (attempt ${run.attempt})` : ''}
                          </div>
                        ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </QueryState>
    </div>
  );
}
