import type { DataDirCare } from '../../app/data-dir-care.js';

/** `stepflow restore <file> --data-dir <dir> [--force]` (docs/OPERATIONS.md). */
export async function restoreCommand(
  care: DataDirCare,
  archive: string,
  options: { dataDir: string; force?: boolean },
): Promise<number> {
  const outcome = await care.restore({ archive, dataDir: options.dataDir, force: options.force === true });
  const { manifest } = outcome;
  const { counts } = manifest;
  const schema =
    outcome.fromSchemaVersion === outcome.toSchemaVersion
      ? `schema ${outcome.toSchemaVersion}`
      : `schema ${outcome.fromSchemaVersion} migrated to ${outcome.toSchemaVersion}`;
  process.stdout.write(
    `restored ${archive} into ${outcome.dataDir}${outcome.replaced ? ' (replacing its database and artifacts)' : ''}: ${counts.executions} executions, ${counts.jobs} jobs, ${counts.artifacts} artifacts, ${manifest.members.length} files checked; taken ${manifest.createdAt} by StepFlow ${manifest.stepflowVersion}, ${schema}\n`,
  );
  process.stdout.write(`start it with STEPFLOW_STORAGE_PATH=${outcome.dataDir} stepflow server\n`);
  return 0;
}
