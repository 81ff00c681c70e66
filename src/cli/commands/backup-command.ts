import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DataDirCare } from '../../app/data-dir-care.js';
import { ERROR_CODES, StepflowError } from '../../core/errors.js';
import { formatBytes } from '../format.js';
import { createBackupProgress } from './backup-progress.js';

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
      `backed up ${dataDir} to ${target} (${formatBytes(fs.statSync(target).size)}): ${counts.executions} executions, ${counts.jobs} jobs, ${counts.artifacts} artifacts; StepFlow ${manifest.stepflowVersion}, schema ${manifest.schemaVersion}\n`,
    );
    for (const missing of manifest.missingArtifacts) {
      process.stderr.write(
        `stepflow: warning: ${missing} was not in the data dir: not in the backup (stepflow verify)\n`,
      );
    }
    return 0;
  } catch (error) {
    progress.done();
    output.destroy();
    fs.rmSync(partial, { force: true });
    throw error;
  }
}
