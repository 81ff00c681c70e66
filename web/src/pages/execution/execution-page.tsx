import { useParams } from 'react-router';
import { StatusBadge } from '../../components/status-badge.js';
import { useExecutionLive } from '../../features/execution/use-execution-live.js';
import { LogViewer } from '../../features/log/log-viewer.js';

export function ExecutionPage() {
  const { id = '' } = useParams();
  const { execution, error, lineFeed } = useExecutionLive(id);
  if (error) {
    return (
      <div className="page">
        <h1>Execution {id}</h1>
        <p className="error-text">{error.message}</p>
      </div>
    );
  }
  if (!execution) return <div className="page muted">Loading…</div>;
  return (
    <div className="page">
      <h1>
        {execution.name} <StatusBadge status={execution.status} />
      </h1>
      <LogViewer execution={execution} lineFeed={lineFeed} />
    </div>
  );
}
