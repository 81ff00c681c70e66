import { useEffect, useMemo, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { isFailure } from '../../api/execution-status.js';
import type { Execution } from '../../api/types.js';
import { cssVar, useThemeKey } from '../../components/use-theme-key.js';
import { formatDateTime, formatDuration } from '../../format.js';
import './duration-trend-chart.css';

const HEIGHT = 160;

/**
 * Duration of each ended run, oldest to newest (uPlot): a line through every run, failures
 * (`isFailure`: failed, timed out, interrupted) marked again in the danger colour. The x axis counts runs rather
 * than time: runs close together (an every-second job) would otherwise pile up in one spot. Colours come from the theme's CSS
 * variables, so the chart is rebuilt when the theme changes; the width follows the container.
 */
export function DurationTrendChart({ runs }: { runs: readonly Execution[] }) {
  const container = useRef<HTMLDivElement>(null);
  const themeKey = useThemeKey();
  const { data, starts } = useMemo(() => toData(runs), [runs]);
  const points = data[0].length;

  useEffect(() => {
    const element = container.current;
    if (element === null || points === 0) return;
    const chart = new uPlot(options(element.clientWidth, starts), data, element);
    const observer = new ResizeObserver(() => {
      if (element.clientWidth !== chart.width) chart.setSize({ width: element.clientWidth, height: HEIGHT });
    });
    observer.observe(element);
    return () => {
      observer.disconnect();
      chart.destroy();
    };
  }, [data, starts, points, themeKey]);

  if (points === 0) return <p className="duration-trend-empty muted">No ended runs yet.</p>;
  return (
    <div
      ref={container}
      className="duration-trend-chart"
      role="img"
      aria-label={`Duration of the last ${points} ended runs`}
      data-points={points}
    />
  );
}

function toData(runs: readonly Execution[]): {
  data: [number[], (number | null)[], (number | null)[]];
  starts: string[];
} {
  const ended = runs
    .filter((run) => run.durationMs !== null && run.endedAt !== null)
    .sort((a, b) => Date.parse(a.startedAt ?? a.createdAt) - Date.parse(b.startedAt ?? b.createdAt));
  return {
    data: [
      ended.map((_, i) => i + 1),
      ended.map((run) => run.durationMs),
      ended.map((run) => (isFailure(run.status) ? run.durationMs : null)),
    ],
    starts: ended.map((run) => run.startedAt ?? run.createdAt),
  };
}

function options(width: number, starts: readonly string[]): uPlot.Options {
  const fg = cssVar('--fg-muted');
  const grid = cssVar('--border');
  const accent = cssVar('--accent');
  const danger = cssVar('--danger');
  const font = `11px ${cssVar('--sans') || 'sans-serif'}`;
  const format = (_u: uPlot, v: number | null) => (v === null ? '–' : formatDuration(v));
  return {
    width,
    height: HEIGHT,
    // Durations start at zero: an axis starting at the minimum makes jitter look like a trend.
    scales: {
      x: { time: false, range: (_u, min, max) => [min - 0.5, max + 0.5] },
      y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
    },
    axes: [
      {
        stroke: fg,
        font,
        grid: { show: false },
        ticks: { stroke: grid, width: 1, size: 4 },
        // Whole run numbers only.
        values: (_u, splits) => splits.map((v) => (Number.isInteger(v) ? `#${v}` : '')),
      },
      {
        stroke: fg,
        font,
        size: 52,
        grid: { stroke: grid, width: 1 },
        ticks: { show: false },
        values: (_u, splits) => splits.map((v) => formatDuration(v)),
      },
    ],
    series: [
      {
        label: 'Run',
        value: (_u, v) => {
          const start = v === null ? undefined : starts[v - 1];
          return start === undefined ? '–' : `#${v} · ${formatDateTime(start)}`;
        },
      },
      { label: 'Duration', stroke: accent, width: 2, points: { size: 5, fill: accent }, value: format },
      {
        label: 'Failed',
        stroke: danger,
        width: 0,
        points: { size: 8, fill: danger, stroke: danger },
        value: format,
      },
    ],
    cursor: { points: { show: true }, drag: { x: false, y: false } },
    legend: { live: true },
    // Until the pointer hovers a run, the legend reads the latest one rather than dashes (uPlot
    // draws after construction, so earlier would be overwritten).
    hooks: { ready: [(u) => u.setLegend({ idx: starts.length - 1 })] },
  };
}
