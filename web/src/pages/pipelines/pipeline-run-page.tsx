import { useMutation } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from 'react-router';
import { apiFetch } from '../../api/client.js';
import { PageHeader } from '../../components/page-header.js';
import { ProgressBar } from '../../components/progress-bar.js';
import { useNow } from '../../components/use-now.js';
import { formatDateTime, formatDuration } from '../../format.js';
import { PipelineGraph, type GraphNode } from '../../features/pipelines/pipeline-graph.js';
import type { PipelineRunJson, PipelineRunNodeJson } from '../../../../src/protocol/pipeline-json.js';
import { usePipelineRun, type PipelineWarning } from './use-pipeline-run.js';
import './pipelines.css';

const FINAL = new Set(['succeeded', 'failed', 'cancelled']);
const NODE_DONE = new Set(['succeeded', 'failed', 'skipped', 'cancelled']);

/** Milliseconds a node has run: its last attempt's, to now while it runs. */
function nodeDurationMs(node: PipelineRunNodeJson, nowMs: number): number | null {
  const last = node.attempts.at(-1);
  if (!last?.startedAt) return null;
  const end = last.endedAt ? Date.parse(last.endedAt) : nowMs;
  return Math.max(0, end - Date.parse(last.startedAt));
}

function warningText(warning: PipelineWarning): string {
  const over = `running ${formatDuration(warning.elapsedMs)}`;
  if (warning.level === 'slower_than_p95')
    return `${over}: slower than its p95 of recent runs (${formatDuration(warning.thresholdMs)})`;
  return `${over}: past the ${warning.level} threshold of ${formatDuration(warning.thresholdMs)}`;
}

/** A pipeline run (docs/PIPELINES.md): the graph lighting up live, progress, the nodes, cancel and re-run. */
export function PipelineRunPage() {
  const { id = '' } = useParams();
  return <PipelineRunView key={id} id={id} />;
}

function PipelineRunView({ id }: { id: string }) {
  const { query, warnings, etaMs } = usePipelineRun(id);
  const run = query.data;
  const live = run !== undefined && !FINAL.has(run.status);
  const nowMs = useNow(live);
  if (query.error) {
    return (
      <div className="page pipeline-run">
        <PageHeader title="Pipeline run" />
        <p className="error-text" role="alert">
          {query.error.message}
        </p>
      </div>
    );
  }
  if (run === undefined) return <p className="muted">Loading…</p>;
  const done = run.nodes.filter((node) => NODE_DONE.has(node.status)).length;
  const graphNodes: GraphNode[] = run.nodes.map((node) => {
    const warning = warnings.get(node.name);
    return {
      name: node.name,
      needs: node.needs,
      level: node.level,
      status: node.status,
      executionId: node.attempts.at(-1)?.executionId ?? null,
      durationMs: nodeDurationMs(node, nowMs),
      attempt: node.attempt,
      warning: warning
        ? { level: warning.level === 'critical' ? 'critical' : 'warning', message: warningText(warning) }
        : null,
    };
  });
  return (
    <div className="page pipeline-run">
      <PageHeader
        title={
          <>
            <Link to={`/pipelines/saved/${encodeURIComponent(run.name)}`}>{run.name}</Link>{' '}
            <span className="status" data-status={run.status}>
              {run.status}
            </span>
          </>
        }
        actions={<RunActions run={run} />}
      />
      <div className="pipeline-run-summary muted">
        <span>
          {done} of {run.nodes.length} nodes done
        </span>
        {run.startedAt && <span title={run.startedAt}>started {formatDateTime(run.startedAt)}</span>}
        {run.startedAt && (
          <span>
            {run.endedAt ? 'took' : 'running for'}{' '}
            {formatDuration((run.endedAt ? Date.parse(run.endedAt) : nowMs) - Date.parse(run.startedAt))}
          </span>
        )}
        {live && etaMs !== null && <span>about {formatDuration(etaMs)} left</span>}
        {run.createdBy && <span>by {run.createdBy}</span>}
        {run.rerunOf && (
          <span>
            re-run of <Link to={`/pipelines/runs/${run.rerunOf}`}>{run.rerunOf}</Link>
          </span>
        )}
      </div>
      <ProgressBar fraction={run.nodes.length === 0 ? 1 : done / run.nodes.length} label="Nodes done" />
      <PipelineGraph nodes={graphNodes} />
      <table className="table pipeline-nodes-table">
        <caption className="visually-hidden">Nodes</caption>
        <thead>
          <tr>
            <th>Node</th>
            <th>Status</th>
            <th>Attempt</th>
            <th>Duration</th>
            <th>Outputs</th>
            <th>Why</th>
          </tr>
        </thead>
        <tbody>
          {graphNodes.map((node, index) => {
            const record = run.nodes[index]!;
            return (
              <tr key={node.name} data-node={node.name}>
                <td>
                  {node.executionId ? (
                    <Link to={`/executions/${node.executionId}`}>{node.name}</Link>
                  ) : (
                    node.name
                  )}
                </td>
                <td>
                  <span className="status" data-status={node.status}>
                    {node.status}
                  </span>
                </td>
                <td>{record.attempt > 0 ? record.attempt : '—'}</td>
                <td>{node.durationMs === null ? '—' : formatDuration(node.durationMs)}</td>
                <td className="mono">
                  {Object.entries(record.outputs)
                    .map(([key, value]) => `${key}=${value}`)
                    .join(' ') || '—'}
                </td>
                <td>{node.warning?.message ?? record.reason ?? ''}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function RunActions({ run }: { run: PipelineRunJson }) {
  const navigate = useNavigate();
  const cancel = useMutation({
    mutationFn: () =>
      apiFetch(`/api/pipelines/runs/${encodeURIComponent(run.id)}/cancel`, { method: 'POST' }),
  });
  const rerun = useMutation({
    mutationFn: (only: 'failed' | 'all') =>
      apiFetch<PipelineRunJson>(`/api/pipelines/runs/${encodeURIComponent(run.id)}/rerun`, {
        method: 'POST',
        body: { only },
      }),
    onSuccess: (next) => void navigate(`/pipelines/runs/${next.id}`),
  });
  const error = cancel.error ?? rerun.error;
  return (
    <>
      {error && (
        <span className="error-text" role="alert">
          {error.message}
        </span>
      )}
      {FINAL.has(run.status) ? (
        <>
          {run.status !== 'succeeded' && (
            <button
              type="button"
              className="button"
              disabled={rerun.isPending}
              onClick={() => rerun.mutate('failed')}
            >
              Re-run failed
            </button>
          )}
          <button
            type="button"
            className="button"
            disabled={rerun.isPending}
            onClick={() => rerun.mutate('all')}
          >
            Re-run all
          </button>
        </>
      ) : (
        <button
          type="button"
          className="button danger"
          disabled={cancel.isPending}
          onClick={() => cancel.mutate()}
        >
          Cancel
        </button>
      )}
    </>
  );
}
