import { useEffect, useEffectEvent, useMemo, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { useThemeKey } from '../../components/use-theme-key.js';

export interface HostChartSeries {
  label: string;
  /** CSS custom property of its colour (`--accent`), so it follows the theme. */
  color: string;
  values: (number | null)[];
}

interface Props {
  /** Accessible name. */
  label: string;
  /** Sample times, epoch ms. */
  x: number[];
  series: HostChartSeries[];
  format: (value: number) => string;
  /** Fixed y range (percentages); default 0 to the data's maximum. */
  max?: number;
  /** How much time the x axis spans, ending at the newest sample: the chart scrolls as samples come. */
  windowMs: number;
  height?: number;
}

/**
 * A live line chart of the last minutes (uPlot): built once per theme and series count, then fed
 * with `setData` at every sample, so a redraw every 2 s stays cheap.
 */
export function HostChart({ label, x, series, format, max, windowMs, height = 110 }: Props) {
  const container = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  const theme = useThemeKey();
  const data = useMemo<uPlot.AlignedData>(
    () => [x.map((ms) => ms / 1000), ...series.map((s) => s.values)],
    [x, series],
  );
  const currentData = useEffectEvent(() => data);
  const shape = series.map((s) => `${s.label}:${s.color}`).join('|');
  const currentSeries = useEffectEvent(() => series);
  const currentFormat = useEffectEvent((value: number) => format(value));

  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const style = getComputedStyle(element);
    const color = (name: string) => style.getPropertyValue(name).trim() || '#888';
    const grid = color('--border');
    const axis = { stroke: color('--fg-muted'), grid: { stroke: grid, width: 1 }, ticks: { show: false } };
    const plot = new uPlot(
      {
        width: Math.max(200, element.clientWidth),
        height,
        cursor: { drag: { x: false, y: false } },
        scales: {
          x: { time: true, range: (_u, _min, newest) => [newest - windowMs / 1000, newest] },
          y: { range: (_u, _min, dataMax) => [0, max ?? (dataMax > 0 ? dataMax * 1.15 : 1)] },
        },
        series: [
          { label: 'At', value: (_u, seconds) => (seconds == null ? '–' : clock(seconds)) },
          ...currentSeries().map((s): uPlot.Series => ({
            label: s.label,
            stroke: color(s.color),
            width: 1.5,
            value: (u, raw, i, idx) => {
              // Off the plot, the legend reads the newest sample rather than a dash.
              const v = idx === null ? (u.data[i]?.at(-1) ?? null) : raw;
              return v === null || v === undefined ? '–' : currentFormat(v);
            },
          })),
        ],
        axes: [
          { ...axis, grid: { show: false }, values: (_u, ticks) => ticks.map(minutes) },
          { ...axis, size: 64, values: (_u, ticks) => ticks.map((v) => currentFormat(v)) },
        ],
      },
      currentData(),
      element,
    );
    chart.current = plot;
    const resize = new ResizeObserver(() => {
      const width = element.clientWidth;
      if (width > 0 && width !== plot.width) plot.setSize({ width, height });
    });
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
      chart.current = null;
    };
  }, [theme, height, max, shape, windowMs]);

  useEffect(() => {
    chart.current?.setData(data);
  }, [data]);

  return (
    <div
      className="host-chart"
      ref={container}
      role="img"
      aria-label={label}
      data-samples={x.length}
      data-last={x.at(-1) ?? ''}
    />
  );
}

const minutes = (seconds: number): string =>
  new Date(seconds * 1000).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
const clock = (seconds: number): string =>
  new Date(seconds * 1000).toLocaleTimeString(undefined, {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
