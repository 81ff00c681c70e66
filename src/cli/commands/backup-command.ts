import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DataDirCare } from '../../app/data-dir-care.js';
import { ERROR_CODES, StepflowError } from '../../core/errors.js';
import { formatBytes } from '../format.js';
import { createBackupProgress } from './backup-progress.js';
import type { BackupManifest } from '../../app/backup/backup-manifest.js';
import { backupToDir } from '../../app/backup/backup-to-dir.js';

/**
 * `stepflow backup <file>`: a consistent backup of the data dir while it runs (docs/OPERATIONS.md).
 * Written to `<file>.partial` and renamed when complete, so `<file>` is never half a backup.
 */
export async function backupCommand(care: DataDirCare, file: string, dataDir: string): Promise<number> {
  const target = path.resolve(file);
  if (fs.existsSync(target)) {
    throw new StepflowError(
      ERROR_CODES.CONFLICT,
      `${target} exists; choose another name (a backup never overwrites)`,
    );
  }
  const partial = `${target}.partial`;
  const progress = createBackupProgress();
  const output = fs.createWriteStream(partial, { flags: 'wx' });
  try {
    const manifest = await care.backup({
      output,
      tempDir: path.dirname(target),
      onProgress: (update) => progress.update(update),
    });
    fs.renameSync(partial, target);
    progress.done();
    const { counts } = manifest;
    process.stdout.write(
      `backed up ${dataDir} to ${target} (${formatBytes(fs.statSync(target).size)}): ${counts.executions} executions, ${counts.jobs} jobs, ${counts.artifacts} artifacts${projectPart(manifest)}; StepFlow ${manifest.stepflowVersion}, schema ${manifest.schemaVersion}\n`,
    );
    warnMissing(manifest);
    return 0;
  } catch (error) {
    progress.done();
    output.destroy();
    fs.rmSync(partial, { force: true });
    throw error;
  }
}

const usage = (message: string): never => {
  throw new StepflowError(ERROR_CODES.USAGE, message);
};

/**
 * `stepflow backup --to DIR [--keep N]`: what a backup job runs (docs/OPERATIONS.md). The file is
 * named by StepFlow (`stepflow-backup-<UTC time>.tar.gz`), read back and checked before it counts,
 * and then only the backups StepFlow named in DIR beyond the newest N are deleted.
 */
export async function backupToDirCommand(
  care: DataDirCare,
  options: { file: string | undefined; to: string | undefined; keep: string | undefined; dataDir: string },
): Promise<number> {
  if (options.to === undefined && options.keep !== undefined) usage('--keep goes with --to <dir>');
  if (options.to === undefined) usage('give the archive to write, or --to <dir>');
  if (options.file !== undefined) usage('give either a file or --to <dir>, not both');
  const keep = options.keep === undefined ? Number.POSITIVE_INFINITY : Number(options.keep);
  if (!(Number.isInteger(keep) && keep >= 1) && keep !== Number.POSITIVE_INFINITY) {
    usage(`--keep must be a whole number of 1 or more, got ${JSON.stringify(options.keep)}`);
  }
  const dir = path.resolve(options.to!);
  const progress = createBackupProgress();
  try {
    const { file, manifest, removed } = await backupToDir((backup) => care.backup(backup), {
      dir,
      kind: 'backup',
      keep,
      onProgress: (update) => progress.update(update),
    });
    progress.done();
    const { counts } = manifest;
    process.stdout.write(
      `backed up ${options.dataDir} to ${file} (${formatBytes(fs.statSync(file).size)}): ${counts.executions} executions, ${counts.jobs} jobs, ${counts.artifacts} artifacts${projectPart(manifest)}; StepFlow ${manifest.stepflowVersion}, schema ${manifest.schemaVersion}\n`,
    );
    process.stdout.write(`checked: ${manifest.members.length} files read back match the manifest\n`);
    for (const old of removed) process.stdout.write(`removed ${old} (keeping the newest ${keep})\n`);
    warnMissing(manifest);
    return 0;
  } finally {
    progress.done();
  }
}

/** ", N project versions" when it holds any (older backups do not count them). */
function projectPart({ counts }: BackupManifest): string {
  return counts.projectVersions ? `, ${counts.projectVersions} project versions` : '';
}

function warnMissing(manifest: BackupManifest): void {
  for (const missing of [...manifest.missingArtifacts, ...(manifest.missingProjectVersions ?? [])]) {
    process.stderr.write(
      `stepflow: warning: ${missing} was not in the data dir: not in the backup (stepflow verify)\n`,
    );
  }
}
