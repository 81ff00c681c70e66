import { createHash, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ARTIFACT_STORE_DIR } from '../../artifacts/stored-artifact-path.js';
import { ERROR_CODES, StepflowError, isStepflowError } from '../../core/errors.js';
import type { StoreSnapshots } from '../../store/snapshots.js';
import {
  MANIFEST_MEMBER,
  isRestorableMember,
  parseManifest,
  type BackupManifest,
} from './backup-manifest.js';
import { readTarGz } from './tar-reader.js';

export interface RestoreOutcome {
  dataDir: string;
  manifest: BackupManifest;
  /** The schema version of the backup, and the one it was migrated to (the same when current). */
  fromSchemaVersion: number;
  toSchemaVersion: number;
  /** Whether an existing data dir's database and artifacts were replaced (`--force`). */
  replaced: boolean;
}

const invalid = (message: string): StepflowError => new StepflowError(ERROR_CODES.BACKUP_INVALID, message);

/**
 * Restores a backup into `dataDir` (docs/OPERATIONS.md). Everything is extracted into a staging
 * dir beside it and checked there — each member's size and SHA-256 against the manifest, the
 * schema version, the database opened with the current migrations — before anything in `dataDir`
 * is touched. A data dir a process has open is never replaced; another that is not empty only
 * with `force`, and only if it is a StepFlow data dir.
 */
export async function restoreBackup(
  deps: { snapshots: StoreSnapshots },
  { archive, dataDir, force = false }: { archive: string; dataDir: string; force?: boolean },
): Promise<RestoreOutcome> {
  const { snapshots } = deps;
  const target = path.resolve(dataDir);
  const replaced = checkTarget(snapshots, target, force);
  const staging = `${target}.restoring-${randomUUID().slice(0, 8)}`;
  try {
    fs.mkdirSync(staging, { recursive: true });
    const found = await extract(archive, staging, snapshots.databaseFile);
    const manifest = parseManifest(fs.readFileSync(path.join(staging, MANIFEST_MEMBER), 'utf8'));
    checkMembers(manifest, found);
    restoreProjectShape(manifest, staging);
    if (manifest.schemaVersion > snapshots.schemaVersion) {
      throw invalid(
        `the backup has schema version ${manifest.schemaVersion} (StepFlow ${manifest.stepflowVersion}), newer than this StepFlow supports (${snapshots.schemaVersion}); restore it with StepFlow ${manifest.stepflowVersion} or later`,
      );
    }
    const { fromVersion, toVersion } = await snapshots.migrate(staging);
    fs.rmSync(path.join(staging, MANIFEST_MEMBER));
    // Checked again: a process may have opened it while we extracted.
    checkTarget(snapshots, target, force);
    install(snapshots, staging, target, replaced);
    return {
      dataDir: target,
      manifest,
      fromSchemaVersion: fromVersion,
      toSchemaVersion: toVersion,
      replaced,
    };
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/** Refuses a live or foreign target; says whether an existing data dir will be replaced. */
function checkTarget(snapshots: StoreSnapshots, target: string, force: boolean): boolean {
  let entries: string[];
  try {
    entries = fs.readdirSync(target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false; // a new data dir
    throw error;
  }
  if (entries.length === 0) return false;
  const isDataDir = entries.includes(snapshots.databaseFile);
  if (isDataDir && snapshots.isInUse(target)) {
    throw new StepflowError(
      ERROR_CODES.CONFLICT,
      `${target} is in use: a StepFlow process (a server, a run) has its database open; stop it first, or restore into a new directory`,
    );
  }
  if (!force) {
    throw new StepflowError(
      ERROR_CODES.CONFLICT,
      `${target} is not empty; restore into a new directory, or pass --force to replace the data dir there`,
    );
  }
  if (!isDataDir) {
    throw new StepflowError(
      ERROR_CODES.CONFLICT,
      `${target} is not empty and not a StepFlow data dir (no ${snapshots.databaseFile}); --force replaces only a data dir`,
    );
  }
  return true;
}

/** Extracts the archive's members into `staging`, hashing them; returns name → {size, sha256}. */
async function extract(
  archive: string,
  staging: string,
  databaseFile: string,
): Promise<Map<string, { size: number; sha256: string }>> {
  const found = new Map<string, { size: number; sha256: string }>();
  try {
    await readTarGz(fs.createReadStream(archive), (name) => {
      if (!isRestorableMember(name, databaseFile)) throw invalid(`unexpected member ${JSON.stringify(name)}`);
      if (found.has(name)) throw invalid(`member ${JSON.stringify(name)} is in the archive twice`);
      const file = path.join(staging, ...name.split('/'));
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const fd = fs.openSync(file, 'wx');
      const hash = createHash('sha256');
      let written = 0;
      return {
        write(chunk) {
          hash.update(chunk);
          written += chunk.length;
          fs.writeSync(fd, chunk);
        },
        end() {
          fs.closeSync(fd);
          found.set(name, { size: written, sha256: hash.digest('hex') });
        },
      };
    });
  } catch (error) {
    if (isStepflowError(error)) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    // The archive file itself missing or unreadable is the caller's mistake, said as it is.
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') {
      throw new StepflowError(ERROR_CODES.USAGE, `cannot read ${archive}: ${(error as Error).message}`);
    }
    if (code?.startsWith('Z_') || code === 'ERR_ZLIB' || error instanceof Error) {
      throw invalid(`${archive} is not a readable backup: ${(error as Error).message}`);
    }
    throw error;
  }
  if (!found.has(MANIFEST_MEMBER)) throw invalid(`the archive has no ${MANIFEST_MEMBER}`);
  return found;
}

/** Every member the manifest lists is there with its size and hash, and nothing else is. */
export function checkMembers(
  manifest: BackupManifest,
  found: Map<string, { size: number; sha256: string }>,
): void {
  const listed = new Set(manifest.members.map((member) => member.name));
  for (const member of manifest.members) {
    const got = found.get(member.name);
    if (got === undefined) throw invalid(`member ${JSON.stringify(member.name)} is missing from the archive`);
    if (got.size !== member.size || got.sha256 !== member.sha256) {
      throw invalid(
        `member ${JSON.stringify(member.name)} is damaged: ${got.size} bytes with SHA-256 ${got.sha256}, the manifest says ${member.size} bytes with ${member.sha256}`,
      );
    }
  }
  for (const name of found.keys()) {
    if (name !== MANIFEST_MEMBER && !listed.has(name)) {
      throw invalid(`member ${JSON.stringify(name)} is not in the manifest`);
    }
  }
}

const PROJECTS_DIR = 'projects';

/** What file members cannot carry: the execute bit of project scripts, and empty folders. */
function restoreProjectShape(manifest: BackupManifest, staging: string): void {
  for (const member of manifest.members) {
    if (member.executable === true) fs.chmodSync(path.join(staging, ...member.name.split('/')), 0o755);
  }
  for (const folder of manifest.emptyFolders ?? []) {
    fs.mkdirSync(path.join(staging, ...folder.split('/')), { recursive: true });
  }
}

/** Moves the checked database and artifacts into place, after removing what they replace. */
function install(snapshots: StoreSnapshots, staging: string, target: string, replace: boolean): void {
  if (!fs.existsSync(target)) {
    fs.renameSync(staging, target);
    return;
  }
  if (replace) {
    // The old WAL and search index first: applied to the restored database they would corrupt it.
    for (const file of snapshots.companionFiles(target)) fs.rmSync(file, { force: true });
    fs.rmSync(path.join(target, snapshots.databaseFile), { force: true });
    fs.rmSync(path.join(target, ARTIFACT_STORE_DIR), { recursive: true, force: true });
    // The old projects too (their versions, staging and run copies): the restored rows name others.
    fs.rmSync(path.join(target, PROJECTS_DIR), { recursive: true, force: true });
  }
  for (const entry of fs.readdirSync(staging))
    fs.renameSync(path.join(staging, entry), path.join(target, entry));
}
