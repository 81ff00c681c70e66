import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { usePostgres } from '../../../test/helpers/postgres.js';
import { describeStoreContract } from '../store-contract.js';
import type { ExecutionStore } from '../store.js';
import { openPostgresStores } from './open-postgres-stores.js';

const postgres = usePostgres();
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/**
 * A full disk for the contract's `fill()`: a small tmpfs mounted as root (the server runs as the
 * `postgres` user in this mount namespace, so a user namespace of ours would be invisible to it)
 * holding a tablespace. `fill()` moves the test database's tables and indexes into it and fills
 * the file system, so relation files cannot grow (SQLSTATE 53100, as on a real full disk); the
 * returned function deletes the filler. Where mounting is not allowed, `fill()` fails saying so.
 */
let small: { dir: string; mounted: boolean } | undefined;
const TABLESPACE = 'stepflow_small';

beforeAll(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stepflow-pg-small-'));
  let mounted = false;
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=48m', 'tmpfs', dir], { stdio: 'pipe' });
    mounted = true;
    fs.mkdirSync(path.join(dir, 'ts'));
    if (isRoot) execFileSync('chown', ['postgres:postgres', path.join(dir, 'ts')]);
    const client = new pg.Client({ connectionString: postgres().url });
    await client.connect();
    try {
      await client.query(`CREATE TABLESPACE ${TABLESPACE} LOCATION '${path.join(dir, 'ts')}'`);
    } finally {
      await client.end();
    }
  } catch (error) {
    // Left for fill() to report: only the full-disk test needs it.
    console.error(`no small tablespace: ${String(error)}`);
  }
  small = { dir, mounted };
}, 60_000);

afterAll(() => {
  // The cluster (and with it the tablespace) is gone by now or goes with its temp dir.
  if (small?.mounted) execFileSync('umount', ['-l', small.dir], { stdio: 'pipe' });
  if (small) fs.rmSync(small.dir, { recursive: true, force: true });
});

describeStoreContract('postgres', async () => {
  const url = await postgres().createDatabase();
  const stores: ExecutionStore[] = [];
  const open = async (): Promise<ExecutionStore> => {
    const { store } = await openPostgresStores({ url, poolSize: 4 });
    stores.push(store);
    return store;
  };
  const store = await open();
  return {
    store,
    openAnother: open,
    async fill() {
      if (!small?.mounted) throw new Error('fill: a tmpfs could not be mounted (needs root)');
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`ALTER TABLE ALL IN TABLESPACE pg_default SET TABLESPACE ${TABLESPACE}`);
        await client.query(`ALTER INDEX ALL IN TABLESPACE pg_default SET TABLESPACE ${TABLESPACE}`);
      } finally {
        await client.end();
      }
      const filler = path.join(small.dir, 'filler');
      const block = Buffer.alloc(1 << 20);
      const fd = fs.openSync(filler, 'w');
      try {
        for (;;) fs.writeSync(fd, block);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      } finally {
        fs.closeSync(fd);
      }
      // The last partial blocks: fill to the byte.
      const fd2 = fs.openSync(filler, 'a');
      try {
        for (;;) fs.writeSync(fd2, block, 0, 512);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      } finally {
        fs.closeSync(fd2);
      }
      return async () => fs.rmSync(filler, { force: true });
    },
    async cleanup() {
      for (const s of stores) await s.close();
      const admin = new pg.Client({ connectionString: postgres().url });
      await admin.connect();
      try {
        await admin.query(`DROP DATABASE ${new URL(url).pathname.slice(1)}`);
      } finally {
        await admin.end();
      }
    },
  };
});
