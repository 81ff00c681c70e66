import type { WebSocket } from 'ws';
import type { LiveServerMessage } from '../../protocol/live-messages.js';
import type { ExecutionSubscription } from './subscription.js';
import { toFrame, type Frame } from './frames.js';

/** Limits that keep a slow client from costing the server memory. */
export interface ClientLimits {
  /** Bytes a client may have waiting (socket buffer + lines held for it) before a resync. */
  maxClientBytes: number;
  /** More resyncs than this within a minute and the client is disconnected. */
  maxResyncsPerMinute: number;
}

/** Counters shared by all clients of a hub (for stats and metrics). */
export interface LiveCounters {
  framesSent: number;
  bytesSent: number;
  resyncs: number;
  dropped: number;
}

const MINUTE_MS = 60_000;

/**
 * One connected socket and what it watches. Every byte queued for it is accounted: what ws still
 * buffers (`bufferedAmount`) plus the lines held for its subscriptions that are catching up.
 */
export class LiveClient {
  /** Execution subscriptions by topic. */
  readonly subscriptions = new Map<string, ExecutionSubscription>();
  /** Subscribed to the `executions` topic. */
  watchingExecutions = false;
  /** Answered the last ping (or said anything since). */
  alive = true;
  /** Bytes held by this client's catching-up subscriptions (kept up to date by them). */
  heldBytes = 0;
  /**
   * Messages waiting for a credential check (subscribes) and those after them: handled in order.
   * `waiting` counts them; with none waiting, a message that needs no check is handled at once.
   */
  inbox: Promise<void> = Promise.resolve();
  waiting = 0;
  private resyncTimes: number[] = [];
  private dropped = false;

  constructor(
    readonly ws: WebSocket,
    private readonly limits: ClientLimits,
    private readonly counters: LiveCounters,
    /** Whether the credentials the socket was opened with still work (read from the store). */
    readonly stillAllowed: () => Promise<boolean> = async () => true,
  ) {}

  get open(): boolean {
    return !this.dropped && this.ws.readyState === this.ws.OPEN;
  }

  /** Bytes waiting for this client in the server's memory. */
  pendingBytes(): number {
    return this.ws.bufferedAmount + this.heldBytes;
  }

  /** Whether `bytes` more may be queued. A socket with nothing buffered always takes one frame. */
  hasRoomFor(bytes: number): boolean {
    const buffered = this.ws.bufferedAmount;
    return buffered === 0 || buffered + this.heldBytes + bytes <= this.limits.maxClientBytes;
  }

  /** Queues a frame; callers that may be dropped check {@link hasRoomFor} first. */
  sendFrame(frame: Frame): void {
    if (!this.open) return;
    this.ws.send(frame, { binary: false });
    this.counters.framesSent++;
    this.counters.bytesSent += frame.length;
  }

  /**
   * Small protocol messages (acks, errors, resyncs) always go out, unless the client already has
   * twice its allowance queued: then it is not reading at all, and it is disconnected.
   */
  sendControl(message: LiveServerMessage): void {
    if (!this.open) return;
    if (this.ws.bufferedAmount > 2 * this.limits.maxClientBytes) {
      this.drop();
      return;
    }
    this.sendFrame(toFrame(message));
  }

  /** Records a resync; returns false (and disconnects) when the client keeps falling behind. */
  noteResync(now: number): boolean {
    this.counters.resyncs++;
    this.resyncTimes = this.resyncTimes.filter((t) => now - t < MINUTE_MS);
    this.resyncTimes.push(now);
    if (this.resyncTimes.length <= this.limits.maxResyncsPerMinute) return true;
    this.drop();
    return false;
  }

  /** Cuts the connection without a closing handshake: the peer is not reading anyway. */
  drop(): void {
    if (this.dropped) return;
    this.dropped = true;
    this.counters.dropped++;
    this.ws.terminate();
  }
}
