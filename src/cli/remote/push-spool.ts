import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import * as path from 'node:path';
import { loadConfig } from '../../config.js';
import { ERROR_CODES, StepflowError } from '../../core/errors.js';
import { isTerminalExecutionStatus } from '../../core/statuses.js';
import { createStepflow, dataDirDatabase } from '../../stepflow.js';
import { startRemoteReporter } from './remote-reporter.js';
import {
  EXIT_NOT_DELIVERED,
  deliveryTarget,
  say,
  waitForDelivery,
  type RemoteServerOptions,
} from './remote-run.js';

const MAX_RUNS_PER_SPOOL = 500;

/**
 * `stepflow push <spool> --server URL`: sends a spool that `stepflow run --server` kept (the server
 * was down for longer than --server-wait) and deletes it once the server has everything. Opening
 * the spool runs the usual recovery: a run whose CLI died is sent as `interrupted`.
 */
export async function pushSpoolCommand(
  spoolArg: string,
  options: RemoteServerOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const spoolDir = path.resolve(spoolArg);
  const database = dataDirDatabase(spoolDir);
  if (!existsSync(database)) {
    throw new StepflowError(
      ERROR_CODES.USAGE,
      `${spoolDir} is not a spool: it has no ${path.basename(database)}`,
    );
  }
  const { serverUrl, waitMs, client } = deliveryTarget(options, env);

  // The spool is a local SQLite file even where STEPFLOW_DATABASE_URL names a shared database.
  const app = await createStepflow({ ...loadConfig(env), dataDir: spoolDir, database: undefined });
  const undelivered: string[] = [];
  let runs = 0;
  try {
    const { items } = await app.app.executions.reads.listExecutions({
      limit: MAX_RUNS_PER_SPOOL,
      order: 'asc',
    });
    const live = items.find((execution) => !isTerminalExecutionStatus(execution.status));
    if (live) {
      const owner = live.owner ? ` (pid ${live.owner.pid})` : '';
      throw new StepflowError(
        ERROR_CODES.CONFLICT,
        `${live.id} in ${spoolDir} is still running in its stepflow process${owner}, which reports it itself`,
      );
    }
    for (const execution of items) {
      runs++;
      const reporter = startRemoteReporter({
        store: app.app.executions.reads,
        executionId: execution.id,
        client,
        serverUrl,
        spoolDir,
        say,
      });
      const outcome = await waitForDelivery(reporter, waitMs);
      reporter.stop('push finished');
      if (!outcome.delivered) undelivered.push(`${execution.id}: ${outcome.reason}`);
    }
  } finally {
    await app.close();
  }
  if (undelivered.length > 0) {
    say(`stepflow: not all of ${spoolDir} reached ${serverUrl}; it is kept:\n  ${undelivered.join('\n  ')}`);
    return EXIT_NOT_DELIVERED;
  }
  await rm(spoolDir, { recursive: true, force: true });
  say(`stepflow: pushed ${runs} run${runs === 1 ? '' : 's'} to ${serverUrl}; removed ${spoolDir}`);
  return 0;
}
