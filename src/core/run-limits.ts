import { validationError } from './errors.js';

/**
 * Resource limits of a run (docs/LIMITS.md): memory and CPU of its process tree, and how much of
 * its log is stored. Every field is optional; an absent one is no limit.
 */

/** What happens when a log limit is passed: keep the head and the tail, or stop the run. */
export const LOG_LIMIT_POLICIES = ['truncate', 'fail'] as const;
export type LogLimitPolicy = (typeof LOG_LIMIT_POLICIES)[number];

export interface RunLimits {
  /** The process tree's resident memory, in MiB. */
  memoryLimitMb?: number | undefined;
  /** CPU of the process tree, in percent of one core (200 = two cores). */
  cpuLimitPercent?: number | undefined;
  /** Bytes of log text (UTF-8, one newline per line) stored. */
  maxLogBytes?: number | undefined;
  /** Log lines stored. */
  maxLines?: number | undefined;
  /** Default `truncate`. */
  logLimitPolicy?: LogLimitPolicy | undefined;
}

/** The ranges the API, the CLI and the job validator accept. */
export const LIMIT_RANGES = {
  memoryLimitMb: { min: 1, max: 16 * 1024 * 1024 },
  cpuLimitPercent: { min: 1, max: 100_000 },
  maxLogBytes: { min: 1024, max: Number.MAX_SAFE_INTEGER },
  maxLines: { min: 1, max: Number.MAX_SAFE_INTEGER },
} as const;

export const LIMIT_KINDS = ['memory', 'cpu', 'logBytes', 'lines'] as const;
export type LimitKind = (typeof LIMIT_KINDS)[number];

/**
 * How a limit was enforced: `sampled` (the process tree's usage read from /proc every sampling
 * interval: best-effort, a spike between two samples is not seen), `counted` (log limits: every
 * line counted, exact).
 */
export const LIMIT_ENFORCEMENTS = ['sampled', 'counted'] as const;
type LimitEnforcement = (typeof LIMIT_ENFORCEMENTS)[number];

/** What StepFlow did: killed the tree, failed the run, cut the stored log, or only said so. */
export const LIMIT_ACTIONS = ['killed', 'failed', 'truncated', 'warned'] as const;
type LimitAction = (typeof LIMIT_ACTIONS)[number];

/** A limit that triggered during a run, recorded on the execution (`Execution.limitHits`). */
export interface LimitHit {
  kind: LimitKind;
  /** Bytes for memory and logBytes, percent for cpu, lines for lines. */
  limit: number;
  /** In the unit of `limit`: the sample over it (memory, cpu), or everything printed (log limits). */
  observed: number;
  enforcement: LimitEnforcement;
  action: LimitAction;
  /** ISO time it triggered. */
  at: string;
  /** Log limits: what the stored log left out (exact); null for memory and cpu. */
  dropped: { lines: number; bytes: number } | null;
  /** One line for people, e.g. "killed: memory limit 512 MB exceeded (peak 530 MB)". */
  message: string;
}

/** The limits as given, checked: a `validation_failed` error names the first field out of range. */
export function checkRunLimits(limits: RunLimits, field = 'limits'): RunLimits {
  for (const [key, range] of Object.entries(LIMIT_RANGES) as [
    keyof typeof LIMIT_RANGES,
    { min: number; max: number },
  ][]) {
    const value = limits[key];
    if (value === undefined) continue;
    const whole = key !== 'cpuLimitPercent';
    if (
      typeof value !== 'number' ||
      !Number.isFinite(value) ||
      (whole && !Number.isInteger(value)) ||
      value < range.min ||
      value > range.max
    ) {
      throw validationError(
        `${field}.${key} must be ${whole ? 'a whole number' : 'a number'} from ${range.min} to ${range.max}, got ${JSON.stringify(value)}`,
        { field: `${field}.${key}` },
      );
    }
  }
  const policy = limits.logLimitPolicy;
  if (policy !== undefined && !(LOG_LIMIT_POLICIES as readonly string[]).includes(policy)) {
    throw validationError(
      `${field}.logLimitPolicy must be one of ${LOG_LIMIT_POLICIES.join(', ')}, got ${JSON.stringify(policy)}`,
      { field: `${field}.logLimitPolicy` },
    );
  }
  return limits;
}

/** The limits a run gets: its own, else the defaults (the server's `STEPFLOW_MAX_LOG_BYTES`…). */
export function effectiveLimits(own: RunLimits | undefined, defaults: RunLimits): RunLimits | null {
  const merged: RunLimits = {};
  for (const key of [
    'memoryLimitMb',
    'cpuLimitPercent',
    'maxLogBytes',
    'maxLines',
    'logLimitPolicy',
  ] as const) {
    const value = own?.[key] ?? defaults[key];
    if (value !== undefined) Object.assign(merged, { [key]: value });
  }
  return Object.keys(merged).length === 0 ? null : merged;
}

const UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/**
 * A size as people write it: `512M`, `1.5G`, `100k`, `2048` (binary units: K = 1024), in bytes.
 * `bareUnit` is the unit of a number without a suffix. Null when it is not a size.
 */
export function parseSize(text: string, bareUnit = 1): number | null {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(text);
  if (match === null) return null;
  const unit = (match[2] ?? '').toUpperCase();
  const bytes = Number(match[1]) * (unit === '' ? bareUnit : (UNITS[unit] as number));
  return Number.isFinite(bytes) ? Math.round(bytes) : null;
}

/** Bytes for people: `512 MB`, `1.5 GB`, `900 B` (binary units, as the limits are given). */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const rounded = value >= 100 ? Math.round(value) : Math.round(value * 10) / 10;
  return `${rounded} ${units[unit]}`;
}
