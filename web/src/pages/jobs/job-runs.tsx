import { Link } from 'react-router';
import type { Execution, PendingRetry } from '../../api/types.js';
import { StatusBadge } from '../../components/status-badge.js';
import { formatDateTime, formatDuration } from '../../format.js';
import { PendingRetries } from './pending-retries.js';

/**
 * Every attempt of the job's runs, newest first, each linking to its execution, with the retries
 * waiting for their delay above them. Retries show their place in the chain (attempt n of the
 * policy's maximum) and link to the attempt they retry.
 */
export function JobRuns({
  runs,
  maxAttempts,
  more,
  waiting,
  now,
}: {
  runs: readonly Execution[];
  maxAttempts: number;
  /** Older runs exist beyond those shown. */
  more: boolean;
  /** Retries waiting for their delay. */
  waiting: readonly PendingRetry[];
  now: number;
}) {
  // A retry of a lost attempt is the job's retryOnLost, not its retry policy: it says so.
  const lost = new Set(runs.filter((run) => run.status === 'lost').map((run) => run.id));
  return (
    <section className="card job-runs" aria-labelledby="job-runs-heading">
      <h2 className="card-header" id="job-runs-heading">
        Runs{' '}
        <span className="count" data-testid="run-count">
          {runs.length}
          {more ? '+' : ''}
        </span>
        <Link to="/" className="card-header-link">
          Queue
        </Link>
      </h2>
      <PendingRetries retries={waiting} maxAttempts={maxAttempts} now={now} />
      {runs.length === 0 ? (
        <p className="empty muted">No runs yet.</p>
      ) : (
        <div className="job-runs-scroll">
          <table className="data">
            <caption className="visually-hidden">Runs</caption>
            <thead>
              <tr>
                <th scope="col">Status</th>
                <th scope="col">Run</th>
                <th scope="col">Fired for</th>
                <th scope="col">Attempt</th>
                <th scope="col" className="num">
                  Duration
                </th>
                <th scope="col" className="num">
                  Exit
                </th>
              </tr>
            </thead>
            <tbody>
              {runs.map((run) => (
                <tr key={run.id} data-execution-id={run.id}>
                  <td>
                    <StatusBadge status={run.status} />
                  </td>
                  <td>
                    <Link to={`/executions/${run.id}`}>{formatDateTime(run.startedAt ?? run.createdAt)}</Link>
                  </td>
                  <td>
                    {run.scheduledAt ? (
                      formatDateTime(run.scheduledAt)
                    ) : (
                      <span className="muted">manual</span>
                    )}
                  </td>
                  <td>
                    <Attempt
                      run={run}
                      maxAttempts={maxAttempts}
                      afterLost={run.retryOfId !== null && lost.has(run.retryOfId)}
                    />
                  </td>
                  <td className="num">{formatDuration(run.durationMs)}</td>
                  <td className="num">{run.exitCode ?? run.signal ?? '–'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Attempt({
  run,
  maxAttempts,
  afterLost,
}: {
  run: Execution;
  maxAttempts: number;
  afterLost: boolean;
}) {
  const attempt = run.attempt ?? 1;
  return (
    <span className="attempt">
      {attempt}/{Math.max(attempt, maxAttempts)}
      {run.retryOfId ? (
        <>
          {' '}
          <span aria-hidden="true">↻</span>{' '}
          <Link to={`/executions/${run.retryOfId}`} className="retry-of">
            {afterLost ? 'again after lost' : 'retry of'} attempt {attempt - 1}
          </Link>
        </>
      ) : null}
    </span>
  );
}
