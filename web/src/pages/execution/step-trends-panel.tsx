import type { ExecutionDetail, Step } from '../../api/types.js';
import { elapsedMs } from '../../features/execution/step-progress.js';
import { useStepTrends, type StepTrends } from '../../features/execution/use-step-trends.js';
import { formatDuration } from '../../format.js';

const BAR = 6;
const GAP = 2;
const HEIGHT = 28;
const MIN_BAR = 2;

type StepStatus = Step['status'];
/** Theme variable per step status; exhaustive on purpose. */
const STEP_COLOR: Record<StepStatus, string> = {
  succeeded: '--success',
  failed: '--danger',
  cancelled: '--neutral',
  running: '--running',
};

/**
 * How long each step took in the newest runs of the same job (or name): a bar per run, oldest on
 * the left, this run outlined (a running step shows its time so far), the median as a dashed line.
 * Plain SVG: names and values are React text, so nothing a script printed is read as markup.
 */
export function StepTrendsPanel({ execution, now }: { execution: ExecutionDetail; now: number }) {
  const ended = execution.endedAt !== null;
  const { data, error } = useStepTrends(execution.id, ended);
  return (
    <section className="card step-trends" aria-labelledby="step-trends-heading">
      <div className="card-header" id="step-trends-heading">
        Step durations
        {data && (
          <span className="muted">
            {' '}
            · last {data.runs.length} {data.runs.length === 1 ? 'run' : 'runs'} of this{' '}
            {data.basis === 'job' ? 'job' : 'name'}
          </span>
        )}
      </div>
      {error ? (
        <p className="error-text" role="alert">
          Could not load trends: {error.message}
        </p>
      ) : !data ? (
        <p className="muted empty">Loading…</p>
      ) : data.steps.length === 0 ? (
        <p className="muted empty">No steps yet.</p>
      ) : (
        <table className="data step-trends-table">
          <caption className="visually-hidden">Step durations over the last runs</caption>
          <thead>
            <tr>
              <th scope="col">Step</th>
              <th scope="col">Last runs</th>
              <th scope="col">Median</th>
              <th scope="col">This run</th>
            </tr>
          </thead>
          <tbody>
            {data.steps.map((trend) => (
              <TrendRow key={trend.name} trend={trend} data={data} execution={execution} now={now} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function TrendRow({
  trend,
  data,
  execution,
  now,
}: {
  trend: StepTrends['steps'][number];
  data: StepTrends;
  execution: ExecutionDetail;
  now: number;
}) {
  // This run's point comes from the live step (the trend was read once), so it grows as it runs.
  const step = execution.steps.find((s) => s.name === trend.name);
  const current = step ? elapsedMs(step.startedAt, step.durationMs, step.endedAt, now) : null;
  const points = trend.points.map((point, i) =>
    i === trend.points.length - 1 && step ? { durationMs: current, status: step.status } : point,
  );
  const longest = Math.max(1, trend.medianMs ?? 0, ...points.map((p) => p?.durationMs ?? 0));
  const y = (ms: number) => HEIGHT - Math.max(MIN_BAR, Math.round((ms / longest) * HEIGHT));
  const width = points.length * (BAR + GAP);
  const ended = points.filter((p) => p?.durationMs != null).length;
  return (
    <tr data-step-name={trend.name}>
      <th scope="row" className="step-trend-name" title={trend.name}>
        {trend.name}
      </th>
      <td>
        <svg
          className="step-trend"
          width={width}
          height={HEIGHT + 2}
          role="img"
          aria-label={`${trend.name}: ${ended} of the last ${points.length} runs timed, median ${formatDuration(trend.medianMs)}`}
        >
          {points.map((point, i) => {
            if (point === null) return null;
            const isCurrent = i === points.length - 1;
            const top = point.durationMs === null ? HEIGHT - MIN_BAR : y(point.durationMs);
            const run = data.runs[i];
            return (
              <rect
                key={run?.id ?? i}
                className={isCurrent ? 'step-trend-current' : undefined}
                x={i * (BAR + GAP)}
                y={top}
                width={BAR}
                height={HEIGHT - top}
                rx={1}
                style={{ fill: `var(${STEP_COLOR[point.status]})` }}
                data-status={point.status}
                data-duration-ms={point.durationMs ?? ''}
              >
                <title>
                  {`${isCurrent ? 'this run · ' : ''}${point.status} · ${formatDuration(point.durationMs)}`}
                </title>
              </rect>
            );
          })}
          {trend.medianMs !== null && (
            <line
              className="step-trend-median"
              x1={0}
              x2={width}
              y1={y(trend.medianMs)}
              y2={y(trend.medianMs)}
            />
          )}
        </svg>
      </td>
      <td className="step-trend-median-value">{formatDuration(trend.medianMs)}</td>
      <td className="step-trend-this">{formatDuration(current)}</td>
    </tr>
  );
}
