import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { startPostgresCluster, type PostgresCluster } from '../../scripts/lib/postgres-cluster.js';
import { openPostgresStores } from '../../src/store/postgres/open-postgres-stores.js';
import type { StoreBackend } from '../../src/store/store-backend.js';

/**
 * A real PostgreSQL server of the test file's own (scripts/lib/postgres-cluster.js: initdb in a
 * temp dir, a free loopback port, as the `postgres` user under root). Durability is off (fsync,
 * synchronous_commit): a test cluster never outlives its run.
 */
export interface PostgresServer {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`. */
  readonly url: string;
  /** Creates an empty database with a unique name and returns its URL. */
  createDatabase(): Promise<string>;
  stop(): void;
}

async function startPostgres(): Promise<PostgresServer> {
  const cluster: PostgresCluster = await startPostgresCluster();
  let databases = 0;
  return {
    url: cluster.url,
    async createDatabase() {
      const name = `t${process.pid}_${++databases}`;
      const client = new pg.Client({ connectionString: cluster.url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return `postgres://postgres@127.0.0.1:${cluster.port}/${name}`;
    },
    stop: () => cluster.stop(),
  };
}

/** One server for the test file: started before its first test, stopped after its last. */
export function usePostgres(): () => PostgresServer {
  let server: PostgresServer | undefined;
  beforeAll(async () => {
    server = await startPostgres();
  }, 60_000);
  afterAll(() => server?.stop());
  return () => {
    if (server === undefined) throw new Error('usePostgres: the server is not started yet');
    return server;
  };
}

/** StepFlow's stores on a database of their own, for a store contract run on PostgreSQL. */
export interface PostgresBackends {
  /** The stores opened first. */
  first: StoreBackend;
  /** The same database opened again, as another process would. */
  openAnother(): Promise<StoreBackend>;
  /** Closes every opening, then drops the database. */
  cleanup(): Promise<void>;
}

/** Creates a database on `server` and opens StepFlow's stores on it (pools of 2). */
export async function openPostgresBackends(server: PostgresServer): Promise<PostgresBackends> {
  const url = await server.createDatabase();
  const opened: StoreBackend[] = [await openPostgresStores({ url, poolSize: 2 })];
  return {
    first: opened[0]!,
    async openAnother() {
      const stores = await openPostgresStores({ url, poolSize: 2 });
      opened.push(stores);
      return stores;
    },
    async cleanup() {
      for (const stores of opened) await stores.store.close();
      const admin = new pg.Client({ connectionString: server.url });
      await admin.connect();
      try {
        await admin.query(`DROP DATABASE ${new URL(url).pathname.slice(1)}`);
      } finally {
        await admin.end();
      }
    },
  };
}
