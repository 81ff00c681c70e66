import fs from 'node:fs';
import { databaseConfig, loadConfig } from '../../config.js';
import { dataDirDatabase } from '../../stepflow.js';
import { loadServerOptions } from '../../server/server-options.js';
import { startServer } from '../../server/start-server.js';

/** `stepflow server`: runs until SIGTERM/SIGINT, then shuts down gracefully. */
export async function serverCommand(flags: {
  host?: string;
  port?: string;
  unsafeNoAuth?: boolean;
  databaseUrl?: string;
  /** false with `--no-runner`: runs wait for workers (docs/WORKERS.md). */
  runner?: boolean;
}): Promise<number> {
  const { runner, databaseUrl, ...listen } = flags;
  const config = loadConfig();
  // A non-loopback address without a key needs users (docs/USERS.md): they may exist only in a
  // database that exists, or be created now from STEPFLOW_ADMIN_PASSWORD. Else refuse before
  // creating anything.
  const usersMayAuthenticate =
    Boolean(databaseUrl || config.database || process.env.STEPFLOW_ADMIN_PASSWORD) ||
    fs.existsSync(dataDirDatabase(config.dataDir));
  const options = loadServerOptions(process.env, { ...listen, usersMayAuthenticate });
  const server = await startServer(options, {
    ...(databaseUrl ? { ...config, database: databaseConfig(databaseUrl) } : config),
    runsLocally: runner !== false,
  });
  // The handlers go in before the "listening" line: whoever reads it may signal at once, and a
  // SIGTERM before them would kill the process without the shutdown.
  const stopped = new Promise<void>((resolve, reject) => {
    const onSignal = (signal: NodeJS.Signals) => {
      // From here a second signal gets Node's default (exit at once); the next start marks what
      // was still running as interrupted and stops its processes.
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.stderr.write(
        `stepflow: ${signal}: shutting down (running executions are cancelled and recorded; send it again to quit at once)…\n`,
      );
      server.stop().then(resolve, reject);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  if (runner === false)
    process.stdout.write('StepFlow runs nothing itself (--no-runner): runs wait for workers\n');
  process.stdout.write(`StepFlow is listening on ${server.url}  (API docs: ${server.url}/docs)\n`);
  await stopped;
  return 0;
}
