import type { HostMonitor, HostUpdate } from '../../app/host-monitor.js';
import { HOST_TOPIC } from '../../protocol/live-messages.js';
import { broadcast } from './broadcast.js';
import { toFrame } from './frames.js';
import type { LiveClient } from './live-client.js';

/**
 * The `host` topic: every new host sample, serialized once for every subscriber. The first
 * subscriber starts the server's sampling (`HostMonitor.watch`) and the last one to go stops it:
 * nobody watching costs nothing.
 */
export class HostTopic {
  readonly subscribers = new Set<LiveClient>();
  private unwatch: (() => void) | undefined;

  constructor(
    private readonly monitor: Pick<HostMonitor, 'watch'> | undefined,
    private readonly now: () => number,
  ) {}

  subscribe(client: LiveClient): void {
    this.subscribers.add(client);
    client.sendControl({ type: 'subscribed', topic: HOST_TOPIC, lastSeq: null });
    this.unwatch ??= this.monitor?.watch((update) => this.publish(update));
  }

  unsubscribe(client: LiveClient): void {
    if (!this.subscribers.delete(client) || this.subscribers.size > 0) return;
    this.unwatch?.();
    this.unwatch = undefined;
  }

  close(): void {
    this.subscribers.clear();
    this.unwatch?.();
    this.unwatch = undefined;
  }

  private publish(update: HostUpdate): void {
    if (this.subscribers.size === 0) return;
    const frame = toFrame({ type: 'host', ...update });
    broadcast(this.subscribers, frame, HOST_TOPIC, this.now(), (client) => this.unsubscribe(client));
  }
}
