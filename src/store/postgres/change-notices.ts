import pg from 'pg';
import { STORE_CHANGES, type StoreChange } from '../store.js';

/** The channel every StepFlow process of a database LISTENs on and NOTIFYs (payload: a StoreChange). */
const CHANNEL = 'stepflow_changes';

/**
 * Per kind, at most one NOTIFY per this many ms per process: the first commit of a quiet period
 * notifies at once (with its change-marker bump), later ones in the window share one sent at its end.
 */
const WINDOW_MS = 25;

/** Waits before reconnecting a dropped LISTEN connection: doubling from the first to the last. */
const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 10_000;

/**
 * The PostgreSQL backend's change notices (`ExecutionStore.onChange`): LISTEN on one connection of
 * its own per process, opened at the first subscriber, and NOTIFY after write commits, coalesced
 * per kind (never per line, nor per commit under load). A notice only wakes pollers early; they
 * keep polling the change marker, which stays the truth. While the LISTEN connection is down
 * (a PostgreSQL restart, a network cut) nothing is heard and the pollers' intervals set the
 * latency; it reconnects with backoff, and on reconnecting every subscriber is woken once for
 * what it may have missed.
 */
export class PgChangeNotices {
  private readonly listeners = new Set<(change: StoreChange) => void>();
  private client: pg.Client | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectMs = RECONNECT_MIN_MS;
  private closed = false;
  private readonly lastSent = new Map<StoreChange, number>();
  private readonly trailing = new Map<StoreChange, NodeJS.Timeout>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly config: pg.ClientConfig,
    private readonly now: () => number = Date.now,
  ) {}

  subscribe(listener: (change: StoreChange) => void): () => void {
    this.listeners.add(listener);
    if (this.client === undefined && this.reconnectTimer === undefined) void this.listen(false);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /**
   * After a commit that changed `changes`: the ones to notify now, in the statement that bumps the
   * change marker (see {@link notifySql}); the others are sent at the end of their window.
   */
  due(changes: Iterable<StoreChange>): StoreChange[] {
    const now: StoreChange[] = [];
    for (const change of new Set(changes)) {
      if (this.closed || this.trailing.has(change)) continue;
      const since = this.now() - (this.lastSent.get(change) ?? -Infinity);
      if (since >= WINDOW_MS) {
        this.lastSent.set(change, this.now());
        now.push(change);
        continue;
      }
      const timer = setTimeout(() => {
        this.trailing.delete(change);
        this.lastSent.set(change, this.now());
        this.pool.query(`SELECT ${notifySql([change])}`).catch((error: unknown) => {
          // A missed notice costs latency only: pollers see the change at their next tick.
          if (!this.closed)
            console.error(`stepflow: cannot send a change notice: ${(error as Error).message}`);
        });
      }, WINDOW_MS - since);
      timer.unref();
      this.trailing.set(change, timer);
    }
    return now;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    for (const timer of this.trailing.values()) clearTimeout(timer);
    this.trailing.clear();
    this.listeners.clear();
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined); // a broken connection has nothing left to free
  }

  private async listen(reconnecting: boolean): Promise<void> {
    this.reconnectTimer = undefined;
    if (this.closed || this.listeners.size === 0) return;
    const client = new pg.Client({ ...this.config, keepAlive: true });
    this.client = client;
    client.on('notification', (message) => {
      if (message.channel !== CHANNEL) return;
      const change = STORE_CHANGES.find((kind) => kind === message.payload);
      if (change !== undefined) this.emit([change]);
    });
    // Dropped while idle (a restart, a failover): node-postgres reports it here; without a listener
    // it would crash the process.
    client.on('error', () => this.drop(client));
    client.on('end', () => this.drop(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (error) {
      if (!this.closed && !reconnecting) {
        console.error(
          `stepflow: cannot listen for change notices (polling meanwhile): ${(error as Error).message}`,
        );
      }
      this.drop(client);
      return;
    }
    if (this.client !== client) return;
    this.reconnectMs = RECONNECT_MIN_MS;
    // Commits made while no connection listened were not heard: everyone looks once.
    if (reconnecting) this.emit(STORE_CHANGES);
  }

  private drop(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    client.end().catch(() => undefined); // it is broken already; ending it frees the socket
    if (this.closed) return;
    this.reconnectTimer = setTimeout(() => void this.listen(true), this.reconnectMs);
    this.reconnectTimer.unref();
    this.reconnectMs = Math.min(this.reconnectMs * 2, RECONNECT_MAX_MS);
  }

  private emit(changes: readonly StoreChange[]): void {
    for (const listener of [...this.listeners]) {
      for (const change of changes) {
        try {
          listener(change);
        } catch (error) {
          // One broken subscriber must not keep the notice from the others.
          console.error('stepflow: a change listener failed:', error);
        }
      }
    }
  }
}

/** `pg_notify(…)` calls for a SELECT list; the kinds are our constants, never user input. */
export function notifySql(changes: readonly StoreChange[]): string {
  return changes.map((change) => `pg_notify('${CHANNEL}', '${change}')`).join(', ');
}
