// A throwaway PostgreSQL server: `initdb` in a temp dir, started with `pg_ctl` on a free loopback
// port, stopped and removed by `stop()`. PostgreSQL refuses to run as root, so as root it runs as
// the `postgres` user (Debian's package creates it); otherwise as the current user. Used by the
// tests (test/helpers/postgres.ts) and the scaled-mode benchmark.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { findPostgresBin } from './postgres-bin.js';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

function asServerUser(bin, program, args) {
  const command = path.join(bin, program);
  const [file, argv] = isRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
  execFileSync(file, argv, { stdio: 'pipe' });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * @param {{ durable?: boolean, settings?: string[] }} [options] durable: keep fsync and
 *   synchronous commits (a benchmark's realistic figures); off by default (tests). settings: more
 *   `-c name=value` server settings.
 * @returns {Promise<{ url: string, port: number, dir: string, stop(): void }>}
 */
export async function startPostgresCluster({ durable = false, settings = [] } = {}) {
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
  const options = [
    '-c listen_addresses=127.0.0.1',
    `-c unix_socket_directories=${dir}`,
    '-c max_connections=200',
    ...(durable ? [] : ['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off']),
    ...settings.map((setting) => `-c ${setting}`),
  ];
  let port;
  // Another process may take the free port between the probe and the start: try a few.
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    try {
      asServerUser(bin, 'pg_ctl', [
        'start',
        '-w',
        '-D',
        data,
        '-l',
        path.join(dir, 'server.log'),
        '-o',
        [`-p ${port}`, ...options].join(' '),
      ]);
      break;
    } catch (error) {
      if (attempt >= 4) {
        const log = fs.readFileSync(path.join(dir, 'server.log'), 'utf8');
        throw new Error(`PostgreSQL did not start: ${String(error)}\n${log}`, { cause: error });
      }
    }
  }
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    process.off('exit', stop);
    try {
      asServerUser(bin, 'pg_ctl', ['stop', '-m', 'immediate', '-D', data]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
  // A process that dies without calling stop() must not leave a server running.
  process.on('exit', stop);
  return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, port, dir, stop };
}
