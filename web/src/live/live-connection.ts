import { apiKey } from '../api/client.js';
import type { LiveServerMessage, LiveTopic } from '../api/types.js';

/**
 * One WebSocket to `/ws` shared by the whole dashboard. Components subscribe to topics through
 * {@link LiveConnection.subscribe}; the connection reconnects with backoff when it drops and
 * re-subscribes every topic, execution topics with `since` = the highest line seq delivered, so
 * a network cut never loses or repeats a line (the server replays from its store).
 *
 * The protocol is in `src/protocol/live-messages.ts`.
 */

export type ConnectionState = 'connecting' | 'open' | 'reconnecting';

type Listener = (message: LiveServerMessage) => void;

interface TopicEntry {
  listeners: Set<Listener>;
  /** Highest line seq delivered on this topic (execution topics); the resume point. */
  lastSeq: number | null;
}

const LIVE_SUBPROTOCOL = 'stepflow.v1';
const MAX_BACKOFF_MS = 5_000;

export class LiveConnection {
  private socket: WebSocket | null = null;
  private readonly topics = new Map<LiveTopic, TopicEntry>();
  private readonly stateListeners = new Set<(state: ConnectionState) => void>();
  private state: ConnectionState = 'connecting';
  private attempts = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;

  constructor(private readonly url: string = defaultUrl()) {}

  /**
   * Calls `listener` with every message of `topic` until the returned function is called.
   * `since` (execution topics): replay lines with seq > since first; 0 = the whole log.
   */
  subscribe(topic: LiveTopic, listener: Listener, since?: number): () => void {
    let entry = this.topics.get(topic);
    if (!entry) {
      entry = { listeners: new Set(), lastSeq: since ?? null };
      this.topics.set(topic, entry);
      this.sendSubscribe(topic, entry);
    }
    entry.listeners.add(listener);
    this.ensureSocket();
    return () => {
      const current = this.topics.get(topic);
      if (!current) return;
      current.listeners.delete(listener);
      if (current.listeners.size === 0) {
        this.topics.delete(topic);
        this.send({ type: 'unsubscribe', topic });
      }
    };
  }

  onState(listener: (state: ConnectionState) => void): () => void {
    this.stateListeners.add(listener);
    listener(this.state);
    return () => this.stateListeners.delete(listener);
  }

  getState(): ConnectionState {
    return this.state;
  }

  /** Drops the socket as a network cut would (tests and the "reconnect" button use it). */
  dropForTest(): void {
    this.socket?.close(4000, 'dropped by client');
  }

  close(): void {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.socket?.close(1000);
  }

  private ensureSocket(): void {
    if (this.socket || this.closed) return;
    const key = apiKey();
    const socket = new WebSocket(this.url, key ? [LIVE_SUBPROTOCOL, `bearer.${key}`] : [LIVE_SUBPROTOCOL]);
    this.socket = socket;
    socket.onopen = () => {
      this.attempts = 0;
      this.setState('open');
      for (const [topic, entry] of this.topics) this.sendSubscribe(topic, entry);
    };
    socket.onmessage = (event) => {
      if (typeof event.data !== 'string') return;
      this.dispatch(JSON.parse(event.data) as LiveServerMessage);
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (this.closed) return;
      this.setState('reconnecting');
      // Backoff with jitter, so a restarted server is not hit by every tab at once.
      const delay = Math.min(MAX_BACKOFF_MS, 250 * 2 ** this.attempts) * (0.75 + Math.random() * 0.5);
      this.attempts++;
      this.reconnectTimer = setTimeout(() => {
        this.reconnectTimer = null;
        if (this.topics.size > 0) this.ensureSocket();
      }, delay);
    };
  }

  private dispatch(message: LiveServerMessage): void {
    const topic = topicOf(message);
    if (message.type === 'resync' && topic) {
      // The server dropped the subscription because we fell behind: pick up where we were.
      const entry = this.topics.get(topic);
      if (entry) this.sendSubscribe(topic, entry);
      return;
    }
    if (!topic) return;
    const entry = this.topics.get(topic);
    if (!entry) return;
    if (message.type === 'lines') {
      const last = message.lines.at(-1);
      if (last) entry.lastSeq = Math.max(entry.lastSeq ?? 0, last.seq);
    } else if (message.type === 'subscribed' && entry.lastSeq === null && message.lastSeq !== null) {
      // Subscribed without `since`: lines after the server's lastSeq will come; resume from there.
      entry.lastSeq = message.lastSeq;
    }
    for (const listener of entry.listeners) listener(message);
  }

  private sendSubscribe(topic: LiveTopic, entry: TopicEntry): void {
    this.send(
      entry.lastSeq === null
        ? { type: 'subscribe', topic }
        : { type: 'subscribe', topic, since: entry.lastSeq },
    );
  }

  private send(message: object): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  private setState(state: ConnectionState): void {
    this.state = state;
    for (const listener of this.stateListeners) listener(state);
  }
}

function topicOf(message: LiveServerMessage): LiveTopic | null {
  switch (message.type) {
    case 'executions':
      return 'executions';
    case 'subscribed':
    case 'unsubscribed':
    case 'resync':
      return message.topic;
    case 'execution':
      return `execution:${message.execution.id}`;
    case 'lines':
    case 'steps':
    case 'annotations':
    case 'artifacts':
    case 'resources':
      return `execution:${message.executionId}`;
    default:
      return null;
  }
}

function defaultUrl(): string {
  const { protocol, host } = window.location;
  return `${protocol === 'https:' ? 'wss' : 'ws'}://${host}/ws`;
}
