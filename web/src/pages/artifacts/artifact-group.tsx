import { Link } from 'react-router';
import { StatusBadge } from '../../components/status-badge.js';
import { formatBytes, formatDateTime } from '../../format.js';
import type { ExecutionGroup } from './group-by-execution.js';
import { DownloadLink } from '../../components/download-link.js';

/** One execution's artifacts under a header naming the execution (a link to it). */
export function ArtifactGroup({ group }: { group: ExecutionGroup }) {
  const headingId = `artifacts-${group.executionId}`;
  return (
    <section className="card artifact-group" aria-labelledby={headingId}>
      <h2 className="artifact-group-header" id={headingId}>
        <StatusBadge status={group.executionStatus} iconOnly />
        <Link to={`/executions/${group.executionId}`}>{group.executionName}</Link>
        <time className="muted" dateTime={group.executionCreatedAt}>
          {formatDateTime(group.executionCreatedAt)}
        </time>
        <span className="count">{group.artifacts.length}</span>
      </h2>
      <table className="data artifact-table">
        <caption className="visually-hidden">Artifacts of {group.executionName}</caption>
        {/* Fixed widths, so the columns line up from one execution's table to the next. */}
        <colgroup>
          <col className="col-name" />
          <col className="col-size" />
          <col />
          <col className="col-step" />
          <col className="col-download" />
        </colgroup>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col" className="num">
              Size
            </th>
            <th scope="col">Description</th>
            <th scope="col">Step</th>
            <th scope="col">
              <span className="visually-hidden">Download</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {group.artifacts.map((artifact) => {
            const href = `/api/executions/${group.executionId}/artifacts/${artifact.id}`;
            const stored = artifact.status === 'stored';
            return (
              <tr key={artifact.id}>
                <td className="artifact-path">
                  <span className="mono" title={artifact.path}>
                    {artifact.path}
                    {/* A trailing slash says "directory" the way ls -F does. */}
                    {artifact.kind === 'directory' ? '/' : ''}
                  </span>
                </td>
                <td className="num">{stored ? formatBytes(artifact.size) : '–'}</td>
                <td className="artifact-description">
                  {stored ? (
                    artifact.description || <span className="muted">–</span>
                  ) : (
                    <span className="error-text">Not stored: {artifact.error}</span>
                  )}
                </td>
                <td>{artifact.stepName ?? <span className="muted">–</span>}</td>
                <td className="num">
                  {stored ? (
                    <DownloadLink href={href} aria-label={`Download ${artifact.path}`}>
                      {artifact.kind === 'directory' ? 'Download .zip' : 'Download'}
                    </DownloadLink>
                  ) : null}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}
