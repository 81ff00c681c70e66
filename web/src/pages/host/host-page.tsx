import { PageHeader } from '../../components/page-header.js';
import { QueryState } from '../../components/query-state.js';
import { HostCard } from './host-card.js';
import './host.css';
import { useHostReport } from './use-host-report.js';

/**
 * The host monitor (docs/DASHBOARD.md): this server's machine and every live worker's, live
 * while the page is open (the server samples only while someone watches).
 */
export function HostPage() {
  const { hosts, intervalMs, historyMs, error } = useHostReport();
  return (
    <div className="page host">
      <PageHeader title="Host">
        <span className="muted">
          live, every {intervalMs / 1000} s; the last {Math.round(historyMs / 60_000)} minutes
        </span>
      </PageHeader>
      <QueryState error={error} items={hosts} empty="No hosts">
        {(items) => (
          <div className="host-cards">
            {items.map((host) => (
              <HostCard key={host.id} host={host} windowMs={historyMs} />
            ))}
          </div>
        )}
      </QueryState>
    </div>
  );
}
