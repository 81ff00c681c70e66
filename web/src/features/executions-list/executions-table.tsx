import { Link } from 'react-router';
import type { Execution } from '../../api/types.js';
import { StatusBadge } from '../../components/status-badge.js';
import { TagList } from '../../components/tag-list.js';
import { formatAgo, formatDateTime, formatDuration } from '../../format.js';
import './executions-table.css';

/**
 * Executions as a dense table: status, name (a link to the execution), command, tags, start time
 * and duration. The dashboard's recent list and the history page share it.
 */
export function ExecutionsTable({
  executions,
  caption,
  timeStyle = 'absolute',
}: {
  executions: Execution[];
  /** Accessible name of the table (visually hidden). */
  caption: string;
  /** `relative`: "5m ago" (the full time on hover); `absolute`: the date and time. */
  timeStyle?: 'absolute' | 'relative';
}) {
  return (
    <div className="executions-table-wrap">
      <table className="data executions-table">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Status</th>
            <th scope="col">Name</th>
            <th scope="col">Command</th>
            <th scope="col">Tags</th>
            <th scope="col">Started</th>
            <th scope="col" className="num">
              Duration
            </th>
          </tr>
        </thead>
        <tbody>
          {executions.map((execution) => {
            const started = execution.startedAt ?? execution.createdAt;
            return (
              <tr key={execution.id}>
                <td>
                  <StatusBadge status={execution.status} />
                </td>
                <td className="name-cell">
                  <Link to={`/executions/${execution.id}`} title={execution.name}>
                    {execution.name}
                  </Link>
                </td>
                <td className="command-cell">
                  <code title={execution.command}>{execution.command}</code>
                </td>
                <td>
                  <TagList tags={execution.tags} />
                </td>
                <td>
                  <time dateTime={started} title={formatDateTime(started)}>
                    {timeStyle === 'relative' ? formatAgo(started) : formatDateTime(started)}
                  </time>
                </td>
                <td className="num">{formatDuration(execution.durationMs)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
