import { Link } from 'react-router';
import type { PendingRetry } from '../../api/types.js';
import { QueryState } from '../../components/query-state.js';
import { formatDateTime, formatDuration } from '../../format.js';
import type { PipelineRunPageBody } from '../../../../src/protocol/pipeline-schemas.js';
import { PendingRetries } from './pending-retries.js';

type PipelineRunItem = PipelineRunPageBody['items'][number];

/**
 * A pipeline job's runs: each attempt is a pipeline run (docs/JOBS.md, "Pipeline jobs"), linking
 * to its page; a retry links to the failed run whose failed nodes it re-runs.
 */
export function JobPipelineRuns({
  pipeline,
  runs,
  error,
  maxAttempts,
  waiting,
  now,
}: {
  pipeline: string;
  runs: PipelineRunItem[] | undefined;
  error: Error | null;
  maxAttempts: number;
  waiting: readonly PendingRetry[];
  now: number;
}) {
  return (
    <section className="card job-runs" aria-labelledby="job-runs-heading">
      <h2 className="card-header" id="job-runs-heading">
        Pipeline runs{' '}
        <span className="count" data-testid="run-count">
          {runs?.length ?? 0}
        </span>
        <Link to={`/pipelines/saved/${encodeURIComponent(pipeline)}`} className="card-header-link">
          {pipeline}
        </Link>
      </h2>
      <PendingRetries retries={waiting} maxAttempts={maxAttempts} now={now} />
      <QueryState error={error} items={runs} empty="No runs yet." inCard>
        {(items) => (
          <div className="job-runs-scroll">
            <table className="data">
              <caption className="visually-hidden">Pipeline runs</caption>
              <thead>
                <tr>
                  <th scope="col">Status</th>
                  <th scope="col">Run</th>
                  <th scope="col">Fired for</th>
                  <th scope="col">Attempt</th>
                  <th scope="col" className="num">
                    Duration
                  </th>
                </tr>
              </thead>
              <tbody>
                {items.map((run) => {
                  const attempt = run.job?.attempt ?? 1;
                  const retryOf = run.job?.retryOfId ?? null;
                  return (
                    <tr key={run.id} data-pipeline-run-id={run.id}>
                      <td>
                        <span className="status" data-status={run.status}>
                          {run.status}
                        </span>
                      </td>
                      <td>
                        <Link to={`/pipelines/runs/${run.id}`}>
                          {formatDateTime(run.startedAt ?? run.createdAt)}
                        </Link>
                      </td>
                      <td>
                        {run.job?.scheduledAt ? (
                          formatDateTime(run.job.scheduledAt)
                        ) : (
                          <span className="muted">manual</span>
                        )}
                      </td>
                      <td>
                        <span className="attempt">
                          {attempt}/{Math.max(attempt, maxAttempts)}
                          {retryOf !== null ? (
                            <>
                              {' '}
                              <span aria-hidden="true">↻</span>{' '}
                              <Link to={`/pipelines/runs/${retryOf}`} className="retry-of">
                                failed nodes of attempt {attempt - 1}
                              </Link>
                            </>
                          ) : null}
                        </span>
                      </td>
                      <td className="num">{formatDuration(run.durationMs)}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </QueryState>
    </section>
  );
}
