import { Link } from 'react-router';
import type { FireRecord } from '../../api/types.js';
import { FIRE_OUTCOME_TEXT } from '../../features/jobs/job-policies.js';
import { formatDateTime } from '../../format.js';
import { QueryState } from '../../components/query-state.js';

/** What became of each fire time, newest first: started, queued, skipped or missed, and why. */
export function FireHistory({ fires, error }: { fires: FireRecord[] | undefined; error: Error | null }) {
  return (
    <section className="card job-fires" aria-labelledby="job-fires-heading">
      <h2 className="card-header" id="job-fires-heading">
        Fire history
      </h2>
      <QueryState error={error} items={fires} empty="No fires yet." inCard>
        {(fires) => (
          <div className="job-table-scroll">
            <table className="data">
              <caption className="visually-hidden">Fire history</caption>
              <thead>
                <tr>
                  <th scope="col">Fire time</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">Reason</th>
                  <th scope="col">Run</th>
                </tr>
              </thead>
              <tbody>
                {fires.map((fire) => (
                  <tr key={fire.id}>
                    <td>
                      {fire.triggerId === null ? <span className="muted">manual · </span> : null}
                      {formatDateTime(fire.fireTime)}
                    </td>
                    <td>
                      <span className="fire-outcome" data-outcome={fire.outcome}>
                        {FIRE_OUTCOME_TEXT[fire.outcome]}
                        {fire.count > 1 ? ` ×${fire.count}` : ''}
                      </span>
                    </td>
                    <td className="wrap">{fire.reason ?? ''}</td>
                    <td>
                      {fire.pipelineRunId ? (
                        <Link to={`/pipelines/runs/${fire.pipelineRunId}`}>pipeline run</Link>
                      ) : fire.executionId ? (
                        <Link to={`/executions/${fire.executionId}`}>open</Link>
                      ) : (
                        '–'
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryState>
    </section>
  );
}
