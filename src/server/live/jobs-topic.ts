import { JOBS_TOPIC, type JobChange } from '../../protocol/live-messages.js';
import { broadcast } from './broadcast.js';
import { toFrame } from './frames.js';
import type { LiveClient } from './live-client.js';

/**
 * The `jobs` topic: a job was created, changed or deleted. Jobs change at human pace, so each
 * change goes out at once, serialized once for every subscriber; a client with no room left is
 * told to resync (refetch) like on the `executions` topic.
 */
export class JobsTopic {
  readonly subscribers = new Set<LiveClient>();

  constructor(private readonly now: () => number) {}

  subscribe(client: LiveClient): void {
    this.subscribers.add(client);
    client.sendControl({ type: 'subscribed', topic: JOBS_TOPIC, lastSeq: null });
  }

  unsubscribe(client: LiveClient): void {
    this.subscribers.delete(client);
  }

  publish(change: JobChange): void {
    if (this.subscribers.size === 0) return;
    const frame = toFrame({ type: 'jobs', changes: [change] });
    broadcast(this.subscribers, frame, JOBS_TOPIC, this.now(), (client) => this.unsubscribe(client));
  }
}
