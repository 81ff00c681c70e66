import { ERROR_CODES, StepflowError, isStepflowError } from '../../core/errors.js';
import type { StoreSnapshots } from '../../store/snapshots.js';
import { backupToDir } from './backup-to-dir.js';
import { takeBackup } from './take-backup.js';

/** What was backed up before a schema migration, for the server log. */
export interface MigrationBackup {
  file: string;
  fromVersion: number;
  toVersion: number;
  /** Older pre-migration backups deleted by rotation. */
  removed: string[];
}

export interface BackupBeforeMigrateOptions {
  snapshots: StoreSnapshots;
  dataDir: string;
  version: string;
  /** Where the backup goes (`STEPFLOW_BACKUP_BEFORE_MIGRATE_DIR`, default `<dataDir>/backups`). */
  dir: string;
  /** Pre-migration backups kept there (`STEPFLOW_BACKUP_BEFORE_MIGRATE_KEEP`). */
  keep: number;
}

/**
 * Before a process opens a data dir whose schema this build will change, a backup of it as it is
 * (docs/OPERATIONS.md, "Upgrade"): an upgrade can then be undone by installing the old version and
 * restoring this file. Nothing happens for a new data dir, a current one, or one newer than this
 * build (opening it refuses that). A failed backup stops the start before anything is migrated.
 */
export async function backupBeforeMigrate(
  options: BackupBeforeMigrateOptions,
): Promise<MigrationBackup | undefined> {
  const { snapshots, dataDir, version, dir, keep } = options;
  const fromVersion = snapshots.schemaVersionOf(dataDir);
  const toVersion = snapshots.schemaVersion;
  if (fromVersion === undefined || fromVersion === 0 || fromVersion >= toVersion) return undefined;
  try {
    const { file, removed } = await backupToDir(
      (backup) => takeBackup({ snapshots, dataDir, version }, backup),
      { dir, kind: 'pre-migrate', keep, schemaVersion: fromVersion },
    );
    return { file, fromVersion, toVersion, removed };
  } catch (error) {
    throw new StepflowError(
      isStepflowError(error) ? error.code : ERROR_CODES.STORE_UNAVAILABLE,
      `the database in ${dataDir} has schema version ${fromVersion} and this StepFlow migrates it to ${toVersion}, ` +
        `but the backup before migrating failed, so nothing was changed: ${(error as Error).message} ` +
        `(free space, set STEPFLOW_BACKUP_BEFORE_MIGRATE_DIR to another folder, or STEPFLOW_BACKUP_BEFORE_MIGRATE=0 to migrate without a backup)`,
      { cause: error },
    );
  }
}
