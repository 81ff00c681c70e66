import { readdirSync, readFileSync, statfsSync } from 'node:fs';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HostSample, HostSamplePart, HostSampler } from '../core/host.js';

export interface HostSamplerOptions {
  /** Whose filesystem the disk figures describe: the data dir. */
  diskPath: string;
  /** A rate over less than this would be noise: a first read (or one after a long pause) waits this long. */
  primeMs?: number;
}

/** Cumulative counters at one moment; rates are differences of two of these. */
interface Counters {
  wallMs: number;
  /** Per core [busy, total] jiffies (or ms from os.cpus() without /proc), the whole machine first. */
  cpu: [number, number][] | null;
  net: { rx: number; tx: number } | null;
  selfCpuMicros: number;
}

/** Rates from counters older than this are an average over a pause, not "now": prime again. */
const STALE_MS = 30_000;

/**
 * The host sampler: a handful of small files of /proc (stat, loadavg, meminfo, net/dev, uptime),
 * each read once per sample, one `readdir` of /proc for the process count, one statfs of the data
 * dir. Without /proc (macOS, Windows) it falls back to `node:os` for CPU, load and memory and
 * says what is missing (swap, network, process count).
 */
const procRoot = '/proc';

export function createHostSampler({ diskPath, primeMs = 250 }: HostSamplerOptions): HostSampler {
  const hasProc = readable(`${procRoot}/stat`);
  let previous: Counters | undefined;

  const text = (file: string): string | null => {
    try {
      return readFileSync(`${procRoot}/${file}`, 'latin1');
    } catch {
      // A container that hides one file (gVisor, a restricted /proc): that part goes unavailable.
      return null;
    }
  };

  const counters = (stat: string | null, netDev: string | null): Counters => ({
    wallMs: performance.now(),
    cpu: hasProc ? (stat === null ? null : parseCpuLines(stat)) : cpusFromOs(),
    net: netDev === null ? null : parseNetDev(netDev),
    selfCpuMicros: selfCpu(),
  });

  const sampleOnce = (): { sample: HostSample; now: Counters } => {
    const stat = hasProc ? text('stat') : null;
    const netDev = hasProc ? text('net/dev') : null;
    const now = counters(stat, netDev);
    const before = previous;
    const seconds = before === undefined ? 0 : Math.max(now.wallMs - before.wallMs, 1) / 1000;
    const unavailable: HostSamplePart[] = [];
    const part = <T>(name: HostSamplePart, value: T | null): T | null => {
      if (value === null) unavailable.push(name);
      return value;
    };
    const meminfo = hasProc ? text('meminfo') : null;
    const sample: HostSample = {
      ts: Date.now(),
      cpu: part('cpu', before?.cpu && now.cpu ? cpuPercents(before.cpu, now.cpu) : null),
      load: part('load', hasProc ? parseLoad(text('loadavg')) : loadFromOs()),
      memory: part('memory', hasProc ? parseMemory(meminfo) : memoryFromOs()),
      swap: part('swap', parseSwap(meminfo)),
      disk: part('disk', diskOf(diskPath)),
      network: part(
        'network',
        before?.net && now.net
          ? {
              rxBytesPerSecond: Math.max(0, Math.round((now.net.rx - before.net.rx) / seconds)),
              txBytesPerSecond: Math.max(0, Math.round((now.net.tx - before.net.tx) / seconds)),
            }
          : null,
      ),
      processCount: part('processCount', hasProc ? countProcesses() : null),
      uptimeSeconds: part('uptime', hasProc ? parseUptime(text('uptime')) : Math.floor(os.uptime())),
      stepflow: {
        rssBytes: process.memoryUsage.rss(),
        cpuPercent:
          before === undefined ? 0 : round1((now.selfCpuMicros - before.selfCpuMicros) / 10_000 / seconds),
      },
      unavailable,
    };
    return { sample, now };
  };

  return {
    async read() {
      if (previous === undefined || performance.now() - previous.wallMs > STALE_MS) {
        previous = sampleOnce().now;
        await sleep(primeMs);
      }
      const { sample, now } = sampleOnce();
      previous = now;
      return sample;
    },
  };
}

function readable(file: string): boolean {
  try {
    readFileSync(file, 'latin1');
    return true;
  } catch {
    // No /proc here: the os-module fallback applies.
    return false;
  }
}

const round1 = (value: number): number => Math.round(value * 10) / 10;

/** `cpu` and `cpuN` lines of /proc/stat as [busy, total] jiffies; iowait counts as idle. */
function parseCpuLines(stat: string): [number, number][] {
  const cores: [number, number][] = [];
  for (const line of stat.split('\n')) {
    if (!line.startsWith('cpu')) break; // the cpu lines come first
    // user nice system idle iowait irq softirq steal (guest time is already inside user)
    const f = line.split(/\s+/).slice(1, 9).map(Number);
    const total = f.reduce((sum, value) => sum + (Number.isFinite(value) ? value : 0), 0);
    const idle = (f[3] ?? 0) + (f[4] ?? 0);
    cores.push([total - idle, total]);
  }
  return cores;
}

function cpusFromOs(): [number, number][] {
  const cores = os.cpus().map(({ times }): [number, number] => {
    const busy = times.user + times.nice + times.sys + times.irq;
    return [busy, busy + times.idle];
  });
  const whole = cores.reduce<[number, number]>((sum, [b, t]) => [sum[0] + b, sum[1] + t], [0, 0]);
  return [whole, ...cores];
}

function cpuPercents(
  before: [number, number][],
  now: [number, number][],
): { percent: number; perCore: number[] } | null {
  const percents = now.map(([busy, total], index) => {
    const [busyBefore, totalBefore] = before[index] ?? [busy, total];
    const elapsed = total - totalBefore;
    return elapsed <= 0 ? 0 : round1(Math.min(100, Math.max(0, ((busy - busyBefore) / elapsed) * 100)));
  });
  const [percent, ...perCore] = percents;
  return percent === undefined ? null : { percent, perCore };
}

/** Bytes received and sent over every interface but `lo`. */
function parseNetDev(netDev: string): { rx: number; tx: number } {
  let rx = 0;
  let tx = 0;
  for (const line of netDev.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon === -1 || line.slice(0, colon).trim() === 'lo') continue;
    const f = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/);
    rx += Number(f[0]) || 0;
    tx += Number(f[8]) || 0;
  }
  return { rx, tx };
}

function parseLoad(loadavg: string | null): HostSample['load'] {
  if (loadavg === null) return null;
  const [one, five, fifteen] = loadavg.split(' ').map(Number);
  if (one === undefined || five === undefined || fifteen === undefined) return null;
  return { one, five, fifteen };
}

function loadFromOs(): HostSample['load'] {
  // Windows has no load average: os.loadavg() answers zeros there, which would read as "idle".
  if (process.platform === 'win32') return null;
  const [one = 0, five = 0, fifteen = 0] = os.loadavg();
  return { one, five, fifteen };
}

/** The kB fields of /proc/meminfo that the sample uses. */
function meminfoFields(meminfo: string): Map<string, number> {
  const fields = new Map<string, number>();
  for (const line of meminfo.split('\n')) {
    const colon = line.indexOf(':');
    if (colon !== -1) fields.set(line.slice(0, colon), Number.parseInt(line.slice(colon + 1), 10) * 1024);
  }
  return fields;
}

function parseMemory(meminfo: string | null): HostSample['memory'] {
  if (meminfo === null) return null;
  const fields = meminfoFields(meminfo);
  const totalBytes = fields.get('MemTotal');
  // Kernels before 3.14 lack MemAvailable: free + page cache is its usual estimate.
  const availableBytes =
    fields.get('MemAvailable') ?? (fields.get('MemFree') ?? 0) + (fields.get('Cached') ?? 0);
  if (totalBytes === undefined) return null;
  return { totalBytes, availableBytes, usedBytes: totalBytes - availableBytes };
}

function memoryFromOs(): HostSample['memory'] {
  const totalBytes = os.totalmem();
  const availableBytes = os.freemem();
  return { totalBytes, availableBytes, usedBytes: totalBytes - availableBytes };
}

function parseSwap(meminfo: string | null): HostSample['swap'] {
  if (meminfo === null) return null;
  const fields = meminfoFields(meminfo);
  const totalBytes = fields.get('SwapTotal');
  const free = fields.get('SwapFree');
  if (totalBytes === undefined || free === undefined) return null;
  return { totalBytes, usedBytes: totalBytes - free };
}

function diskOf(path: string): HostSample['disk'] {
  try {
    const fs = statfsSync(path);
    return {
      path,
      totalBytes: fs.blocks * fs.bsize,
      usedBytes: (fs.blocks - fs.bfree) * fs.bsize,
      freeBytes: fs.bavail * fs.bsize,
    };
  } catch {
    // The data dir is gone or unsupported by statfs here: say so rather than fail the whole sample.
    return null;
  }
}

function countProcesses(): number | null {
  try {
    let count = 0;
    for (const name of readdirSync(procRoot)) {
      const first = name.charCodeAt(0);
      if (first >= 48 && first <= 57) count++;
    }
    return count;
  } catch {
    // Unreadable /proc listing: the count is unavailable, not zero.
    return null;
  }
}

function parseUptime(uptime: string | null): number | null {
  if (uptime === null) return null;
  const seconds = Number.parseFloat(uptime);
  return Number.isFinite(seconds) ? Math.floor(seconds) : null;
}

function selfCpu(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}
