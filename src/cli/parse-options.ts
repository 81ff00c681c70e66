import { ERROR_CODES, StepflowError } from '../core/errors.js';
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
