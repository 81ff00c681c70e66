import { useMemo } from 'react';
import { TimeSeriesChart, type ChartSeries } from '../../components/time-series-chart.js';
import { formatDuration } from '../../format.js';
import type { Stats } from './use-stats.js';

const percent = (value: number) => `${Math.round(value)}%`;
const PERCENT_RANGE: [number, number] = [0, 100];

/** Executions per bucket (stacked failed / succeeded / other, with the success rate) and durations. */
export function StatsCharts({ stats }: { stats: Stats }) {
  const { x, outcomes, durations } = useMemo(() => chartData(stats), [stats]);
  const unit = stats.bucketMs < 86_400_000 ? 'hour' : 'day';
  return (
    <div className="charts">
      <section className="card chart-card" aria-labelledby="chart-runs">
        <h2 className="card-header" id="chart-runs">
          Executions and success rate per {unit}
        </h2>
        <TimeSeriesChart
          label={`Executions per ${unit}: succeeded, failed and others, with the success rate`}
          x={x}
          bucketMs={stats.bucketMs}
          series={outcomes}
          rightRange={PERCENT_RANGE}
        />
      </section>
      <section className="card chart-card" aria-labelledby="chart-durations">
        <h2 className="card-header" id="chart-durations">
          Duration per {unit} (median and 95th percentile)
        </h2>
        <TimeSeriesChart
          label={`Median and 95th percentile duration per ${unit}`}
          x={x}
          bucketMs={stats.bucketMs}
          series={durations}
        />
      </section>
    </div>
  );
}

function chartData(stats: Stats): { x: number[]; outcomes: ChartSeries[]; durations: ChartSeries[] } {
  const b = stats.buckets;
  const x = b.map((bucket) => Date.parse(bucket.start));
  // Bars overlay in order, so drawing the running sums from the top down reads as a stack.
  const outcomes: ChartSeries[] = [
    {
      label: 'Other',
      kind: 'bars',
      color: '--neutral',
      values: b.map((k) => k.total),
      legendValues: b.map((k) => k.total - k.succeeded - k.failed),
    },
    {
      label: 'Succeeded',
      kind: 'bars',
      color: '--success',
      values: b.map((k) => k.succeeded + k.failed),
      legendValues: b.map((k) => k.succeeded),
    },
    { label: 'Failed', kind: 'bars', color: '--danger', values: b.map((k) => k.failed) },
    {
      label: 'Success rate',
      kind: 'line',
      color: '--accent',
      axis: 'right',
      format: percent,
      values: b.map((k) =>
        k.succeeded + k.failed === 0 ? null : (100 * k.succeeded) / (k.succeeded + k.failed),
      ),
    },
  ];
  const durations: ChartSeries[] = [
    {
      label: 'Median',
      kind: 'line',
      color: '--accent',
      format: formatDuration,
      values: b.map((k) => k.medianDurationMs),
    },
    {
      label: 'p95',
      kind: 'line',
      color: '--warning',
      format: formatDuration,
      values: b.map((k) => k.p95DurationMs),
    },
  ];
  return { x, outcomes, durations };
}
