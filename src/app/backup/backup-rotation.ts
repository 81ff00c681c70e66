import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The backups StepFlow names itself: `stepflow backup --to DIR` (and a backup job) and the backup
 * taken before a schema migration. Rotation only ever looks at files of these exact shapes, so
 * nothing else in a backup folder — an operator's own copy, another tool's file — is deleted.
 */
export type BackupKind = 'backup' | 'pre-migrate';

/** `20261203T143501123Z`: sorts as it is written, so the newest file has the greatest name. */
function stamp(date: Date): string {
  return date.toISOString().replace(/[-:.]/g, '');
}

const STAMP = String.raw`\d{8}T\d{9}Z`;
const PATTERNS: Record<BackupKind, RegExp> = {
  backup: new RegExp(`^stepflow-backup-${STAMP}\\.tar\\.gz$`),
  'pre-migrate': new RegExp(`^stepflow-pre-migrate-${STAMP}-schema-\\d+\\.tar\\.gz$`),
};

/** The file name of a backup of `kind` taken at `date`; `schemaVersion`: the one it holds (pre-migrate). */
export function backupFileName(kind: BackupKind, date: Date, schemaVersion?: number): string {
  return kind === 'backup'
    ? `stepflow-backup-${stamp(date)}.tar.gz`
    : `stepflow-pre-migrate-${stamp(date)}-schema-${schemaVersion ?? 0}.tar.gz`;
}

/** Whether `name` is a backup of `kind` as StepFlow names them. */
function isBackupFileName(kind: BackupKind, name: string): boolean {
  return PATTERNS[kind].test(name);
}

/**
 * Deletes the backups of `kind` in `dir` beyond the newest `keep` (by the time in their names)
 * and returns the paths deleted. Only regular files named as StepFlow names them are counted or
 * deleted; `.partial` files, links and everything else are left alone.
 */
export function rotateBackups(dir: string, kind: BackupKind, keep: number): string[] {
  const ours = fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && isBackupFileName(kind, entry.name))
    .map((entry) => entry.name)
    .sort()
    .reverse();
  const removed: string[] = [];
  for (const name of ours.slice(Math.max(keep, 0))) {
    const file = path.join(dir, name);
    fs.rmSync(file, { force: true });
    removed.push(file);
  }
  return removed;
}
