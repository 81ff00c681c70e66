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
/** The server closed the socket because its credentials stopped working (src/protocol/live-messages.ts). */
const CLOSE_UNAUTHORIZED = 4401;
const MAX_BACKOFF_MS = 5_000;
/**
 * A cut network often closes nothing: no close event for minutes. We ping this often and give up
 * on a socket that has said nothing for {@link SILENCE_LIMIT_MS} (the server also pings every 15 s).
 */
const PING_EVERY_MS = 10_000;
const SILENCE_LIMIT_MS = 25_000;

export class LiveConnection {
  private socket: WebSocket | null = null;
  private readonly topics = new Map<LiveTopic, TopicEntry>();
  private readonly stateListeners = new Set<(state: ConnectionState) => void>();
  private readonly unauthorizedListeners = new Set<() => void>();
  private state: ConnectionState = 'connecting';
  private attempts = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private watchdog: ReturnType<typeof setInterval> | null = null;
  private lastHeard = 0;
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

  /** Calls `listener` when the server ends the connection because the sign-in ended (4401). */
  onUnauthorized(listener: () => void): () => void {
    this.unauthorizedListeners.add(listener);
    return () => this.unauthorizedListeners.delete(listener);
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
    this.stopWatchdog();
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
      this.startWatchdog(socket);
      for (const [topic, entry] of this.topics) this.sendSubscribe(topic, entry);
    };
    socket.onmessage = (event) => {
      if (this.socket !== socket) return;
      this.lastHeard = Date.now();
      if (typeof event.data !== 'string') return;
      this.dispatch(JSON.parse(event.data) as LiveServerMessage);
    };
    socket.onclose = (event) => {
      if (event.code === CLOSE_UNAUTHORIZED)
        for (const listener of [...this.unauthorizedListeners]) listener();
      this.lost(socket);
    };
  }

  /** The socket is gone (closed, or silent too long): reconnect with backoff and resume every topic. */
  private lost(socket: WebSocket): void {
    if (this.socket !== socket) return;
    this.socket = null;
    this.stopWatchdog();
    if (this.closed) return;
    this.setState('reconnecting');
    // Backoff with jitter, so a restarted server is not hit by every tab at once.
    const delay = Math.min(MAX_BACKOFF_MS, 250 * 2 ** this.attempts) * (0.75 + Math.random() * 0.5);
    this.attempts++;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      // Even with no topic: otherwise the state would say "reconnecting" until the next subscribe.
      this.ensureSocket();
    }, delay);
  }

  private startWatchdog(socket: WebSocket): void {
    this.stopWatchdog();
    this.lastHeard = Date.now();
    this.watchdog = setInterval(() => {
      if (Date.now() - this.lastHeard > SILENCE_LIMIT_MS) {
        // Forget it first: its close event may come much later, or never.
        this.lost(socket);
        socket.close();
        return;
      }
      this.send({ type: 'ping' });
    }, PING_EVERY_MS);
  }

  private stopWatchdog(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
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
    let delivered = message;
    if (message.type === 'lines') {
      // Exactly once even when two subscriptions of the topic overlap on the wire (unsubscribed and
      // subscribed again before the first one's lines stopped arriving): drop what was delivered.
      const after = entry.lastSeq ?? 0;
      const lines = message.lines.filter((line) => line.seq > after);
      const last = lines.at(-1);
      if (!last) return;
      entry.lastSeq = last.seq;
      if (lines.length !== message.lines.length) delivered = { ...message, lines };
    } else if (message.type === 'subscribed' && entry.lastSeq === null && message.lastSeq !== null) {
      // Subscribed without `since`: lines after the server's lastSeq will come; resume from there.
      entry.lastSeq = message.lastSeq;
    }
    for (const listener of entry.listeners) listener(delivered);
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
    case 'jobs':
      return 'jobs';
    case 'host':
      return 'host';
    case 'subscribed':
    case 'unsubscribed':
    case 'resync':
      return message.topic;
    case 'error':
      // An error about a topic (e.g. an unknown execution) goes to that topic's listeners.
      return (message.topic as LiveTopic | undefined) ?? null;
    case 'execution':
      return `execution:${message.execution.id}`;
    case 'lines':
    case 'steps':
    case 'annotations':
    case 'artifacts':
    case 'resources':
    case 'job': // what the job scheduler did about this execution (late, retried)
      return `execution:${message.executionId}`;
    case 'pipeline-run':
      return `pipeline:${message.run.id}`;
    case 'pipeline':
      return `pipeline:${message.pipelineRunId}`;
    default:
      return null;
  }
}

function defaultUrl(): string {
  const { protocol, host } = window.location;
  return `${protocol === 'https:' ? 'wss' : 'ws'}://${host}/ws`;
}
