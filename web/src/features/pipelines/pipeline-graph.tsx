import { Link } from 'react-router';
import { formatDuration } from '../../format.js';
import { NODE_HEIGHT, NODE_WIDTH, layoutGraph, type GraphNodeInput } from './graph-layout.js';
import './pipeline-graph.css';

export interface GraphNode extends GraphNodeInput {
  status: string;
  /** Its latest attempt's execution, once it has one: the node links to its page. */
  executionId?: string | null;
  durationMs?: number | null;
  attempt?: number;
  /** Past the pipeline's warning or critical threshold, or slower than its usual p95. */
  warning?: { level: 'warning' | 'critical'; message: string } | null;
}

const ICONS: Record<string, string> = {
  succeeded: '✓',
  failed: '✗',
  skipped: '⤼',
  cancelled: '⊘',
  queued: '◷',
  waiting: '◷',
  retrying: '↻',
  timed_out: '⏱',
};

/**
 * The pipeline's nodes as boxes in dependency columns, joined by their `needs`, coloured by status
 * (live: the caller re-renders with new statuses). A node that ran links to its execution.
 */
export function PipelineGraph({ nodes }: { nodes: readonly GraphNode[] }) {
  const layout = layoutGraph(nodes);
  const finished = new Set(
    nodes.filter((n) => n.status === 'succeeded' || n.status === 'failed').map((n) => n.name),
  );
  return (
    <div className="pipeline-graph" role="group" aria-label="Pipeline graph">
      <div className="pipeline-graph-canvas" style={{ width: layout.width, height: layout.height }}>
        <svg width={layout.width} height={layout.height} aria-hidden="true">
          {layout.edges.map((edge) => (
            <path
              key={`${edge.from}→${edge.to}`}
              d={edge.path}
              className="pipeline-edge"
              data-done={finished.has(edge.from) ? 'true' : undefined}
            />
          ))}
        </svg>
        {layout.nodes.map(({ node, x, y }) => {
          const body = (
            <>
              <span className="pipeline-node-icon" aria-hidden="true">
                {node.status === 'running' ? <span className="spinner" /> : (ICONS[node.status] ?? '•')}
              </span>
              <span className="pipeline-node-text">
                <span className="pipeline-node-name">{node.name}</span>
                <span className="pipeline-node-meta">
                  {node.status.replace('_', ' ')}
                  {node.durationMs != null ? ` · ${formatDuration(node.durationMs)}` : ''}
                  {node.attempt !== undefined && node.attempt > 1 ? ` · attempt ${node.attempt}` : ''}
                </span>
              </span>
              {node.warning ? (
                <span className="pipeline-node-warning" title={node.warning.message}>
                  ⚠<span className="visually-hidden">{node.warning.message}</span>
                </span>
              ) : null}
            </>
          );
          const common = {
            className: 'pipeline-node',
            'data-node': node.name,
            'data-status': node.status,
            'data-warning': node.warning?.level,
            style: { left: x, top: y, width: NODE_WIDTH, height: NODE_HEIGHT },
            title: node.warning ? `${node.name}: ${node.warning.message}` : node.name,
          };
          return node.executionId ? (
            <Link key={node.name} to={`/executions/${node.executionId}`} {...common}>
              {body}
            </Link>
          ) : (
            <div key={node.name} {...common}>
              {body}
            </div>
          );
        })}
      </div>
    </div>
  );
}
