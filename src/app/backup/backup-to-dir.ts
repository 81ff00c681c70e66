import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BackupManifest } from './backup-manifest.js';
import { backupFileName, rotateBackups, type BackupKind } from './backup-rotation.js';
import { checkArchive } from './check-archive.js';
import type { TakeBackupOptions } from './take-backup.js';

export interface DirBackup {
  /** The archive written, checked and kept. */
  file: string;
  manifest: BackupManifest;
  /** Older backups of the same kind deleted by rotation. */
  removed: string[];
}

export interface BackupToDirOptions {
  dir: string;
  kind: BackupKind;
  /** How many backups of this kind the folder keeps, this one included. */
  keep: number;
  /** The schema version the backup holds, in a pre-migrate backup's name. */
  schemaVersion?: number;
  now?: Date;
  onProgress?: TakeBackupOptions['onProgress'];
}

/**
 * A backup into a folder under a name StepFlow chooses (backup-rotation.ts): written to
 * `<name>.partial`, read back and checked, renamed, and only then are the oldest of its kind beyond
 * `keep` deleted — a failed backup never costs an older good one.
 */
export async function backupToDir(
  backup: (options: TakeBackupOptions) => Promise<BackupManifest>,
  { dir, kind, keep, schemaVersion, now = new Date(), onProgress }: BackupToDirOptions,
): Promise<DirBackup> {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, backupFileName(kind, now, schemaVersion));
  const partial = `${file}.partial`;
  const output = fs.createWriteStream(partial, { flags: 'wx' });
  try {
    await backup({ output, tempDir: dir, ...(onProgress ? { onProgress } : {}) });
    const manifest = await checkArchive(partial);
    fs.renameSync(partial, file);
    return { file, manifest, removed: rotateBackups(dir, kind, keep) };
  } catch (error) {
    output.destroy();
    fs.rmSync(partial, { force: true });
    throw error;
  }
}
