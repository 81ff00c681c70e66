import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { usePostgres } from '../../../test/helpers/postgres.js';
import type { LogLine } from '../../core/model.js';
import { openSqliteStore } from '../sqlite/sqlite-store.js';
import { describeStoreContract } from '../store-contract.js';
import type { ExecutionStore } from '../store.js';
import { MIGRATIONS } from './migrations.js';
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

describe('PostgresStore', () => {
  const opened: ExecutionStore[] = [];
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
  });
  const open = async (url: string): Promise<ExecutionStore> => {
    const { store } = await openPostgresStores({ url, poolSize: 2 });
    opened.push(store);
    return store;
  };
  const query = async <T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query<T>(sql)).rows;
    } finally {
      await client.end();
    }
  };

  it('gives back the same log lines as SQLite: NUL bytes, invalid UTF-16, controls and any script', async () => {
    const texts = [
      'nul\0inside',
      '\0',
      'lone surrogate \ud800 here',
      'low \udc00 first',
      'replacement \ufffd char',
      'emoji 😀 and 数据 and é',
      '\x1b[31mred\x1b[0m\r',
      '',
      'tab\tand\x7fdel',
    ];
    const lines: LogLine[] = texts.map((text, i) => ({
      seq: i + 1,
      ts: 1_700_000_000_000 + i,
      stream: i % 2 === 0 ? 'stdout' : 'stderr',
      stepId: null,
      text,
      flags: 0,
    }));
    const read = async (store: ExecutionStore): Promise<LogLine[]> => {
      const e = await store.createExecution({ spec: { command: 'x', cwd: '/' }, status: 'running' });
      await store.write({ lines: [{ executionId: e.id, lines }] });
      return (await store.readLog(e.id)).lines;
    };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stepflow-pg-vs-sqlite-'));
    const sqlite = await openSqliteStore({ dataDir: dir });
    try {
      const fromSqlite = await read(sqlite);
      const fromPostgres = await read(await open(await postgres().createDatabase()));
      expect(fromPostgres).toEqual(fromSqlite);
      // NUL is kept; a lone surrogate (no UTF-8 exists for it) becomes U+FFFD per byte in both.
      expect(fromPostgres[0]?.text).toBe('nul\0inside');
      expect(fromPostgres[2]?.text).toBe('lone surrogate \ufffd\ufffd\ufffd here');
    } finally {
      await sqlite.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('migrates a new database once when several processes open it at the same time', async () => {
    const url = await postgres().createDatabase();
    // Each open is its own pool and connection, as separate processes would be.
    const stores = await Promise.all(Array.from({ length: 4 }, () => open(url)));
    expect(stores).toHaveLength(4);
    const versions = await query<{ version: number }>(
      url,
      'SELECT version FROM stepflow_migrations ORDER BY version',
    );
    expect(versions.map((row) => row.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    const store = stores[0] as ExecutionStore;
    const e = await store.createExecution({ spec: { command: 'x', cwd: '/' } });
    expect((await (stores[3] as ExecutionStore).getExecution(e.id))?.id).toBe(e.id);
  });

  it('refuses a database migrated by a newer StepFlow', async () => {
    const url = await postgres().createDatabase();
    await (await openPostgresStores({ url })).store.close();
    await query(url, `INSERT INTO stepflow_migrations (version) VALUES (${MIGRATIONS.length + 1})`);
    await expect(openPostgresStores({ url })).rejects.toMatchObject({
      code: 'store_unavailable',
      message: expect.stringContaining('newer'),
    });
  });

  it('moves its change marker only when a write commits, not on reads', async () => {
    const url = await postgres().createDatabase();
    const store = await open(url);
    const other = await open(url);
    const e = await store.createExecution({ spec: { command: 'x', cwd: '/' }, status: 'running' });
    const marker = await store.changeMarker();
    await other.listExecutions();
    await other.getExecution(e.id);
    expect(await store.changeMarker()).toBe(marker);
    await other.write({ executions: [{ ...e, status: 'succeeded', endedAt: e.createdAt }] });
    expect(await store.changeMarker()).not.toBe(marker);
  });

  it('rejects calls after close with store_unavailable, and closes twice without error', async () => {
    const { store } = await openPostgresStores({ url: await postgres().createDatabase() });
    await store.close();
    await store.close();
    await expect(store.listExecutions()).rejects.toMatchObject({ code: 'store_unavailable' });
    await expect(store.write({})).rejects.toMatchObject({ code: 'store_unavailable' });
  });
});

describe('PostgresStore and NUL outside log text', () => {
  it('keeps a batch whose step name, annotation or summary holds a NUL, storing it as U+FFFD', async () => {
    const { store } = await openPostgresStores({ url: await postgres().createDatabase(), poolSize: 2 });
    try {
      const e = await store.createExecution({ spec: { command: 'x', cwd: '/' }, status: 'running' });
      const at = '2024-01-01T00:00:00.000Z';
      await store.write({
        steps: [
          {
            executionId: e.id,
            step: {
              id: 1,
              parentId: null,
              name: 'build\0x',
              status: 'running',
              startedAt: at,
              endedAt: null,
              durationMs: null,
              meta: {},
              implicit: false,
              hasSummary: false,
              source: 'stepflow',
              error: null,
              estimatedDurationSeconds: null,
              firstSeq: 1,
            },
          },
        ],
        annotations: [
          {
            executionId: e.id,
            annotation: {
              id: 1,
              stepId: 1,
              seq: 1,
              level: 'error',
              message: 'bad\0byte',
              title: null,
              file: null,
              line: null,
              col: null,
              endLine: null,
              endCol: null,
            },
          },
        ],
        summaries: [{ executionId: e.id, stepId: null, summary: '# a\0b' }],
        lines: [
          {
            executionId: e.id,
            lines: [{ seq: 1, ts: 1, stream: 'stdout', stepId: 1, text: 'the\0line', flags: 0 }],
          },
        ],
      });
      const detail = await store.getExecution(e.id);
      expect(detail?.steps[0]?.name).toBe('build\ufffdx');
      expect(detail?.annotations[0]?.message).toBe('bad\ufffdbyte');
      expect((await store.getSummary(e.id))?.summary).toBe('# a\ufffdb');
      expect((await store.readLog(e.id)).lines[0]?.text).toBe('the\0line');
    } finally {
      await store.close();
    }
  });
});
