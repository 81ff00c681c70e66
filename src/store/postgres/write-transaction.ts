import type pg from 'pg';
import { ERROR_CODES, StepflowError } from '../../core/errors.js';
import type { StoreChange } from '../store.js';
import { notifySql, type PgChangeNotices } from './change-notices.js';
import { toStoreError } from './pg-errors.js';

/** Runs `work` on one pooled client; a connection that failed under it is not given back. */
export async function onClient<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    return await work(client);
  } catch (error) {
    // A connection that failed under us (server restart) must not go back to the pool.
    if (error instanceof Error && !(error instanceof StepflowError)) {
      const mapped = toStoreError(error, '');
      if (mapped instanceof StepflowError && mapped.code === ERROR_CODES.STORE_UNAVAILABLE) broken = error;
    }
    throw error;
  } finally {
    client.release(broken);
  }
}

/**
 * One write transaction of executions on one client. After its commit the change marker
 * (`stepflow_changes`, read by `ExecutionStore.changeMarker`) moves: a sequence is not
 * transactional, so bumped inside the transaction a poller could see it move, read, and miss rows
 * not yet visible; bumped after, a poller that sees it move sees the rows.
 */
export async function writeTransaction<T>(
  pool: pg.Pool,
  work: (db: pg.PoolClient) => Promise<T>,
  notice?: ChangeNotice<T>,
): Promise<T> {
  return onClient(pool, async (client) => {
    await client.query('BEGIN');
    try {
      const value = await work(client);
      await client.query('COMMIT');
      // The notice rides on the marker's bump (no round trip of its own), and is delivered after it.
      const due = notice ? notice.notices.due(notice.changes(value)) : [];
      await client.query(
        `SELECT ${["nextval('stepflow_changes')", ...(due.length > 0 ? [notifySql(due)] : [])].join(', ')}`,
      );
      return value;
    } catch (error) {
      // The original error is what the caller needs; a failed rollback ends with the connection.
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  });
}

/** What a write transaction tells other processes after its commit (see change-notices.ts). */
export interface ChangeNotice<T> {
  notices: PgChangeNotices;
  /** The kinds of change the committed work made; none: no notice. */
  changes(value: T): Iterable<StoreChange>;
}
