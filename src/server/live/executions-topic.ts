import type { ExecutionEvent } from '../../core/events.js';
import { matchesExecutionFilter, type ExecutionFilter } from '../../core/execution-filter.js';
import type { Execution } from '../../core/model.js';
import { EXECUTIONS_TOPIC, type ExecutionChange } from '../../protocol/live-messages.js';
import { broadcast, sendOrResync } from './broadcast.js';
import { toFrame } from './frames.js';
import type { LiveClient } from './live-client.js';

/** A filtered watcher: its filter, and the executions it was last told match it. */
interface FilteredWatch {
  filter: ExecutionFilter;
  shown: Set<string>;
}

/**
 * The dashboard topic: execution-level changes of every execution, batched. Unfiltered
 * subscribers share one frame per batch; a filtered one gets its own, built from the changes
 * serialized once per batch.
 */
export class ExecutionsTopic {
  readonly subscribers = new Set<LiveClient>();
  private readonly filtered = new Map<LiveClient, FilteredWatch>();
  private pending: ExecutionChange[] = [];
  /** Index in `pending` of the last `updated` change per execution, to coalesce updates. */
  private updated = new Map<string, number>();

  constructor(private readonly now: () => number) {}

  /** Returns true when a change waits for the next batch. */
  handle(event: ExecutionEvent): boolean {
    if (this.subscribers.size === 0 && this.filtered.size === 0) return false;
    switch (event.type) {
      case 'execution.queued':
        this.pending.push({ change: 'queued', execution: event.execution });
        return true;
      case 'execution.started':
        this.pending.push({ change: 'created', execution: event.execution });
        return true;
      case 'execution.finished':
        this.updated.delete(event.executionId);
        this.pending.push({ change: 'finished', execution: event.execution });
        return true;
      case 'execution.updated': {
        const index = this.updated.get(event.executionId);
        if (index !== undefined) this.pending[index] = { change: 'updated', execution: event.execution };
        else {
          this.updated.set(event.executionId, this.pending.length);
          this.pending.push({ change: 'updated', execution: event.execution });
        }
        return true;
      }
      default:
        return false;
    }
  }

  /** Subscribes (again: the new filter replaces the old one) and sends the ack and the `active` list. */
  subscribe(client: LiveClient, active: Execution[], filter?: ExecutionFilter): void {
    this.subscribers.delete(client);
    this.filtered.delete(client);
    let listed = active;
    if (filter === undefined) this.subscribers.add(client);
    else {
      listed = active.filter((execution) => matchesExecutionFilter(execution, filter));
      this.filtered.set(client, { filter, shown: new Set(listed.map((execution) => execution.id)) });
    }
    client.watchingExecutions = true;
    client.sendControl({ type: 'subscribed', topic: EXECUTIONS_TOPIC, lastSeq: null });
    client.sendControl({
      type: 'executions',
      changes: listed.map((execution) => ({ change: 'active', execution })),
    });
  }

  unsubscribe(client: LiveClient): void {
    this.subscribers.delete(client);
    this.filtered.delete(client);
    client.watchingExecutions = false;
  }

  flush(): void {
    if (this.pending.length === 0) return;
    const changes = this.pending;
    this.pending = [];
    this.updated = new Map();
    const now = this.now();
    const drop = (client: LiveClient): void => this.unsubscribe(client);
    if (this.subscribers.size > 0) {
      broadcast(this.subscribers, toFrame({ type: 'executions', changes }), EXECUTIONS_TOPIC, now, drop);
    }
    if (this.filtered.size === 0) return;
    const json = changes.map((change) => JSON.stringify(change));
    for (const [client, watch] of [...this.filtered]) {
      const parts: string[] = [];
      changes.forEach((change, index) => {
        if (this.wanted(watch, change)) parts.push(json[index] as string);
      });
      if (parts.length === 0) continue;
      const frame = Buffer.from(`{"type":"executions","changes":[${parts.join(',')}]}`);
      sendOrResync(client, frame, EXECUTIONS_TOPIC, now, drop);
    }
  }

  /**
   * Whether a filtered watcher gets the change: when the execution matches, and once more when
   * it stops matching — that change is how a client keeping a filtered list learns to drop it.
   */
  private wanted(watch: FilteredWatch, { change, execution }: ExecutionChange): boolean {
    const { id } = execution;
    const matches = matchesExecutionFilter(execution, watch.filter);
    const wasShown = watch.shown.has(id);
    // Nothing follows a finished change: forget it, so a long-lived watcher holds only what runs.
    if (matches && change !== 'finished') watch.shown.add(id);
    else watch.shown.delete(id);
    return matches || wasShown;
  }
}
