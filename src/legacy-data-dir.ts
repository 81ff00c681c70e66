import fs from 'node:fs';
import path from 'node:path';
import { LEGACY_DATA_DIR, userDataDir, type StepflowConfig } from './config.js';

/**
 * What to tell the user when a `./stepflow-data` of a version before 0.2 is in use: it still is
 * (no history disappears on upgrade), with how to move it to the per-user default. Moving it
 * ourselves is not safe: a server may have it open, and the home directory may be on another
 * file system. Undefined when the data dir is not the legacy one.
 */
export function legacyDataDirNotice(
  config: Pick<StepflowConfig, 'dataDir' | 'dataDirOrigin'>,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (config.dataDirOrigin !== 'legacy') return undefined;
  const target = userDataDir(env);
  const keep = `or keep using it with STEPFLOW_STORAGE_PATH=${config.dataDir}`;
  const move = fs.existsSync(target)
    ? `${target} exists already: merge by hand, ${keep}`
    : `move it (stop the server first): mkdir -p "${path.dirname(target)}" && mv "${config.dataDir}" "${target}" — ${keep}`;
  return (
    `using ./${LEGACY_DATA_DIR} here (${config.dataDir}), the data dir of StepFlow before 0.2; ` +
    `the default is now ${target}, the same from any folder: ${move}`
  );
}

/** Says {@link legacyDataDirNotice} on stderr, once per command. */
export function warnOfLegacyDataDir(config: Pick<StepflowConfig, 'dataDir' | 'dataDirOrigin'>): void {
  const notice = legacyDataDirNotice(config);
  if (notice !== undefined) process.stderr.write(`stepflow: ${notice}\n`);
}
