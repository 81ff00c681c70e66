import { monotonicFactory, ulid } from 'ulid';

/**
 * Returns a generator of lower-case ULIDs whose time part is the execution's createdAt, so that
 * ordering by id is ordering by creation. Ids made in one process for one millisecond are
 * monotonic; a createdAt older than the last one gets a plain ULID for its own time.
 */
export function createExecutionIdFactory(): (createdMs: number) => string {
  const monotonic = monotonicFactory();
  let lastMs = 0;
  return (createdMs) => {
    // ulid treats 0 as "now"; executions are never created at the epoch.
    const ms = Math.max(1, Math.trunc(createdMs));
    if (ms >= lastMs) {
      lastMs = ms;
      return monotonic(ms).toLowerCase();
    }
    return ulid(ms).toLowerCase();
  };
}
