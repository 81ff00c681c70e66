import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { apiFetch } from '../../api/client.js';
import type { ExecutionPage } from '../../api/types.js';
import { ExecutionsTable } from '../../features/executions-list/executions-table.js';
import { QueryState } from '../../components/query-state.js';

const RECENT = 10;

/** The newest executions, whatever their status; "View all" opens the history. */
export function RecentExecutions() {
  const { data, error } = useQuery({
    queryKey: ['executions', 'recent', RECENT],
    queryFn: ({ signal }) => apiFetch<ExecutionPage>('/api/executions', { query: { limit: RECENT }, signal }),
  });
  return (
    <section className="card recent-executions" aria-labelledby="recent-heading">
      <h2 className="card-header" id="recent-heading">
        Recent executions
        <Link to="/history" className="card-header-link">
          View all
        </Link>
      </h2>
      <QueryState
        error={error}
        items={data?.items}
        empty={
          <>
            No executions yet. <Link to="/new">Start one</Link>.
          </>
        }
        inCard
      >
        {(executions) => (
          <ExecutionsTable executions={executions} caption="Recent executions" timeStyle="relative" />
        )}
      </QueryState>
    </section>
  );
}
