import { isTerminalExecutionStatus } from '../../core/statuses.js';
import type { StoreChange, WriteBatch } from '../store.js';

/** What a committed batch tells other processes (change-notices.ts): one notice per kind, not per row. */
export function batchChanges(batch: WriteBatch): StoreChange[] {
  const changes = new Set<StoreChange>();
  for (const execution of batch.executions ?? []) {
    if (isTerminalExecutionStatus(execution.status)) changes.add('ended');
    else if (execution.status === 'queued') changes.add('queued');
    else changes.add('log');
  }
  const more =
    (batch.lines?.length ?? 0) +
    (batch.steps?.length ?? 0) +
    (batch.artifacts?.length ?? 0) +
    (batch.annotations?.length ?? 0) +
    (batch.samples?.length ?? 0) +
    (batch.summaries?.length ?? 0);
  if (more > 0) changes.add('log');
  // A heartbeat alone (`ownerSeen`) changes nothing anyone watches.
  return [...changes];
}
