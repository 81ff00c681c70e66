import type { VerifyReport } from '../core/integrity-problems.js';
import { ERROR_CODES, StepflowError } from '../core/errors.js';
import type { StoreSnapshots } from '../store/snapshots.js';
import type { BackupManifest } from './backup/backup-manifest.js';
import type { RestoreOutcome } from './backup/restore-backup.js';
import type { TakeBackupOptions } from './backup/take-backup.js';
import type { VerifyDeps } from './verify-data-dir.js';

/** Backup, restore and verify of a data dir (docs/OPERATIONS.md): what the CLI and the server call. */
export interface DataDirCare {
  backup(options: TakeBackupOptions): Promise<BackupManifest>;
  /** Into another data dir than this process's: never one a process has open. */
  restore(options: { archive: string; dataDir: string; force?: boolean }): Promise<RestoreOutcome>;
  verify(options?: { repair?: boolean }): Promise<VerifyReport>;
}

export interface DataDirCareDeps {
  dataDir: string;
  version: string;
  /** Absent on a backend whose database is not in the data dir (PostgreSQL). */
  snapshots?: StoreSnapshots;
  /** What verify needs of an open store, opened when first needed (the CLI's restore needs none). */
  verifyDeps?: () => Promise<Omit<VerifyDeps, 'dataDir'>>;
}

/** Said where the backend has no such capability: PostgreSQL keeps its data in its own server. */
const onPostgres = (what: string): StepflowError =>
  new StepflowError(
    ERROR_CODES.UNSUPPORTED,
    `${what} works on the SQLite data dir only; this StepFlow uses PostgreSQL (STEPFLOW_DATABASE_URL): use pg_dump / pg_restore and copy the artifacts folder, as docs/OPERATIONS.md shows`,
  );

/**
 * Every process builds this (the application has it); few back up or restore: the code, and `tar`
 * with it, is loaded at the first call, not at every command's start.
 */
export function createDataDirCare(deps: DataDirCareDeps): DataDirCare {
  const { dataDir, version, snapshots } = deps;
  return {
    async backup(options) {
      if (!snapshots) throw onPostgres('backup');
      const { takeBackup } = await import('./backup/take-backup.js');
      return takeBackup({ snapshots, dataDir, version }, options);
    },
    async restore(options) {
      if (!snapshots) throw onPostgres('restore');
      const { restoreBackup } = await import('./backup/restore-backup.js');
      return restoreBackup({ snapshots }, options);
    },
    async verify(options) {
      if (!snapshots || !deps.verifyDeps) throw onPostgres('verify');
      const { verifyDataDir } = await import('./verify-data-dir.js');
      return verifyDataDir({ dataDir, ...(await deps.verifyDeps()) }, options);
    },
  };
}
