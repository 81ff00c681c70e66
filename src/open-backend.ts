import path from 'node:path';
import type { StepflowConfig } from './config.js';
import type { MigrationBackup } from './app/backup/backup-before-migrate.js';
import { isOwnerAlive } from './runner/process-owner.js';
import type { ProcessMonitor } from './runner/process-monitor.js';
import { terminateTree } from './runner/terminate-tree.js';
import { sqliteSnapshots } from './store/sqlite/sqlite-snapshots.js';
import type { ReadStores, RunStores, StoreBackend } from './store/store-backend.js';
import { VERSION } from './version.js';

/**
 * How every StepFlow process opens its data (part of the composition root): the full one
 * (`stepflow.ts`: engine, scheduler, application) and the read-only one of `stepflow ls|show|…`
 * (`stepflow-reads.ts`), so both back up before a migration and recover crashed runs alike.
 */
export interface OpenedBackend<Backend extends ReadStores = StoreBackend> {
  backend: Backend;
  /** Ids of executions found orphaned by a dead process and marked `interrupted` at open. */
  recovered: string[];
  /** The backup taken because this start migrated the schema (docs/OPERATIONS.md, "Upgrade"). */
  migrationBackup?: MigrationBackup;
}

/**
 * Before anything opens (and so migrates) the SQLite file, a backup when its schema is older than
 * this build's (docs/OPERATIONS.md, "Upgrade"); PostgreSQL is backed up with its own tools. The
 * backup code (and `tar`) is loaded only then, not at every command's start.
 */
async function backupIfMigrating(config: StepflowConfig): Promise<MigrationBackup | undefined> {
  const settings = config.backupBeforeMigrate;
  if (config.database !== undefined || settings === undefined) return undefined;
  let version: number | undefined;
  try {
    version = sqliteSnapshots.schemaVersionOf(config.dataDir);
  } catch {
    // Not readable as a database: opening it reports that (store_corrupt…), better than we could here.
    return undefined;
  }
  if (version === undefined || version === 0 || version >= sqliteSnapshots.schemaVersion) return undefined;
  const { backupBeforeMigrate } = await import('./app/backup/backup-before-migrate.js');
  return backupBeforeMigrate({
    snapshots: sqliteSnapshots,
    dataDir: config.dataDir,
    version: VERSION,
    dir: settings.dir ?? path.join(config.dataDir, 'backups'),
    keep: settings.keep,
  });
}

/**
 * The store backend: PostgreSQL when a database URL is set (`STEPFLOW_DATABASE_URL`,
 * `--database-url`), else the SQLite file of the data dir.
 */
async function openBackend(config: StepflowConfig): Promise<StoreBackend> {
  if (config.database === undefined) {
    // Each opener is loaded when used: a read command loads none of the stores it does not open.
    const { openSqliteStores } = await import('./store/sqlite/open-sqlite-stores.js');
    return openSqliteStores({ dataDir: config.dataDir });
  }
  // Loaded only here: the driver is not worth its start-up time to a command on the SQLite file.
  const { openPostgresStores } = await import('./store/postgres/open-postgres-stores.js');
  return openPostgresStores({ url: config.database.url, poolSize: config.database.poolSize });
}

/** The stores a reader of the history needs: on SQLite just those; PostgreSQL's, all (one pool). */
async function openReadBackend(config: StepflowConfig): Promise<ReadStores> {
  if (config.database !== undefined) return openBackend(config);
  const { openSqliteReadStores } = await import('./store/sqlite/open-sqlite-read-stores.js');
  return openSqliteReadStores({ dataDir: config.dataDir });
}

/** The stores `stepflow run` needs: on SQLite just those; PostgreSQL's, all (one pool). */
async function openRunBackend(config: StepflowConfig): Promise<RunStores> {
  if (config.database !== undefined) return openBackend(config);
  const { openSqliteRunStores } = await import('./store/sqlite/open-sqlite-run-stores.js');
  return openSqliteRunStores({ dataDir: config.dataDir });
}

/** Backs up if this start migrates, opens, and marks dead owners' runs `interrupted`. */
async function openRecovered<Backend extends ReadStores>(
  config: StepflowConfig,
  open: (config: StepflowConfig) => Promise<Backend>,
): Promise<OpenedBackend<Backend>> {
  const migrationBackup = await backupIfMigrating(config);
  const backend = await open(config);
  const recovered = await backend.store.recoverInterrupted(isOwnerAlive);
  return { backend, recovered, ...(migrationBackup ? { migrationBackup } : {}) };
}

/**
 * The whole backend (`stepflow.ts`). One backend, one database: the job store reads the
 * executions the execution store writes.
 */
export const openRecoveredBackend = (config: StepflowConfig): Promise<OpenedBackend> =>
  openRecovered(config, openBackend);

/** What a read command opens (`stepflow-reads.ts`): the executions and the workers. */
export const openRecoveredReads = (config: StepflowConfig): Promise<OpenedBackend<ReadStores>> =>
  openRecovered(config, openReadBackend);

/**
 * What `stepflow run` opens (`stepflow-run.ts`): the executions, the workers, the settings and
 * environments a run is prepared from.
 */
export const openRecoveredRun = (config: StepflowConfig): Promise<OpenedBackend<RunStores>> =>
  openRecovered(config, openRunBackend);

/**
 * The scripts of a crashed StepFlow process may still run unsupervised: end them too. SIGTERM goes
 * out at once; the SIGKILL follow-up only happens if this process lives through the grace period.
 */
export function endLeftovers(recovered: readonly string[], monitor: ProcessMonitor, graceMs: number): void {
  for (const id of recovered) void terminateTree({ pgid: undefined, tag: id, monitor, graceMs });
}
