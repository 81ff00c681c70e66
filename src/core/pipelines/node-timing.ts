import type { PipelineRun } from './pipeline-run.js';

/**
 * Durations from past runs of the same pipeline: each node's median (the ETA) and p95 (the "slower
 * than usual" warning), and the thresholds of the performance warnings.
 */

/** Defaults of the performance warnings, in seconds (the monitoring guide's 5 s and 30 s). */
export const DEFAULT_WARN_AFTER_SECONDS = 5;
export const DEFAULT_CRITICAL_AFTER_SECONDS = 30;

export interface NodeHistory {
  medianMs: number;
  p95Ms: number;
  /** How many past runs it was computed from. */
  samples: number;
}

/** The value at quantile `q` (0–1) of sorted numbers, nearest-rank. */
function quantile(sorted: readonly number[], q: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] ?? 0;
}

/** Per node: median and p95 of the durations of its succeeded last attempts in `runs`. */
export function nodeHistory(runs: readonly PipelineRun[]): Map<string, NodeHistory> {
  const durations = new Map<string, number[]>();
  for (const run of runs) {
    for (const node of run.nodes) {
      const last = node.attempts.at(-1);
      if (node.status !== 'succeeded' || !last?.startedAt || !last.endedAt) continue;
      const ms = Date.parse(last.endedAt) - Date.parse(last.startedAt);
      if (!Number.isFinite(ms) || ms < 0) continue;
      let list = durations.get(node.name);
      if (list === undefined) durations.set(node.name, (list = []));
      list.push(ms);
    }
  }
  const history = new Map<string, NodeHistory>();
  for (const [name, list] of durations) {
    const sorted = [...list].sort((a, b) => a - b);
    history.set(name, {
      medianMs: quantile(sorted, 0.5),
      p95Ms: quantile(sorted, 0.95),
      samples: sorted.length,
    });
  }
  return history;
}

/**
 * Milliseconds left, from the nodes' medians: the longest chain of unfinished nodes (a running
 * node counts its median less what it has run). Null when a node left has no history.
 */
export function estimateRemainingMs(
  run: Pick<PipelineRun, 'definition' | 'nodes'>,
  history: ReadonlyMap<string, NodeHistory>,
  nowMs: number,
): number | null {
  const states = new Map(run.nodes.map((node) => [node.name, node]));
  const memo = new Map<string, number | null>();
  const finish = (name: string): number | null => {
    if (memo.has(name)) return memo.get(name)!;
    memo.set(name, 0);
    const node = run.definition.nodes.find((candidate) => candidate.name === name);
    const state = states.get(name);
    let own: number | null = 0;
    if (state && !['succeeded', 'failed', 'skipped', 'cancelled'].includes(state.status)) {
      const median = history.get(name)?.medianMs;
      if (median === undefined) own = null;
      else {
        const started = state.status === 'running' && state.startedAt ? Date.parse(state.startedAt) : nowMs;
        own = Math.max(0, median - (nowMs - started));
      }
    }
    let before = 0;
    for (const need of node?.needs ?? []) {
      const value = finish(need);
      if (value === null) {
        memo.set(name, null);
        return null;
      }
      before = Math.max(before, value);
    }
    const total = own === null ? null : before + own;
    memo.set(name, total);
    return total;
  };
  let longest = 0;
  for (const node of run.definition.nodes) {
    const value = finish(node.name);
    if (value === null) return null;
    longest = Math.max(longest, value);
  }
  return longest;
}

export type NodeWarningKind = 'warning' | 'critical' | 'slower_than_p95';

/**
 * The warnings a running node has earned after `elapsedMs`, in the order they pass: `warning`
 * and `critical` at the thresholds, `slower_than_p95` past its p95 of past runs (when known).
 */
export function nodeWarningsDue(
  elapsedMs: number,
  thresholds: { warnAfterSeconds: number; criticalAfterSeconds: number },
  p95Ms: number | undefined,
): NodeWarningKind[] {
  const due: { kind: NodeWarningKind; atMs: number }[] = [
    { kind: 'warning', atMs: thresholds.warnAfterSeconds * 1000 },
    { kind: 'critical', atMs: thresholds.criticalAfterSeconds * 1000 },
  ];
  if (p95Ms !== undefined) due.push({ kind: 'slower_than_p95', atMs: p95Ms });
  return due
    .filter((warning) => elapsedMs >= warning.atMs)
    .sort((a, b) => a.atMs - b.atMs)
    .map((warning) => warning.kind);
}

/** When the next of the warnings not yet given is due (ms after the node started), or undefined. */
export function nextWarningAtMs(
  given: ReadonlySet<NodeWarningKind>,
  thresholds: { warnAfterSeconds: number; criticalAfterSeconds: number },
  p95Ms: number | undefined,
): number | undefined {
  const candidates: [NodeWarningKind, number | undefined][] = [
    ['warning', thresholds.warnAfterSeconds * 1000],
    ['critical', thresholds.criticalAfterSeconds * 1000],
    ['slower_than_p95', p95Ms],
  ];
  const times = candidates.filter(([kind, at]) => at !== undefined && !given.has(kind)).map(([, at]) => at!);
  return times.length === 0 ? undefined : Math.min(...times);
}
