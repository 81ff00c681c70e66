import { TimeSeriesChart, type ChartSeries } from '../../components/time-series-chart.js';
import { formatDuration } from '../../format.js';
import type { PipelineRunPageBody } from '../../../../src/protocol/pipeline-schemas.js';

// The theme's colours, cycled: a pipeline with more nodes than colours repeats them.
const COLORS = ['--accent', '--success', '--warning', '--danger', '--running', '--neutral'];

/** Each node's duration over the pipeline's recent runs, oldest left: which node got slower. */
export function NodeDurationTrend({ runs }: { runs: PipelineRunPageBody['items'] }) {
  const ordered = runs.filter((run) => run.startedAt !== null).toReversed();
  if (ordered.length < 2) return <p className="muted">The trend shows once the pipeline has run twice.</p>;
  const names = [...new Set(ordered.flatMap((run) => run.nodes.map((node) => node.name)))];
  const series: ChartSeries[] = names.map((name, index) => ({
    label: name,
    kind: 'line',
    color: COLORS[index % COLORS.length]!,
    format: (value) => formatDuration(value),
    values: ordered.map((run) => {
      const node = run.nodes.find((candidate) => candidate.name === name);
      const last = node?.attempts.at(-1);
      if (!last?.startedAt || !last.endedAt) return null;
      return Date.parse(last.endedAt) - Date.parse(last.startedAt);
    }),
  }));
  return (
    <TimeSeriesChart
      label="Duration of each node over recent runs"
      x={ordered.map((run) => Date.parse(run.startedAt!))}
      bucketMs={60_000}
      series={series}
    />
  );
}
