import pg from 'pg';
import type { SchedulerLease } from '../scheduler-lease.js';
import { toStoreError } from './pg-errors.js';

/** Any constant, not the migrations' one: the key of the scheduler's advisory lock ("SFSC"). */
const SCHEDULER_LOCK = 0x53465343;

/**
 * Seconds of silence after which the server probes the lease's connection, between probes, and
 * probes before it drops it: a leader whose host vanished (power cut, partition) frees the lease
 * in about 25 s instead of the operating system's default of hours.
 */
const KEEPALIVE = { idle: 10, interval: 5, count: 3 };

/**
 * The scheduler's lease on PostgreSQL: a session advisory lock (`pg_try_advisory_lock`) on a
 * connection of its own, outside the pool — a session lock belongs to its connection, and a pooled
 * one goes back to others. It is held as long as that connection lives: PostgreSQL frees it when
 * the session ends (release, process exit, a dead peer found by keepalive), and another process's
 * next `tryAcquire` takes it. Every process opens one connection for it once it asks.
 */
export class PgSchedulerLease implements SchedulerLease {
  readonly shared = true;
  private client: pg.Client | undefined;
  private held = false;
  private closed = false;

  constructor(private readonly config: pg.ClientConfig) {}

  async tryAcquire(): Promise<boolean> {
    if (this.closed) return false;
    try {
      const client = await this.connect();
      if (this.held) {
        // The lock lives as long as the session: a connection that still answers still holds it.
        await client.query('SELECT 1');
        return true;
      }
      const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [
        SCHEDULER_LOCK,
      ]);
      this.held = rows[0]?.ok === true;
      return this.held;
    } catch (error) {
      // The session is gone or unusable, and its lock with it: hold nothing, reconnect next time.
      this.drop();
      throw toStoreError(error, 'cannot check the scheduler lease');
    }
  }

  /** Ends the lease's connection, which frees the lock whether it was held or not. */
  async release(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.held = false;
    await client?.end().catch(() => undefined); // an already broken connection holds nothing
  }

  /** `release`, and no lease is taken after it. */
  async close(): Promise<void> {
    this.closed = true;
    await this.release();
  }

  private async connect(): Promise<pg.Client> {
    if (this.client !== undefined) return this.client;
    const client = new pg.Client(this.config);
    // A connection dropped while idle: node-postgres reports it here (without a listener it would
    // crash the process); the lock went with it, which the next tryAcquire finds out.
    client.on('error', () => {
      if (this.client === client) this.drop();
    });
    this.client = client;
    try {
      await client.connect();
      await client.query(
        `SET tcp_keepalives_idle = ${KEEPALIVE.idle}; SET tcp_keepalives_interval = ${KEEPALIVE.interval};
          SET tcp_keepalives_count = ${KEEPALIVE.count}`,
      );
    } catch (error) {
      this.drop();
      throw error;
    }
    return client;
  }

  private drop(): void {
    const client = this.client;
    this.client = undefined;
    this.held = false;
    client?.end().catch(() => undefined); // it is broken already; ending it frees the socket
  }
}
