import { Link } from 'react-router';
import type { Delivery } from '../../api/types.js';
import { WEBHOOK_EVENT_TEXT } from '../../features/jobs/job-policies.js';
import { formatDateTime, formatDuration } from '../../format.js';
import { QueryState } from '../../components/query-state.js';

/** Every webhook delivery attempt, newest first: answer or error, when, which attempt. */
export function WebhookDeliveries({
  deliveries,
  error,
}: {
  deliveries: Delivery[] | undefined;
  error: Error | null;
}) {
  return (
    <section className="card job-deliveries" aria-labelledby="job-deliveries-heading">
      <h2 className="card-header" id="job-deliveries-heading">
        Webhook deliveries
      </h2>
      <QueryState error={error} items={deliveries} empty="No deliveries yet." inCard>
        {(deliveries) => (
          <div className="job-table-scroll">
            <table className="data">
              <caption className="visually-hidden">Webhook deliveries</caption>
              <thead>
                <tr>
                  <th scope="col">Sent</th>
                  <th scope="col">Event</th>
                  <th scope="col">URL</th>
                  <th scope="col" className="num">
                    Attempt
                  </th>
                  <th scope="col">Answer</th>
                  <th scope="col" className="num">
                    Took
                  </th>
                  <th scope="col">Run</th>
                </tr>
              </thead>
              <tbody>
                {deliveries.map((d) => (
                  <tr key={d.id}>
                    <td>{formatDateTime(d.sentAt)}</td>
                    <td>{WEBHOOK_EVENT_TEXT[d.event]}</td>
                    <td className="url-cell mono" title={d.url}>
                      {d.url}
                    </td>
                    <td className="num">{d.attempt}</td>
                    <td className={d.ok ? 'delivery-ok' : 'delivery-failed'}>
                      {d.statusCode !== null ? `HTTP ${d.statusCode}` : ''}
                      {d.error ? `${d.statusCode !== null ? ' · ' : ''}${d.error}` : ''}
                      {d.statusCode === null && !d.error ? (d.ok ? 'ok' : 'failed') : ''}
                    </td>
                    <td className="num">{formatDuration(d.durationMs)}</td>
                    <td>
                      {d.pipelineRunId ? (
                        <Link to={`/pipelines/runs/${d.pipelineRunId}`}>pipeline run</Link>
                      ) : d.executionId ? (
                        <Link to={`/executions/${d.executionId}`}>open</Link>
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
