import { existsSync, readdirSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { ResourcePeaks, ResourceSample } from '../core/model.js';
import {
  CLOCK_TICKS_PER_SECOND,
  readPageSize,
  readChannelLinks,
  readProcEnvironValue,
  readProcStat,
  readUptimeTicks,
} from './proc-stat.js';

/** The environment variable that marks every process of an execution with its id. */
export const EXECUTION_TAG_VARIABLE = 'STEPFLOW_EXECUTION_ID';

export interface ProcessMonitorOptions {
  /** Time between two scans of /proc while something is watched. */
  intervalMs?: number;
}

/** One scanner of /proc shared by every running execution: the cost is per tick, not per execution. */
export interface ProcessMonitor {
  /**
   * Calls `onSample` once per interval with the totals of the processes carrying `tag`; `stop`
   * ends that and returns the peaks seen meanwhile.
   */
  watch(tag: string, onSample: (sample: ResourceSample) => void): { stop(): ResourcePeaks };
  /**
   * Live pids of a run (fresh /proc scan), for the kill sweep: those carrying its tag, those in
   * `session` (its main process's pid: it leads a session of its own) and those holding one of
   * its `outputs` (the main process's stdout/stderr links), which finds what cleared its
   * environment and left the session. Reading every process's descriptors costs: pass `outputs`
   * only when ending a tree. Never our own process or group.
   */
  findRun(run: RunProcesses): number[];
  /** Clears the timer. */
  close(): void;
  /** Time between two samples (what a limit enforced by sampling can miss). */
  readonly intervalMs: number;
}

/** How to recognise a run's processes (see {@link ProcessMonitor.findRun}). */
interface RunProcesses {
  tag: string;
  session?: number | undefined;
  outputs?: readonly string[];
}

interface ProcEntry {
  startTime: number;
  /** Own tag, or the tag of an ancestor or process-group leader; null when it belongs to nobody. */
  tag: string | null;
  /** The tag has its final value: re-reading /proc will not change it. */
  resolved: boolean;
  ppid: number;
  pgrp: number;
  session: number;
  kernelThread: boolean;
  zombie: boolean;
  cpuTicks: number;
  /** cpuTicks at the previous sampling tick. */
  baselineTicks: number;
  rssPages: number;
  scanId: number;
}

interface WatchState {
  tag: string;
  onSample: (sample: ResourceSample) => void;
  lastWall: number;
  peaks: ResourcePeaks;
}

interface TagTotals {
  cpuTicks: number;
  rssPages: number;
  processCount: number;
}

// Kill sweeps of many executions ending together share one scan if it is this recent (or younger
// than a scan takes, so that sweeps can never keep the event loop scanning most of the time).
const SCAN_REUSE_MS = 10;
const MAX_ANCESTRY_DEPTH = 64;
/** Pids read per slice of a sampling scan (~1–3 ms of the event loop). */
const SCAN_SLICE = 100;

/** Creates the shared sampler. CPU% = delta clock ticks / delta wall time (100 = one core). */
export function createProcessMonitor({ intervalMs = 1000 }: ProcessMonitorOptions = {}): ProcessMonitor {
  const procAvailable = existsSync('/proc/self/stat');
  const pageSize = procAvailable ? readPageSize() : 4096;
  const ownPid = process.pid;
  const ownPgrp = procAvailable ? (readProcStat('self')?.pgrp ?? -1) : -1;

  const entries = new Map<number, ProcEntry>();
  // Process groups whose leader carried a tag: members that scrubbed their environment still count.
  const groupTags = new Map<number, string>();
  const watches = new Set<WatchState>();
  let timer: NodeJS.Timeout | undefined;
  let scanCount = 0;
  let lastScanAt = Number.NEGATIVE_INFINITY;
  let lastScanDuration = 0;
  // Uptime (ticks) when the last sampling scan began: processes started later used no CPU before it.
  let lastTickUptime = 0;
  let sampling = false;
  // Who holds which pipe or socket, read after the scan `channelIndexScan`: one pass over every
  // process's descriptors serves all the sweeps that share that scan.
  let channelIndex = new Map<string, number[]>();
  let channelIndexScan = -1;

  interface Scan {
    id: number;
    startedAt: number;
    fresh: ProcEntry[];
    liveGroups: Set<number>;
  }

  function beginScan(): Scan {
    return { id: ++scanCount, startedAt: performance.now(), fresh: [], liveGroups: new Set() };
  }

  function scanPid(current: Scan, name: string): void {
    const first = name.charCodeAt(0);
    if (first < 48 || first > 57) return;
    const pid = Number(name);
    const stat = readProcStat(pid);
    if (stat === undefined) return;
    let entry = entries.get(pid);
    if (entry === undefined || entry.startTime !== stat.startTime) {
      const tag = stat.kernelThread ? null : readProcEnvironValue(pid, EXECUTION_TAG_VARIABLE);
      entry = {
        startTime: stat.startTime,
        tag,
        resolved: tag !== null || stat.kernelThread,
        ppid: stat.ppid,
        pgrp: stat.pgrp,
        session: stat.session,
        kernelThread: stat.kernelThread,
        zombie: false,
        cpuTicks: stat.cpuTicks,
        baselineTicks: stat.startTime >= lastTickUptime - 1 ? 0 : stat.cpuTicks,
        rssPages: 0,
        scanId: current.id,
      };
      entries.set(pid, entry);
    } else if (entry.tag === null && stat.ppid === ownPid) {
      // Our child may have been caught between fork and exec, still showing our environment.
      entry.tag = readProcEnvironValue(pid, EXECUTION_TAG_VARIABLE);
      entry.resolved = entry.tag !== null;
    }
    entry.ppid = stat.ppid;
    entry.pgrp = stat.pgrp;
    entry.session = stat.session;
    entry.zombie = stat.state === 'Z';
    entry.cpuTicks = stat.cpuTicks;
    entry.rssPages = stat.rssPages;
    entry.scanId = current.id;
    if (!entry.resolved) current.fresh.push(entry);
    current.liveGroups.add(stat.pgrp);
  }

  function endScan(current: Scan): void {
    for (const [pid, entry] of entries) {
      if (entry.scanId !== current.id) entries.delete(pid);
      else if (entry.tag !== null && entry.pgrp === pid) groupTags.set(pid, entry.tag);
    }
    for (const pgid of groupTags.keys()) if (!current.liveGroups.has(pgid)) groupTags.delete(pgid);
    for (const entry of current.fresh) resolveTag(entry, 0);
    lastScanAt = performance.now();
    lastScanDuration = lastScanAt - current.startedAt;
  }

  /** One pass over /proc at once: for kill sweeps, which need the answer now. */
  function scan(): void {
    const current = beginScan();
    for (const name of readdirSync('/proc')) scanPid(current, name);
    endScan(current);
  }

  /**
   * The sampling pass, in slices of {@link SCAN_SLICE} pids with the event loop free in between:
   * a thousand processes cost ~10–25 ms of reads, which in one piece delayed every request behind
   * it. A full scan() meanwhile supersedes it (its data is newer): the slices just stop.
   */
  function scanInSlices(done: () => void): void {
    const current = beginScan();
    const names = readdirSync('/proc');
    let next = 0;
    const slice = (): void => {
      if (current.id !== scanCount) return done();
      const end = Math.min(names.length, next + SCAN_SLICE);
      for (; next < end; next++) scanPid(current, names[next] as string);
      if (next < names.length) {
        setImmediate(slice);
        return;
      }
      endScan(current);
      done();
    };
    slice();
  }

  function indexChannels(): void {
    channelIndex = new Map();
    channelIndexScan = scanCount;
    for (const [pid, entry] of entries) {
      if (entry.zombie || entry.kernelThread || pid === ownPid || entry.pgrp === ownPgrp) continue;
      for (const link of readChannelLinks(pid)) {
        const holders = channelIndex.get(link);
        if (holders === undefined) channelIndex.set(link, [pid]);
        else holders.push(pid);
      }
    }
  }

  function resolveTag(entry: ProcEntry, depth: number): string | null {
    if (entry.resolved) return entry.tag;
    const parent = entries.get(entry.ppid);
    const tag =
      groupTags.get(entry.pgrp) ??
      (parent !== undefined && depth < MAX_ANCESTRY_DEPTH ? resolveTag(parent, depth + 1) : null);
    entry.tag = tag;
    // A child of ours may still be between fork and exec: ask again next scan.
    entry.resolved = tag !== null || entry.ppid !== ownPid;
    return tag;
  }

  function tick(): void {
    if (sampling) return;
    sampling = true;
    const uptime = readUptimeTicks();
    scanInSlices(() => {
      sampling = false;
      if (timer !== undefined) sample(uptime);
    });
  }

  function sample(uptime: number): void {
    const wall = performance.now();
    const totals = new Map<string, TagTotals>();
    for (const watch of watches) totals.set(watch.tag, { cpuTicks: 0, rssPages: 0, processCount: 0 });
    for (const entry of entries.values()) {
      const sum = entry.tag === null ? undefined : totals.get(entry.tag);
      if (sum !== undefined) {
        sum.cpuTicks += entry.cpuTicks - entry.baselineTicks;
        if (!entry.zombie) {
          sum.rssPages += entry.rssPages;
          sum.processCount++;
        }
      }
      entry.baselineTicks = entry.cpuTicks;
    }
    lastTickUptime = uptime;
    const ts = Date.now();
    for (const watch of [...watches]) {
      const sum = totals.get(watch.tag)!;
      const elapsedSeconds = Math.max(wall - watch.lastWall, 1) / 1000;
      watch.lastWall = wall;
      const sample: ResourceSample = {
        ts,
        cpuPercent: Math.round((sum.cpuTicks / CLOCK_TICKS_PER_SECOND / elapsedSeconds) * 1000) / 10,
        memoryBytes: sum.rssPages * pageSize,
        processCount: sum.processCount,
      };
      const { peaks } = watch;
      peaks.cpuPercentPeak = Math.max(peaks.cpuPercentPeak, sample.cpuPercent);
      peaks.memoryBytesPeak = Math.max(peaks.memoryBytesPeak, sample.memoryBytes);
      peaks.processCountPeak = Math.max(peaks.processCountPeak, sample.processCount);
      watch.onSample(sample);
    }
  }

  function startTimer(): void {
    // Baselines from an idle period would be stale: start over.
    entries.clear();
    lastTickUptime = readUptimeTicks();
    timer = setInterval(tick, intervalMs);
    timer.unref();
  }

  function stopTimer(): void {
    clearInterval(timer);
    timer = undefined;
  }

  return {
    watch(tag, onSample) {
      const state: WatchState = {
        tag,
        onSample,
        lastWall: performance.now(),
        peaks: { cpuPercentPeak: 0, memoryBytesPeak: 0, processCountPeak: 0 },
      };
      watches.add(state);
      if (procAvailable && timer === undefined) startTimer();
      return {
        stop() {
          if (watches.delete(state) && watches.size === 0) stopTimer();
          return { ...state.peaks };
        },
      };
    },

    findRun({ tag, session, outputs = [] }) {
      if (!procAvailable) return [];
      if (performance.now() - lastScanAt > Math.max(SCAN_REUSE_MS, lastScanDuration)) scan();
      const found = new Set<number>();
      for (const [pid, entry] of entries) {
        if (entry.zombie || pid === ownPid || entry.pgrp === ownPgrp) continue;
        if (entry.tag === tag || (session !== undefined && session > 1 && entry.session === session))
          found.add(pid);
      }
      if (outputs.length > 0) {
        if (channelIndexScan !== scanCount) indexChannels();
        for (const link of outputs) for (const pid of channelIndex.get(link) ?? []) found.add(pid);
      }
      return [...found];
    },

    close() {
      stopTimer();
      watches.clear();
    },

    intervalMs,
  };
}
