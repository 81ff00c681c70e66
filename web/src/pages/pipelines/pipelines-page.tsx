import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { apiFetch } from '../../api/client.js';
import { PageHeader } from '../../components/page-header.js';
import { QueryState } from '../../components/query-state.js';
import { formatAgo } from '../../format.js';
import type { SavedPipelineListBody } from '../../../../src/protocol/pipeline-file-schemas.js';
import './pipelines.css';

/** The saved pipelines (docs/PIPELINES.md); each links to its page, the header to every run. */
export function PipelinesPage() {
  const list = useQuery({
    queryKey: ['pipelines'],
    queryFn: ({ signal }) => apiFetch<SavedPipelineListBody>('/api/pipelines', { signal }),
  });
  return (
    <div className="page pipelines">
      <PageHeader
        title="Pipelines"
        actions={
          <Link to="/pipelines/runs" className="button">
            All runs
          </Link>
        }
      />
      <QueryState
        error={list.error}
        items={list.data?.items}
        inCard
        empty="No saved pipelines. Save one with: stepflow pipeline save pipeline.yml"
      >
        {(items) => (
          <table className="table pipelines-table">
            <caption className="visually-hidden">Saved pipelines</caption>
            <thead>
              <tr>
                <th>Name</th>
                <th>Updated</th>
              </tr>
            </thead>
            <tbody>
              {items.map((pipeline) => (
                <tr key={pipeline.name}>
                  <td>
                    <Link to={`/pipelines/saved/${encodeURIComponent(pipeline.name)}`}>{pipeline.name}</Link>
                  </td>
                  <td title={pipeline.updatedAt}>{formatAgo(pipeline.updatedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </QueryState>
    </div>
  );
}
