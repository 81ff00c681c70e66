import { forServer, loadConfig, type StepflowConfig } from '../config.js';
import { redactDatabaseUrl } from '../core/database-url.js';
import { ERROR_CODES, StepflowError, type ErrorCode } from '../core/errors.js';
import { createStepflow } from '../stepflow.js';
import { legacyDataDirNotice } from '../legacy-data-dir.js';
import { buildServer } from './build-server.js';
import { startJobScheduler } from './start-job-scheduler.js';
import { describeRetentionReport } from '../app/retention.js';
import { keepsEverything } from '../core/retention.js';
import type { Users } from '../app/users.js';
import { unsafeBindMessage, type ServerOptions } from './server-options.js';

/**
 * `stepflow server`: wires StepFlow, builds the app, listens, and on SIGTERM/SIGINT stops in
 * reverse order: no new connections, running executions cancelled and recorded, store closed.
 */
export async function startServer(
  options: ServerOptions,
  config: StepflowConfig = loadConfig(),
): Promise<{ url: string; stop(): Promise<void> }> {
  const stepflow = await createStepflow(forServer(config), {
    spawnHelper: true,
    searchIndexer: true,
    packLogsWhenIdle: true,
  });
  // Before anything is served: a wrong key stops the start with its reason (docs/SECRETS.md).
  const secrets = await stepflow.app.secrets.prepare().catch(async (error: unknown) => {
    await stepflow.close();
    throw error;
  });
  const createdAdmin = await prepareUsers(stepflow.app.users, options).catch(async (error: unknown) => {
    await stepflow.close();
    throw error;
  });
  const app = await buildServer(stepflow, options).catch(async (error: unknown) => {
    await stepflow.close();
    throw error;
  });
  // The password itself is never logged, at any level.
  if (createdAdmin) app.log.info('created user admin (role admin) from STEPFLOW_ADMIN_PASSWORD');
  if (secrets.sealed.jobs + secrets.sealed.runs + secrets.sealed.settings > 0) {
    app.log.info(secrets.sealed, 'sealed the secrets stored in clear text by an earlier version');
  }
  let address: string;
  try {
    address = await app.listen({ host: options.host, port: options.port });
  } catch (error) {
    // Nothing ran yet, but the store is open (and recovery may have started kills): close both,
    // so the process exits with the reason instead of hanging on open handles.
    await app.close();
    await stepflow.close();
    throw listenError(error, options);
  }
  const { migrationBackup } = stepflow;
  if (migrationBackup) {
    app.log.info(
      migrationBackup,
      `schema ${migrationBackup.fromVersion} migrated to ${migrationBackup.toVersion}; backed up first to ${migrationBackup.file} (to go back: docs/OPERATIONS.md, "Rollback")`,
    );
  }
  for (const id of stepflow.recovered) {
    app.log.warn({ executionId: id }, 'marked interrupted: its process had died');
  }
  const { database, dataDir } = stepflow.config;
  app.log.info(
    `StepFlow ${address} (data: ${dataDir}${database ? `, database: ${redactDatabaseUrl(database.url)}` : ''})`,
  );
  const legacy = legacyDataDirNotice(stepflow.config);
  if (legacy !== undefined) app.log.warn(legacy);
  // Jobs fire only while a server is up; see docs/JOBS.md.
  await startJobScheduler(stepflow, app.log);
  // Retention sweeps in the background (docs/RETENTION.md); a policy that keeps everything still
  // sweeps (a job may have its own), and such a sweep reads nothing.
  stepflow.app.retention.start({
    everyMs: stepflow.config.retentionSweepMs ?? 600_000,
    onReport: (report) => {
      if (report.runsDeleted + report.logsDropped + report.artifactsDropped > 0) {
        app.log.info(report, `retention: ${describeRetentionReport(report)}`);
      }
    },
    onError: (error) => app.log.error({ err: error }, 'retention sweep failed; the next one tries again'),
  });
  if (!keepsEverything(stepflow.config.retention ?? {})) {
    app.log.info(stepflow.config.retention, 'retention policy');
  }

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await stepflow.scheduler.stop();
      await stepflow.engine.shutdown();
      await app.close();
      await stepflow.close();
    })());
  return { url: address, stop };
}

/**
 * Users before listening (docs/USERS.md): STEPFLOW_ADMIN_PASSWORD creates `admin` on a start with
 * no users (says whether it did); then a non-loopback address without a key is refused unless
 * users exist (they make the API ask for a sign-in).
 */
async function prepareUsers(users: Users, options: ServerOptions): Promise<boolean> {
  const created =
    options.adminPassword === undefined ? false : await users.bootstrapAdmin(options.adminPassword);
  // Asked now, so a store that fails later cannot make this process forget that users exist.
  const usersExist = await users.any();
  if (options.bindNeedsUsers && !usersExist) {
    throw new StepflowError(ERROR_CODES.USAGE, unsafeBindMessage(options.host));
  }
  return created;
}

/** The usual reasons `listen` fails, said in words a user can act on. */
function listenError(error: unknown, { host, port }: ServerOptions): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const where = `${host}:${port}`;
  const reasons: Record<string, [ErrorCode, string]> = {
    EADDRINUSE: [
      ERROR_CODES.CONFLICT,
      `cannot listen on ${where}: the port is already in use; stop the other program or pick another with --port (or STEPFLOW_PORT)`,
    ],
    EACCES: [
      ERROR_CODES.USAGE,
      `cannot listen on ${where}: permission denied (ports below 1024 need privileges); pick another with --port`,
    ],
    EADDRNOTAVAIL: [
      ERROR_CODES.USAGE,
      `cannot listen on ${where}: this machine has no such address; check --host (or STEPFLOW_HOST)`,
    ],
    ENOTFOUND: [
      ERROR_CODES.USAGE,
      `cannot listen on ${where}: the host name does not resolve; check --host (or STEPFLOW_HOST)`,
    ],
  };
  const reason = code === undefined ? undefined : reasons[code];
  return reason === undefined
    ? error
    : new StepflowError(reason[0], reason[1], { cause: error, details: { code } });
}
