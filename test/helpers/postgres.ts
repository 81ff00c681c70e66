import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { findPostgresBin } from '../../scripts/lib/postgres-bin.js';

/**
 * A real PostgreSQL server of the tests' own: `initdb` in a temp dir, started with `pg_ctl` on a
 * free loopback port, stopped and removed at the end. PostgreSQL refuses to run as root, so as
 * root it runs as the `postgres` user (Debian's package creates it); otherwise as the current user.
 * Durability is off (fsync, synchronous_commit): a test cluster never outlives its run.
 */
export interface PostgresServer {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`. */
  readonly url: string;
  /** Creates an empty database with a unique name and returns its URL. */
  createDatabase(): Promise<string>;
  stop(): void;
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

function asServerUser(bin: string, program: string, args: string[]): void {
  const command = path.join(bin, program);
  const [file, argv] = isRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
  execFileSync(file, argv, { stdio: 'pipe' });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function startPostgres(): Promise<PostgresServer> {
  const bin = findPostgresBin();
  if (bin === undefined)
    throw new Error('PostgreSQL is not installed: run `node scripts/ensure-postgres.js`');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stepflow-pg-'));
  if (isRoot) execFileSync('chown', ['postgres:postgres', dir]);
  const data = path.join(dir, 'data');
  asServerUser(bin, 'initdb', [
    '-D',
    data,
    '-A',
    'trust',
    '-U',
    'postgres',
    '-E',
    'UTF8',
    '--no-sync',
    '--locale=C',
  ]);
  let port = 0;
  // Another process may take the free port between the probe and the start: try a few.
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    const options = [
      `-p ${port}`,
      '-c listen_addresses=127.0.0.1',
      `-c unix_socket_directories=${dir}`,
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
      '-c max_connections=200',
    ].join(' ');
    try {
      asServerUser(bin, 'pg_ctl', [
        'start',
        '-w',
        '-D',
        data,
        '-l',
        path.join(dir, 'server.log'),
        '-o',
        options,
      ]);
      break;
    } catch (error) {
      if (attempt >= 4) {
        const log = fs.readFileSync(path.join(dir, 'server.log'), 'utf8');
        throw new Error(`PostgreSQL did not start: ${String(error)}\n${log}`, { cause: error });
      }
    }
  }
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let stopped = false;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    process.off('exit', stop);
    try {
      asServerUser(bin, 'pg_ctl', ['stop', '-m', 'immediate', '-D', data]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
  // A test process that dies without its afterAll must not leave a server running.
  process.on('exit', stop);
  let databases = 0;
  return {
    url,
    async createDatabase() {
      const name = `t${process.pid}_${++databases}`;
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    stop,
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
