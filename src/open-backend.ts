import path from 'node:path';
import type { StepflowConfig } from './config.js';
import type { MigrationBackup } from './app/backup/backup-before-migrate.js';
import { isOwnerAlive } from './runner/process-owner.js';
import type { ProcessMonitor } from './runner/process-monitor.js';
import { terminateTree } from './runner/terminate-tree.js';
import { openSqliteStores } from './store/sqlite/open-sqlite-stores.js';
import { sqliteSnapshots } from './store/sqlite/sqlite-snapshots.js';
import type { StoreBackend } from './store/store-backend.js';
import { VERSION } from './version.js';

/**
 * How every StepFlow process opens its data (part of the composition root): the full one
 * (`stepflow.ts`: engine, scheduler, application) and the read-only one of `stepflow ls|show|…`
 * (`stepflow-reads.ts`), so both back up before a migration and recover crashed runs alike.
 */
export interface OpenedBackend {
  backend: StoreBackend;
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
  if (config.database === undefined) return openSqliteStores({ dataDir: config.dataDir });
  // Loaded only here: the driver is not worth its start-up time to a command on the SQLite file.
  const { openPostgresStores } = await import('./store/postgres/open-postgres-stores.js');
  return openPostgresStores({ url: config.database.url, poolSize: config.database.poolSize });
}

/** Backs up if this start migrates, opens the backend, and marks dead owners' runs `interrupted`. */
export async function openRecoveredBackend(config: StepflowConfig): Promise<OpenedBackend> {
  const migrationBackup = await backupIfMigrating(config);
  // One backend, one database: the job store reads the executions the execution store writes.
  const backend = await openBackend(config);
  const recovered = await backend.store.recoverInterrupted(isOwnerAlive);
  return { backend, recovered, ...(migrationBackup ? { migrationBackup } : {}) };
}

/**
 * The scripts of a crashed StepFlow process may still run unsupervised: end them too. SIGTERM goes
 * out at once; the SIGKILL follow-up only happens if this process lives through the grace period.
 */
export function endLeftovers(recovered: readonly string[], monitor: ProcessMonitor, graceMs: number): void {
  for (const id of recovered) void terminateTree({ pgid: undefined, tag: id, monitor, graceMs });
}
