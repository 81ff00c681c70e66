import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { cssVar, useThemeKey } from './use-theme-key.js';
import './time-series-chart.css';

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  /** CSS custom property holding its colour (`--success`), so it follows the theme. */
  color: string;
  kind: 'bars' | 'line';
  /** `right`: drawn against a second axis on the right (percentages next to counts). */
  axis?: 'left' | 'right';
  /** How its values read in the legend and on its axis. */
  format?: (value: number) => string;
  /** What the legend shows per point when it differs from the drawn value (stacked bars). */
  legendValues?: (number | null)[];
}

interface Props {
  /** What the chart shows, for screen readers and as its accessible name. */
  label: string;
  /** Bucket starts, epoch ms. */
  x: number[];
  /** Width of a bucket in ms: hourly buckets get times on the axis, daily ones dates. */
  bucketMs: number;
  series: ChartSeries[];
  height?: number;
  /**
   * Fixed range of the right axis (`[0, 100]` for percentages); default: fitted to the data. Pass
   * a constant (like `x` and `series`, a new array rebuilds the chart).
   */
  rightRange?: [number, number];
}

const DAY_MS = 86_400_000;

/**
 * A uPlot chart that takes its colours from the theme's CSS variables (rebuilt when the theme
 * changes: a canvas does not follow CSS) and its width from its container (ResizeObserver).
 * Bars are drawn in series order, so a later bar series overlays an earlier one (failed on total).
 */
export function TimeSeriesChart({ label, x, bucketMs, series, height = 180, rightRange }: Props) {
  const container = useRef<HTMLDivElement>(null);
  const themeKey = useThemeKey();

  useEffect(() => {
    const element = container.current;
    if (element === null) return;
    const chart = new uPlot(
      options(series, bucketMs, element.clientWidth, height, rightRange),
      [x.map((ms) => ms / 1000), ...series.map((s) => s.values)],
      element,
    );
    // Until the pointer hovers a bucket, the legend reads the latest one rather than dashes.
    if (x.length > 0) chart.setLegend({ idx: x.length - 1 });
    const observer = new ResizeObserver(() => {
      if (element.clientWidth !== chart.width) chart.setSize({ width: element.clientWidth, height });
    });
    observer.observe(element);
    return () => {
      observer.disconnect();
      chart.destroy();
    };
  }, [x, series, bucketMs, height, themeKey, rightRange]);

  return <div ref={container} className="time-series-chart" role="img" aria-label={label} />;
}

function options(
  series: ChartSeries[],
  bucketMs: number,
  width: number,
  height: number,
  rightRange: [number, number] | undefined,
): uPlot.Options {
  const fg = cssVar('--fg-muted');
  const grid = cssVar('--border');
  const font = `11px ${cssVar('--sans') || 'sans-serif'}`;
  const axis = (side: 'left' | 'right', format?: (value: number) => string): uPlot.Axis => ({
    scale: side === 'left' ? 'y' : 'y2',
    side: side === 'left' ? 3 : 1,
    stroke: fg,
    font,
    size: 44,
    grid: { show: side === 'left', stroke: grid, width: 1 },
    ticks: { show: false },
    ...(format ? { values: (_u: uPlot, splits: number[]) => splits.map(format) } : {}),
  });
  const leftFormat = series.find((s) => (s.axis ?? 'left') === 'left')?.format;
  const rightFormat = series.find((s) => s.axis === 'right')?.format;
  const bars = uPlot.paths.bars?.({ size: [0.7, 40], gap: 1 });
  return {
    width,
    height,
    // Counts and durations start at zero; a y axis that starts at the minimum misleads.
    scales: {
      // Half a bucket of room at each end, so the first and last bars are drawn whole.
      x: { time: true, range: (_u, min, max) => [min - bucketMs / 2000, max + bucketMs / 2000] },
      y: { range: (_u, _min, max) => [0, max > 0 ? max : 1] },
      ...(rightRange ? { y2: { range: rightRange } } : {}),
    },
    axes: [
      {
        stroke: fg,
        font,
        grid: { show: false },
        ticks: { stroke: grid, width: 1, size: 4 },
        values: (_u, splits) =>
          splits.map((s) => {
            const date = new Date(s * 1000);
            return bucketMs >= DAY_MS
              ? date.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })
              : date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
          }),
      },
      axis('left', leftFormat),
      ...(series.some((s) => s.axis === 'right') ? [axis('right', rightFormat)] : []),
    ],
    series: [
      {
        value: (_u, v) =>
          v === null
            ? '–'
            : new Date(v * 1000).toLocaleString(undefined, {
                month: 'short',
                day: 'numeric',
                ...(bucketMs < DAY_MS ? { hour: '2-digit', minute: '2-digit' } : {}),
              }),
      },
      ...series.map((s): uPlot.Series => {
        const color = cssVar(s.color);
        return {
          label: s.label,
          scale: s.axis === 'right' ? 'y2' : 'y',
          stroke: color,
          width: s.kind === 'line' ? 2 : 0,
          ...(s.kind === 'bars' ? { fill: color, paths: bars, points: { show: false } } : {}),
          ...(s.kind === 'line' ? { points: { size: 4, fill: color }, spanGaps: false } : {}),
          value: (_u, drawn, _seriesIdx, idx) => {
            const v = s.legendValues && idx !== null ? s.legendValues[idx] : drawn;
            return v === null || v === undefined ? '–' : s.format ? s.format(v) : String(v);
          },
        };
      }),
    ],
    cursor: { points: { show: true }, drag: { x: false, y: false } },
    legend: { live: true },
  };
}
