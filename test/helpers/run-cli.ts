import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/stepflow.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts the built CLI (`bin/stepflow.js`) as a real subprocess with its own data dir. */
export function startCli(
  args: string[],
  options: { dataDir: string; cwd?: string; env?: Record<string, string> },
): { child: ChildProcess; result: Promise<CliResult> } {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? ROOT,
    // STEPFLOW_SERVER of the developer's shell would send ls/show/logs/cancel to a server.
    env: {
      ...process.env,
      NO_COLOR: '1',
      STEPFLOW_SERVER: '',
      STEPFLOW_STORAGE_PATH: options.dataDir,
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const result = new Promise<CliResult>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, result };
}

export function runCli(
  args: string[],
  options: { dataDir: string; cwd?: string; env?: Record<string, string> },
): Promise<CliResult> {
  return startCli(args, options).result;
}

/** Resolves once `predicate(stdout)` holds, or rejects after `timeoutMs`. */
export async function waitForOutput(
  child: ChildProcess,
  predicate: (stdout: string) => boolean,
  timeoutMs = 10_000,
): Promise<void> {
  let seen = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`timed out waiting; stdout so far:\n${seen}`)),
      timeoutMs,
    );
    child.stdout!.on('data', (d: Buffer | string) => {
      seen += d.toString();
      if (predicate(seen)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

/** For `stepflow server` subprocesses: the inherited environment must not turn on auth or move it. */
export const SERVER_ENV = {
  STEPFLOW_LOG_LEVEL: 'warn',
  STEPFLOW_API_KEY: '',
  STEPFLOW_API_KEYS: '',
  STEPFLOW_AUTH_ENABLED: '',
  STEPFLOW_HOST: '',
};

/** Resolves with the server's URL once `stepflow server` prints it. */
export function listeningUrl(child: ChildProcess, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(
      () => reject(new Error(`no "listening" line; stdout so far:\n${seen}`)),
      timeoutMs,
    );
    child.stdout!.on('data', (chunk: Buffer | string) => {
      seen += chunk.toString();
      const match = /StepFlow is listening on (http:\/\/\S+)/.exec(seen);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
  });
}
