import { ERROR_CODES, StepflowError } from '../core/errors.js';
import { LIMIT_RANGES, LOG_LIMIT_POLICIES, parseSize, type RunLimits } from '../core/run-limits.js';
import { MAX_TIMEOUT_SECONDS } from '../core/input-limits.js';
import { EXECUTION_STATUSES, isExecutionStatus, type ExecutionStatus } from '../core/statuses.js';

const usage = (message: string) => new StepflowError(ERROR_CODES.USAGE, message);

/** `--tag k=v` (or a bare `--tag k`, stored with an empty value). */
export function parseTags(values: string[]): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const raw of values) {
    const eq = raw.indexOf('=');
    const key = (eq < 0 ? raw : raw.slice(0, eq)).trim();
    if (!key) throw usage(`--tag expects key=value, got ${JSON.stringify(raw)}`);
    tags[key] = eq < 0 ? '' : raw.slice(eq + 1);
  }
  return tags;
}

export function parseTimeoutSeconds(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  // The API's range: a local run with a longer timeout could not be reported to a server.
  if (!Number.isFinite(value) || value <= 0 || value > MAX_TIMEOUT_SECONDS) {
    throw usage(
      `--timeout expects a positive number of seconds up to ${MAX_TIMEOUT_SECONDS} (30 days), got ${JSON.stringify(raw)}`,
    );
  }
  return value;
}

const DURATION_UNITS: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 };

/** `--late-after 90`, `90s`, `10m`, `1.5h`, `2d`: seconds, in the API's range. */
export function parseLateAfterSeconds(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$/.exec(raw);
  const value = match ? Number(match[1]) * DURATION_UNITS[match[2]!]! : Number.NaN;
  if (!(value > 0 && value <= MAX_TIMEOUT_SECONDS)) {
    throw usage(
      `--late-after expects a positive duration up to 30 days (90, 90s, 10m, 1.5h, 2d), got ${JSON.stringify(raw)}`,
    );
  }
  return value;
}

/** The `stepflow run` (and `jobs add`) limit options, as given on the command line. */
export interface LimitOptions {
  memoryLimit?: string;
  cpuLimit?: string;
  maxLogBytes?: string;
  maxLines?: string;
  logLimitPolicy?: string;
}

/**
 * `--memory-limit 512M` (MiB without a unit), `--cpu-limit 50` (percent of one core),
 * `--max-log-bytes 100M` (bytes without a unit), `--max-lines N`, `--log-limit-policy truncate|fail`;
 * undefined when none is given. Out of the API's range is a usage error naming the option.
 */
export function parseRunLimits(options: LimitOptions): RunLimits | undefined {
  const limits: RunLimits = {};
  const inRange = (
    flag: string,
    key: keyof typeof LIMIT_RANGES,
    value: number | null,
    raw: string,
    unit: string,
  ) => {
    const { min, max } = LIMIT_RANGES[key];
    const whole = key !== 'cpuLimitPercent';
    if (
      value === null ||
      !Number.isFinite(value) ||
      value < min ||
      value > max ||
      (whole && !Number.isInteger(value))
    ) {
      throw usage(`${flag} expects ${unit} from ${min} to ${max}, got ${JSON.stringify(raw)}`);
    }
    return value;
  };
  if (options.memoryLimit !== undefined) {
    const bytes = parseSize(options.memoryLimit, 1024 * 1024);
    const mb = bytes === null ? null : bytes / (1024 * 1024);
    limits.memoryLimitMb = inRange(
      '--memory-limit',
      'memoryLimitMb',
      mb,
      options.memoryLimit,
      'a size in whole MiB (512M, 2G)',
    );
  }
  if (options.cpuLimit !== undefined) {
    const raw = options.cpuLimit.trim().replace(/%$/, '');
    limits.cpuLimitPercent = inRange(
      '--cpu-limit',
      'cpuLimitPercent',
      raw === '' ? null : Number(raw),
      options.cpuLimit,
      'a percent of one core',
    );
  }
  if (options.maxLogBytes !== undefined) {
    limits.maxLogBytes = inRange(
      '--max-log-bytes',
      'maxLogBytes',
      parseSize(options.maxLogBytes),
      options.maxLogBytes,
      'a size in bytes (100M, 1G)',
    );
  }
  if (options.maxLines !== undefined) {
    const raw = options.maxLines.trim();
    limits.maxLines = inRange(
      '--max-lines',
      'maxLines',
      /^\d+$/.test(raw) ? Number(raw) : null,
      options.maxLines,
      'a whole number of lines',
    );
  }
  if (options.logLimitPolicy !== undefined) {
    const policy = options.logLimitPolicy;
    if (!(LOG_LIMIT_POLICIES as readonly string[]).includes(policy)) {
      throw usage(
        `--log-limit-policy expects one of ${LOG_LIMIT_POLICIES.join(', ')}, got ${JSON.stringify(policy)}`,
      );
    }
    limits.logLimitPolicy = policy as RunLimits['logLimitPolicy'];
  }
  return Object.keys(limits).length === 0 ? undefined : limits;
}

export function parseLimit(raw: string | undefined, max = 500): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw usage(`--limit expects a whole number from 1 to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** `--status failed,timed_out` */
export function parseStatuses(raw: string | undefined): ExecutionStatus[] | undefined {
  if (raw === undefined) return undefined;
  const statuses = raw.split(',').map((s) => s.trim());
  for (const status of statuses) {
    if (!isExecutionStatus(status)) {
      throw usage(
        `--status: unknown status ${JSON.stringify(status)} (one of ${EXECUTION_STATUSES.join(', ')})`,
      );
    }
  }
  return statuses as ExecutionStatus[];
}
