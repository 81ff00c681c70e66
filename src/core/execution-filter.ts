import type { Execution } from './model.js';
import type { ExecutionStatus } from './statuses.js';

/**
 * Which executions a watcher wants, with the meaning of `GET /api/executions`' query: a status
 * among `status`, every `tag` present (`key=value`: that value; `key`: any value), and the job.
 * An absent part matches everything.
 */
export interface ExecutionFilter {
  status?: ExecutionStatus[];
  tag?: string[];
  jobId?: string;
}

/** Whether `execution` is one the filter wants (the same rules the store applies to a list). */
export function matchesExecutionFilter(execution: Execution, filter: ExecutionFilter): boolean {
  if (filter.status !== undefined && !filter.status.includes(execution.status)) return false;
  if (filter.jobId !== undefined && execution.jobId !== filter.jobId) return false;
  for (const tag of filter.tag ?? []) {
    // Split on the first `=` only, as the store does: a value may contain `=`.
    const eq = tag.indexOf('=');
    const key = eq === -1 ? tag : tag.slice(0, eq);
    if (!Object.hasOwn(execution.tags, key)) return false;
    if (eq !== -1 && execution.tags[key] !== tag.slice(eq + 1)) return false;
  }
  return true;
}
