import type { ExecutionEvent } from '../../core/events.js';
import type { Execution } from '../../core/model.js';
import { EXECUTIONS_TOPIC, type ExecutionChange } from '../../protocol/live-messages.js';
import { broadcast } from './broadcast.js';
import { toFrame } from './frames.js';
import type { LiveClient } from './live-client.js';

/**
 * The dashboard topic: execution-level changes of every execution, batched, serialized once and
 * sent identically to every subscriber.
 */
export class ExecutionsTopic {
  readonly subscribers = new Set<LiveClient>();
  private pending: ExecutionChange[] = [];
  /** Index in `pending` of the last `updated` change per execution, to coalesce updates. */
  private updated = new Map<string, number>();

  constructor(private readonly now: () => number) {}

  /** Returns true when a change waits for the next batch. */
  handle(event: ExecutionEvent): boolean {
    if (this.subscribers.size === 0) return false;
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

  subscribe(client: LiveClient, active: Execution[]): void {
    this.subscribers.add(client);
    client.watchingExecutions = true;
    client.sendControl({ type: 'subscribed', topic: EXECUTIONS_TOPIC, lastSeq: null });
    client.sendControl({
      type: 'executions',
      changes: active.map((execution) => ({ change: 'active', execution })),
    });
  }

  unsubscribe(client: LiveClient): void {
    this.subscribers.delete(client);
    client.watchingExecutions = false;
  }

  flush(): void {
    if (this.pending.length === 0) return;
    const frame = toFrame({ type: 'executions', changes: this.pending });
    this.pending = [];
    this.updated = new Map();
    broadcast(this.subscribers, frame, EXECUTIONS_TOPIC, this.now(), (client) => this.unsubscribe(client));
  }
}
