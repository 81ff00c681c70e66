import { useEffect, useEffectEvent, useMemo, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { ResourceSample } from '../api/types.js';
import { formatBytes } from '../format.js';
import './resource-chart.css';
import { useThemeKey } from './use-theme-key.js';

export interface ResourceChartProps {
  samples: readonly ResourceSample[];
  /** Plot height in px (the width follows the container). */
  height?: number;
  /** Shown instead of the chart when there is no sample. */
  emptyText?: string;
}

/**
 * CPU % and memory of a process tree over time (uPlot: canvas, cheap to redraw live). Memory has
 * its own axis on the right. Colours come from the theme's CSS variables and follow theme changes;
 * the width follows the container.
 */
export function ResourceChart({ samples, height = 160, emptyText = 'no samples' }: ResourceChartProps) {
  if (samples.length === 0) {
    return (
      <div className="resource-chart-empty muted" style={{ height }}>
        {emptyText}
      </div>
    );
  }
  return <Plot samples={samples} height={height} />;
}

function Plot({ samples, height }: { samples: readonly ResourceSample[]; height: number }) {
  const container = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  const theme = useThemeKey();
  const data = useMemo(() => toData(samples), [samples]);
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

function toData(samples: readonly ResourceSample[]): uPlot.AlignedData {
  return [
    samples.map((s) => s.ts / 1000),
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
      cpu: { range: (_u, _min, max) => [0, Math.max(100, Math.ceil(max / 50) * 50)] },
      memory: { range: (_u, _min, max) => [0, max > 0 ? max * 1.15 : 1] },
    },
    series: [
      {},
      {
        label: 'CPU',
        scale: 'cpu',
        stroke: cpu,
        width: 1.5,
        value: (_u, v) => (v === null ? '–' : `${v.toFixed(0)}%`),
      },
      {
        label: 'Memory',
        scale: 'memory',
        stroke: memory,
        width: 1.5,
        value: (_u, v) => (v === null ? '–' : formatBytes(v)),
      },
    ],
    axes: [
      axis,
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
