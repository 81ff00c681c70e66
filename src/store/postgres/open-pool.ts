import pg from 'pg';
import { databaseAddress } from '../../core/database-url.js';
import { ERROR_CODES, StepflowError } from '../../core/errors.js';
import { runMigrations } from './migrations.js';
import { toStoreError } from './pg-errors.js';

/** Connections per process unless told otherwise: a server's reads, its writer and its pollers. */
export const DEFAULT_POOL_SIZE = 10;

const INT8_OID = 20;
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * Type parsers of StepFlow's pools: bigint columns (epoch ms, sizes, seqs) come back as numbers,
 * as SQLite gives them; every value we store stays far below 2^53. The rest are node-postgres'.
 */
const TYPES = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8_OID && format !== 'binary'
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/**
 * Opens a pool on `url`, checks that the server answers, and brings the schema up to date. An
 * unreachable server is a `store_unavailable` naming host and port, never the password.
 */
export async function openPool(
  url: string,
  { max = DEFAULT_POOL_SIZE }: { max?: number } = {},
): Promise<pg.Pool> {
  if (!Number.isInteger(max) || max < 1) {
    throw new StepflowError(
      ERROR_CODES.VALIDATION,
      `the pool size must be a positive integer, got ${String(max)}`,
    );
  }
  const pool = new pg.Pool({
    connectionString: url,
    max,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    types: TYPES,
  });
  // An idle connection dropped by the server (a restart, a failover) is removed from the pool and
  // the next query opens another; without a listener node-postgres would crash the process.
  pool.on('error', (error) => {
    console.error(`stepflow: a PostgreSQL connection to ${databaseAddress(url)} was lost: ${error.message}`);
  });
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    await pool.end().catch(() => undefined); // the connect error below is the one worth reporting
    const reason = error instanceof Error ? error.message : String(error);
    throw new StepflowError(
      ERROR_CODES.STORE_UNAVAILABLE,
      `cannot reach PostgreSQL at ${databaseAddress(url)}: ${reason}`,
      { cause: error, details: { address: databaseAddress(url) } },
    );
  }
  try {
    await runMigrations(pool);
  } catch (error) {
    await pool.end().catch(() => undefined); // the migration error below is the one worth reporting
    throw toStoreError(error, `cannot migrate the PostgreSQL database at ${databaseAddress(url)}`);
  }
  return pool;
}
