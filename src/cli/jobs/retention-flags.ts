import { ERROR_CODES, StepflowError } from '../../core/errors.js';
import type { RetentionPolicy } from '../../core/retention.js';

/** `jobs add` / `jobs edit` flags of a job's own retention policy (docs/RETENTION.md). */
export interface RetentionFlags {
  retentionDays?: string;
  retentionKeepLast?: string;
  retentionLogDays?: string;
  retentionArtifactDays?: string;
  retentionFailedDays?: string;
  /** An own policy without limits: the job's runs are kept whatever the global policy says. */
  retentionKeepAll?: boolean;
  /** `jobs edit` only: drop the job's own policy, the global one applies again. */
  retentionGlobal?: boolean;
}

const LIMIT_FLAGS: [keyof RetentionPolicy, keyof RetentionFlags, string][] = [
  ['days', 'retentionDays', '--retention-days'],
  ['keepLast', 'retentionKeepLast', '--retention-keep-last'],
  ['logDays', 'retentionLogDays', '--retention-log-days'],
  ['artifactDays', 'retentionArtifactDays', '--retention-artifact-days'],
  ['failedDays', 'retentionFailedDays', '--retention-failed-days'],
];

/**
 * The `retention` field of a job body from the flags: undefined when none is given, null for
 * `--retention-global`, else the whole policy (the limits given; it replaces the job's, it is not
 * merged). The server checks the ranges and names a bad limit (`body.retention.days`).
 */
export function retentionFromFlags(flags: RetentionFlags): RetentionPolicy | null | undefined {
  const limits = LIMIT_FLAGS.filter(([, key]) => flags[key] !== undefined);
  const modes = [flags.retentionKeepAll, flags.retentionGlobal, limits.length > 0].filter(Boolean);
  if (modes.length > 1) {
    throw new StepflowError(
      ERROR_CODES.USAGE,
      '--retention-keep-all, --retention-global and the --retention-<limit> flags exclude each other',
    );
  }
  if (flags.retentionGlobal) return null;
  if (flags.retentionKeepAll) return {};
  if (limits.length === 0) return undefined;
  const policy: RetentionPolicy = {};
  for (const [limit, key, flag] of limits) {
    const text = String(flags[key]);
    const value = Number(text);
    if (text.trim() === '' || !Number.isFinite(value)) {
      throw new StepflowError(ERROR_CODES.USAGE, `${flag} expects a number, got ${JSON.stringify(text)}`);
    }
    policy[limit] = value;
  }
  return policy;
}

/** "keep the last 2 runs, logs 3 days" for `jobs show`; null: the global policy. */
export function describeRetention(policy: RetentionPolicy | null): string {
  if (policy === null) return 'the global policy';
  const parts = [
    policy.days !== undefined ? `runs ${policy.days} days` : '',
    policy.keepLast !== undefined ? `the last ${policy.keepLast} runs` : '',
    policy.logDays !== undefined ? `logs ${policy.logDays} days` : '',
    policy.artifactDays !== undefined ? `artifacts ${policy.artifactDays} days` : '',
    policy.failedDays !== undefined ? `failed runs at least ${policy.failedDays} days` : '',
  ].filter(Boolean);
  return parts.length === 0 ? 'its own: keep every run' : `its own: keep ${parts.join(', ')}`;
}
