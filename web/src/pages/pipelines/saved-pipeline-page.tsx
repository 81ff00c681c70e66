import { useMutation, useQuery } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from 'react-router';
import { apiFetch } from '../../api/client.js';
import type { JobListItem } from '../../api/types.js';
import { PageHeader } from '../../components/page-header.js';
import { formatDateTime, formatDuration } from '../../format.js';
import { NodeDurationTrend } from './node-duration-trend.js';
import type { PipelineRunJson } from '../../../../src/protocol/pipeline-json.js';
import type { PipelineRunPageBody } from '../../../../src/protocol/pipeline-schemas.js';
import type { SavedPipelineBody } from '../../../../src/protocol/pipeline-file-schemas.js';
import './pipelines.css';

const RECENT_RUNS = 20;

/** A saved pipeline: its YAML, Run, its recent runs and each node's duration trend. */
export function SavedPipelinePage() {
  const { name = '' } = useParams();
  const navigate = useNavigate();
  const pipeline = useQuery({
    queryKey: ['pipeline', name],
    queryFn: ({ signal }) =>
      apiFetch<SavedPipelineBody>(`/api/pipelines/${encodeURIComponent(name)}`, { signal }),
  });
  const runs = useQuery({
    queryKey: ['pipeline-runs', name, '', 'recent'],
    queryFn: ({ signal }) =>
      apiFetch<PipelineRunPageBody>('/api/pipelines/runs', { query: { name, limit: RECENT_RUNS }, signal }),
    refetchInterval: 3000,
  });
  // The jobs that fire it (docs/JOBS.md, "Pipeline jobs"): under `jobs`, so job changes refresh them.
  const jobs = useQuery({
    queryKey: ['jobs', 'list', 'pipeline', name],
    queryFn: ({ signal }) => apiFetch<{ items: JobListItem[] }>('/api/jobs', { signal }),
    select: (list) => list.items.filter((job) => job.pipeline === name),
  });
  const start = useMutation({
    mutationFn: () =>
      apiFetch<PipelineRunJson>('/api/pipelines/runs', { method: 'POST', body: { pipeline: name } }),
    onSuccess: (run) => void navigate(`/pipelines/runs/${run.id}`),
  });
  const error = pipeline.error ?? start.error;
  return (
    <div className="page saved-pipeline">
      <PageHeader
        title={name}
        actions={
          <button
            type="button"
            className="button primary"
            disabled={start.isPending}
            onClick={() => start.mutate()}
          >
            Run
          </button>
        }
      />
      {error && (
        <p className="error-text" role="alert">
          {error.message}
        </p>
      )}
      <section className="card pipeline-section" aria-label="Jobs that run it">
        <h2>
          Jobs that run it <Link to="/jobs/new">new job</Link>
        </h2>
        {jobs.error ? <p className="error-text">{jobs.error.message}</p> : null}
        {jobs.data?.length === 0 && <p className="muted">No job runs it on a schedule.</p>}
        <ul className="pipeline-jobs" data-testid="pipeline-jobs">
          {jobs.data?.map((job) => (
            <li key={job.id}>
              <Link to={`/jobs/${job.id}`}>{job.name}</Link>
              {job.enabled ? '' : <span className="muted"> · paused</span>}
              {job.nextRunAt ? <span className="muted"> · next {formatDateTime(job.nextRunAt)}</span> : null}
            </li>
          ))}
        </ul>
      </section>
      <section className="card pipeline-section">
        <h2>Node durations</h2>
        <NodeDurationTrend runs={runs.data?.items ?? []} />
      </section>
      <section className="card pipeline-section">
        <h2>
          Recent runs <Link to={`/pipelines/runs?name=${encodeURIComponent(name)}`}>all</Link>
        </h2>
        {runs.data?.items.length === 0 && <p className="muted">Not run yet.</p>}
        <ul className="pipeline-recent-runs">
          {runs.data?.items.map((run) => (
            <li key={run.id}>
              <span className="status" data-status={run.status}>
                {run.status}
              </span>{' '}
              <Link to={`/pipelines/runs/${run.id}`}>{formatDateTime(run.startedAt ?? run.createdAt)}</Link>
              {run.startedAt && run.endedAt
                ? ` · ${formatDuration(Date.parse(run.endedAt) - Date.parse(run.startedAt))}`
                : ''}
            </li>
          ))}
        </ul>
      </section>
      {pipeline.data && (
        <section className="card pipeline-section">
          <h2>Definition</h2>
          <pre className="pipeline-yaml">{pipeline.data.yaml}</pre>
        </section>
      )}
    </div>
  );
}
