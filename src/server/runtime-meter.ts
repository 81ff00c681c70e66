import { monitorEventLoopDelay } from 'node:perf_hooks';

/** This process's own load, measured since the previous reading (or since the meter started). */
interface RuntimeReading {
  /** Wall time the reading covers. */
  intervalMs: number;
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  /** User + system CPU time over wall time; 100 = one core busy. */
  cpuPercent: number;
  rssBytes: number;
  heapUsedBytes: number;
}

export interface RuntimeMeter {
  /** Returns the figures since the previous call and starts a new interval. */
  read(): RuntimeReading;
  close(): void;
}

const NS_PER_MS = 1e6;

/**
 * Event-loop delay and CPU are rates: they mean something only over an interval. Each reading
 * closes the interval it covers, so a dashboard polling every few seconds sees recent figures
 * rather than averages since start.
 */
export function createRuntimeMeter({ resolutionMs = 10 }: { resolutionMs?: number } = {}): RuntimeMeter {
  const histogram = monitorEventLoopDelay({ resolution: resolutionMs });
  histogram.enable();
  let lastCpu = process.cpuUsage();
  let lastWall = process.hrtime.bigint();

  return {
    read() {
      const wall = process.hrtime.bigint();
      const cpu = process.cpuUsage(lastCpu);
      const intervalUs = Number(wall - lastWall) / 1000;
      const memory = process.memoryUsage();
      // An interval with no sample yet (the first read right after start) has no delay to show.
      const sampled = histogram.count > 0;
      const reading: RuntimeReading = {
        intervalMs: round(intervalUs / 1000),
        eventLoopDelayMs: {
          p50: sampled ? round(histogram.percentile(50) / NS_PER_MS) : 0,
          p99: sampled ? round(histogram.percentile(99) / NS_PER_MS) : 0,
          max: sampled ? round(histogram.max / NS_PER_MS) : 0,
        },
        cpuPercent: intervalUs > 0 ? round(((cpu.user + cpu.system) / intervalUs) * 100) : 0,
        rssBytes: memory.rss,
        heapUsedBytes: memory.heapUsed,
      };
      histogram.reset();
      lastCpu = process.cpuUsage();
      lastWall = wall;
      return reading;
    },
    close: () => histogram.disable(),
  };
}

const round = (value: number): number => Math.round(value * 100) / 100;
