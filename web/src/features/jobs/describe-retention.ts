import type { Job } from '../../api/types.js';

/** "the last 5 runs, logs 3 days" for the job page; null: the server's policy applies. */
export function describeRetention(policy: Job['retention']): string {
  if (policy === null) return "the server's policy";
  const parts = [
    policy.days !== undefined ? `runs ${policy.days} days` : '',
    policy.keepLast !== undefined ? `the last ${policy.keepLast} runs` : '',
    policy.logDays !== undefined ? `logs ${policy.logDays} days` : '',
    policy.artifactDays !== undefined ? `artifacts ${policy.artifactDays} days` : '',
    policy.failedDays !== undefined ? `failed runs at least ${policy.failedDays} days` : '',
  ].filter(Boolean);
  return parts.length === 0 ? 'its own: every run kept' : `its own: keeps ${parts.join(', ')}`;
}
