import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { DATABASE_FILE } from '../../src/store/sqlite/open-database.js';
import { ROOT, SERVER_ENV, listeningUrl, type CliResult } from './run-cli.js';

const BIN = path.join(ROOT, 'bin/stepflow.js');

/** `stepflow server` (the built CLI) with its data dir alone on a small tmpfs. */
export interface ServerOnSmallDisk {
  url: string;
  child: ChildProcess;
  result: Promise<CliResult>;
  /** How the file system was made: a plain `mount` (root), or `unshare -rm` (a user namespace). */
  method: 'mount' | 'unshare';
  /**
   * Writes a file on the small file system until it has no byte left, keeps it so, and pins the
   * database's WAL with an open read transaction so no commit can reuse old WAL space.
   */
  fill(): void;
  /** Stops keeping it full and deletes that file. */
  free(): void;
  /** Stops the server (SIGTERM, then SIGKILL), unmounts and removes the directory. */
  close(): Promise<void>;
}

/**
 * Starts the server with `STEPFLOW_STORAGE_PATH` on a tmpfs of `sizeMb` MiB. As root (or with
 * CAP_SYS_ADMIN) the tmpfs is mounted directly and unmounted by `close()`; otherwise the server runs
 * under `unshare -rm` (an unprivileged user + mount namespace where it may mount), and the test
 * reaches the mount through `/proc/<pid>/root`. When neither works this throws, naming both
 * failures: the test fails, it is never skipped.
 */
export async function startServerOnSmallDisk({
  sizeMb,
  env = {},
}: {
  sizeMb: number;
  env?: Record<string, string>;
}): Promise<ServerOnSmallDisk> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stepflow-small-disk-'));
  const tmpfsOptions = `size=${sizeMb}m`;
  const serverArgs = [BIN, 'server', '--port', '0'];
  const childEnv = {
    ...process.env,
    NO_COLOR: '1',
    ...SERVER_ENV,
    STEPFLOW_STORAGE_PATH: path.join(dir, 'data'),
    ...env,
  };

  let method: ServerOnSmallDisk['method'];
  let child: ChildProcess;
  let mountError: unknown;
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', tmpfsOptions, 'tmpfs', dir], { stdio: 'pipe' });
    method = 'mount';
    child = spawn(process.execPath, serverArgs, {
      cwd: ROOT,
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    mountError = error;
    try {
      execFileSync('unshare', ['-r', '-m', 'true'], { stdio: 'pipe' });
    } catch (unshareError) {
      fs.rmSync(dir, { recursive: true, force: true });
      throw new Error(
        'this test needs a small file system and could not make one: ' +
          `\`mount -t tmpfs\` failed (${describe(mountError)}; it needs root or CAP_SYS_ADMIN) and ` +
          `\`unshare -rm\` failed (${describe(unshareError)}; unprivileged user namespaces are off)`,
        { cause: unshareError },
      );
    }
    method = 'unshare';
    // unshare and sh exec in turn, so the server keeps the pid we are given.
    child = spawn(
      'unshare',
      [
        '-r',
        '-m',
        'sh',
        '-c',
        'mount -t tmpfs -o "$1" tmpfs "$2" && shift 2 && exec "$@"',
        'sh',
        tmpfsOptions,
        dir,
        process.execPath,
        ...serverArgs,
      ],
      { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] },
    );
  }

  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const result = new Promise<CliResult>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  // The test's view of the mount: the directory itself, or the same path inside the namespace.
  const seen = method === 'mount' ? dir : `/proc/${child.pid}/root${dir}`;
  const filler = path.join(seen, 'filler');

  let keepFull: NodeJS.Timeout | undefined;
  let pin: Database.Database | undefined;
  const topUp = (): void => {
    const fd = fs.openSync(filler, 'a');
    try {
      for (const size of [1024 * 1024, 4096, 1]) {
        const block = Buffer.alloc(size, 0x78);
        for (;;) {
          try {
            fs.writeSync(fd, block);
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
            throw error;
          }
        }
      }
    } finally {
      fs.closeSync(fd);
    }
  };
  const close = async (): Promise<void> => {
    clearInterval(keepFull);
    pin?.close();
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await result;
      clearTimeout(killer);
    }
    if (method === 'mount') {
      // The server's scripts may hold the mount a moment longer.
      for (let attempt = 0; ; attempt++) {
        try {
          execFileSync('umount', [dir], { stdio: 'pipe' });
          break;
        } catch (error) {
          if (attempt >= 50) throw error;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };

  let url: string;
  try {
    url = await listeningUrl(child, 20_000);
  } catch (error) {
    await close();
    throw new Error(`${describe(error)}\nstderr:\n${stderr}`, { cause: error });
  }
  return {
    url,
    child,
    result,
    method,
    fill() {
      // A reader holding a snapshot (as a backup would) pins the WAL: SQLite cannot restart it and
      // reuse its space, so every commit needs new bytes. Without it a commit may still succeed on
      // a full disk by overwriting old WAL frames, and whether the run's end fits becomes luck.
      pin ??= new Database(path.join(seen, 'data', DATABASE_FILE));
      pin.exec('BEGIN');
      pin.prepare('SELECT count(*) FROM executions').get();
      topUp();
      // Keep it full, as another writer on the disk would: space the server frees is taken again.
      keepFull ??= setInterval(topUp, 20);
    },
    free() {
      clearInterval(keepFull);
      keepFull = undefined;
      fs.rmSync(filler, { force: true });
      pin?.close();
      pin = undefined;
    },
    close,
  };
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const stderr = (error as { stderr?: Buffer | string }).stderr;
    return stderr && String(stderr).trim() !== '' ? String(stderr).trim() : error.message;
  }
  return String(error);
}
