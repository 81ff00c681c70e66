import type { ChildProcess } from 'node:child_process';
import { afterAll } from 'vitest';
import { listeningUrl, SERVER_ENV, startCli, waitForOutput } from './run-cli.js';

export interface ReplicaOptions {
  /** More environment for the server (lease seconds, limits…). */
  env?: NodeJS.ProcessEnv;
  /** Its data dir (artifacts live there): a new temp dir by default; replicas may share one. */
  dataDir?: string;
}

export interface WorkerOptions {
  name: string;
  labels?: string;
  slots?: number;
  env?: NodeJS.ProcessEnv;
}

/**
 * The processes of the scaled mode as deployed (docs/WORKERS.md): `stepflow server --no-runner`
 * replicas on one PostgreSQL database and `stepflow worker` processes, real and started from the
 * built CLI, each in a temp data dir (and spool dir) of its own. All are SIGKILLed after the file,
 * workers first (each by its own pid).
 */
export function useScaledCluster(tempDir: () => string) {
  const children: ChildProcess[] = [];
  afterAll(async () => {
    await Promise.all(
      children
        .splice(0)
        .reverse()
        .map((child) => stopProcess(child, 'SIGKILL')),
    );
  });
  return {
    /** Starts a replica on `databaseUrl`; resolves with it and its base URL once it listens. */
    async startReplica(databaseUrl: string, options: ReplicaOptions = {}) {
      const { child } = startCli(['server', '--no-runner', '--port', '0', '--database-url', databaseUrl], {
        dataDir: options.dataDir ?? tempDir(),
        env: { ...SERVER_ENV, ...options.env },
      });
      children.push(child);
      return { child, url: await listeningUrl(child, 30_000) };
    },
    /** Starts a worker on `server`; resolves once it claims runs. */
    async startWorker(server: string, { name, labels, slots, env }: WorkerOptions): Promise<ChildProcess> {
      const args = ['worker', '--server', server, '--name', name];
      if (labels !== undefined) args.push('--labels', labels);
      if (slots !== undefined) args.push('--slots', String(slots));
      const { child } = startCli(args, {
        dataDir: tempDir(),
        env: { STEPFLOW_SPOOL_DIR: tempDir(), ...env },
      });
      children.push(child);
      await waitForOutput(child, (stdout) => stdout.includes('claiming runs'), 30_000);
      return child;
    },
  };
}

/** Sends `signal` and resolves once the process has exited (at once if it already had). */
export function stopProcess(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('close', () => resolve());
    child.kill(signal);
  });
}
