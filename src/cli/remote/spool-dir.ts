import { mkdir, mkdtemp } from 'node:fs/promises';
import { homedir } from 'node:os';
import * as path from 'node:path';

/**
 * A fresh directory for one remote run's local data (its SQLite store and artifact copies), which
 * is what survives an outage. Under `$STEPFLOW_SPOOL_DIR`, else `$XDG_STATE_HOME/stepflow/spool`,
 * else `~/.local/state/stepflow/spool`: state that outlives a reboot, unlike the temp dir.
 */
export async function createSpoolDir(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const parent =
    env.STEPFLOW_SPOOL_DIR ||
    path.join(env.XDG_STATE_HOME || path.join(homedir(), '.local', 'state'), 'stepflow', 'spool');
  await mkdir(parent, { recursive: true, mode: 0o700 });
  return mkdtemp(path.join(path.resolve(parent), 'run-'));
}
