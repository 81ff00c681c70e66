import { useEffect, useEffectEvent, useMemo, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { ResourceSample } from '../api/types.js';
import { formatBytes, formatDuration, formatElapsed } from '../format.js';
import './resource-chart.css';
import { useThemeKey } from './use-theme-key.js';

export interface ResourceChartProps {
  samples: readonly ResourceSample[];
  /** Epoch ms the x axis counts from (the run's start); default: the first sample. */
  originMs?: number | null;
  /** Plot height in px (the width follows the container). */
  height?: number;
  /** Shown instead of the chart when there is no sample. */
  emptyText?: string;
}

/**
 * CPU % and memory of a process tree over the run (uPlot: canvas, cheap to redraw live). The x
 * axis is time since the run started (what step durations are measured in, not wall-clock
 * seconds); memory has its own axis on the right. The legend reads the latest sample until the
 * pointer picks another. Colours come from the theme's CSS variables and follow theme changes;
 * the width follows the container.
 */
export function ResourceChart({
  samples,
  originMs = null,
  height = 160,
  emptyText = 'no samples',
}: ResourceChartProps) {
  if (samples.length === 0) {
    return (
      <div className="resource-chart-empty muted" style={{ height }}>
        {emptyText}
      </div>
    );
  }
  return <Plot samples={samples} originMs={originMs ?? samples[0]!.ts} height={height} />;
}

function Plot({
  samples,
  originMs,
  height,
}: {
  samples: readonly ResourceSample[];
  originMs: number;
  height: number;
}) {
  const container = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  const theme = useThemeKey();
  const data = useMemo(() => toData(samples, originMs), [samples, originMs]);
  // The chart is built with the data of the moment; later data goes through setData below.
  const currentData = useEffectEvent(() => data);

  // (Re)built when the theme changes: uPlot bakes colours into its options.
  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const plot = new uPlot(options(element, height), currentData(), element);
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
  }, [theme, height]);

  useEffect(() => {
    chart.current?.setData(data);
  }, [data]);

  return <div className="resource-chart" ref={container} data-samples={samples.length} />;
}

/** The legend's value: the one under the pointer, else (pointer off the plot) the newest, not a dash. */
function shown(u: uPlot, raw: number | null, seriesIdx: number, idx: number | null): number | null {
  return idx === null ? (u.data[seriesIdx]?.at(-1) ?? null) : raw;
}

const formatOr = (v: number | null, format: (v: number) => string) => (v === null ? '–' : format(v));

/** x: seconds since the origin. */
function toData(samples: readonly ResourceSample[], originMs: number): uPlot.AlignedData {
  return [
    samples.map((s) => (s.ts - originMs) / 1000),
    samples.map((s) => s.cpuPercent),
    samples.map((s) => s.memoryBytes),
  ];
}

function options(element: HTMLElement, height: number): uPlot.Options {
  const style = getComputedStyle(element);
  const color = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  const fg = color('--fg-muted', '#59636e');
  const grid = color('--border', '#d1d9e0');
  const cpu = color('--accent', '#0969da');
  const memory = color('--success', '#1a7f37');
  const axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
  return {
    width: Math.max(200, element.clientWidth),
    height,
    cursor: { drag: { x: false, y: false } },
    scales: {
      // From the start of the run, in seconds (not a clock: the axis reads 0s, 30s, 1m…).
      x: { time: false, range: (_u, _min, max) => [0, Math.max(1, max)] },
      cpu: { range: (_u, _min, max) => [0, Math.max(100, Math.ceil(max / 50) * 50)] },
      memory: { range: (_u, _min, max) => [0, max > 0 ? max * 1.15 : 1] },
    },
    series: [
      {
        label: 'Elapsed',
        value: (u, raw, i, idx) => formatOr(shown(u, raw, i, idx), (v) => formatDuration(v * 1000)),
      },
      {
        label: 'CPU',
        scale: 'cpu',
        stroke: cpu,
        width: 1.5,
        value: (u, raw, i, idx) => formatOr(shown(u, raw, i, idx), (v) => `${v.toFixed(0)}%`),
      },
      {
        label: 'Memory',
        scale: 'memory',
        stroke: memory,
        width: 1.5,
        value: (u, raw, i, idx) => formatOr(shown(u, raw, i, idx), formatBytes),
      },
    ],
    axes: [
      { ...axis, incrs: ELAPSED_STEPS, values: (_u, ticks) => ticks.map(formatElapsed) },
      { ...axis, scale: 'cpu', size: 48, values: (_u, ticks) => ticks.map((v) => `${v}%`) },
      {
        ...axis,
        scale: 'memory',
        side: 1,
        size: 72,
        grid: { show: false },
        values: (_u, ticks) => ticks.map((v) => formatBytes(v)),
      },
    ],
  };
}

/** Tick spacings of the elapsed axis, in seconds: round clock steps rather than 50 s or 200 s. */
const ELAPSED_STEPS = [
  1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
];
