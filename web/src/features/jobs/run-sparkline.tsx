import type { JobRunSummary } from '../../api/types.js';
import { formatDateTime, formatDuration } from '../../format.js';
import { STATUS_COLOR } from './run-colors.js';

const BAR = 5;
const GAP = 2;
const HEIGHT = 22;
const MIN_BAR = 3;

/**
 * Recent runs as tiny bars, oldest on the left: colour by status, height by duration (against the
 * longest shown). Runs still going have no duration yet and get a short bar. Each bar names its
 * run on hover; the whole reads as a count by status for screen readers.
 */
export function RunSparkline({ runs }: { runs: readonly JobRunSummary[] }) {
  if (runs.length === 0) return <span className="muted">no runs</span>;
  const oldestFirst = [...runs].reverse();
  const longest = Math.max(1, ...oldestFirst.map((run) => run.durationMs ?? 0));
  const counts = new Map<string, number>();
  for (const run of runs) counts.set(run.status, (counts.get(run.status) ?? 0) + 1);
  const summary = [...counts].map(([status, n]) => `${n} ${status.replace('_', ' ')}`).join(', ');
  return (
    <svg
      className="run-sparkline"
      width={oldestFirst.length * (BAR + GAP)}
      height={HEIGHT}
      role="img"
      aria-label={`Last ${runs.length} runs: ${summary}`}
    >
      {oldestFirst.map((run, i) => {
        const height =
          run.durationMs === null
            ? MIN_BAR
            : Math.max(MIN_BAR, Math.round((run.durationMs / longest) * HEIGHT));
        return (
          <rect
            key={run.executionId}
            x={i * (BAR + GAP)}
            y={HEIGHT - height}
            width={BAR}
            height={height}
            rx={1}
            style={{ fill: `var(${STATUS_COLOR[run.status]})` }}
            data-status={run.status}
          >
            <title>
              {`${run.status.replace('_', ' ')} · ${formatDuration(run.durationMs)} · ${formatDateTime(run.startedAt ?? run.createdAt)}`}
            </title>
          </rect>
        );
      })}
    </svg>
  );
}
