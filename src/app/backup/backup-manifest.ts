import { ERROR_CODES, StepflowError } from '../../core/errors.js';

/** Name of the manifest member, the archive's last. */
export const MANIFEST_MEMBER = 'manifest.json';
const FORMAT = 'stepflow-backup';
const FORMAT_VERSION = 1;

export interface BackupMember {
  /** Path inside the archive and, restored, inside the data dir. */
  name: string;
  size: number;
  sha256: string;
  /** A project file with the execute bit (scripts): restored with mode 755. Absent: 644. */
  executable?: true;
}

/** What a backup holds and how to check it: every other member's size and SHA-256. */
export interface BackupManifest {
  format: typeof FORMAT;
  formatVersion: number;
  stepflowVersion: string;
  backend: 'sqlite';
  schemaVersion: number;
  createdAt: string;
  /** `projectVersions`: absent in backups from before projects. */
  counts: { executions: number; jobs: number; artifacts: number; projectVersions?: number };
  members: BackupMember[];
  /** Artifacts whose row says stored but whose copy was not in the data dir when it was taken. */
  missingArtifacts: string[];
  /**
   * Empty folders of the project versions it holds (an empty version's own folder included), which
   * no file member would bring back. Absent in backups from before projects: none.
   */
  emptyFolders?: string[];
  /** Kept project versions whose folder was not in the data dir when it was taken. */
  missingProjectVersions?: string[];
}

export function newManifest(
  fields: Omit<BackupManifest, 'format' | 'formatVersion' | 'backend'>,
): BackupManifest {
  return { format: FORMAT, formatVersion: FORMAT_VERSION, backend: 'sqlite', ...fields };
}

const invalid = (message: string): StepflowError => new StepflowError(ERROR_CODES.BACKUP_INVALID, message);

/** Parses the manifest member, refusing what this StepFlow did not write. */
export function parseManifest(text: string): BackupManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalid(`${MANIFEST_MEMBER} is not JSON`);
  }
  const manifest = value as Partial<BackupManifest> | null;
  if (manifest?.format !== FORMAT) throw invalid(`${MANIFEST_MEMBER} is not a StepFlow backup's`);
  if (manifest.formatVersion !== FORMAT_VERSION) {
    throw invalid(`the backup's format version ${manifest.formatVersion} is not one this StepFlow reads`);
  }
  const membersOk =
    Array.isArray(manifest.members) &&
    manifest.members.every(
      (m: Partial<BackupMember>) =>
        typeof m.name === 'string' && Number.isSafeInteger(m.size) && typeof m.sha256 === 'string',
    );
  if (!membersOk || !Number.isSafeInteger(manifest.schemaVersion)) {
    throw invalid(`${MANIFEST_MEMBER} lacks its members or schema version`);
  }
  const folders: unknown = manifest.emptyFolders ?? [];
  if (!Array.isArray(folders) || !folders.every((name) => typeof name === 'string' && isProjectPath(name))) {
    throw invalid(`${MANIFEST_MEMBER} lists an empty folder outside the project versions`);
  }
  return { missingArtifacts: [], ...manifest } as BackupManifest;
}

/**
 * Whether `name` may be restored into a data dir: the database, a file under `artifacts/`, or one
 * in a project version's folder (`projects/<id>/versions/<n>/…`), by a relative path with no
 * `.`/`..` step (a crafted archive cannot write elsewhere, nor into a project's run copies).
 */
export function isRestorableMember(name: string, databaseFile: string): boolean {
  if (name === databaseFile || name === MANIFEST_MEMBER) return true;
  const parts = name.split('/');
  return isSafeRelative(parts) && ((parts.length >= 2 && parts[0] === 'artifacts') || isProjectPath(name));
}

/** `projects/<id>/versions/<n>` or a path below it. */
function isProjectPath(name: string): boolean {
  const parts = name.split('/');
  return (
    isSafeRelative(parts) &&
    parts.length >= 4 &&
    parts[0] === 'projects' &&
    parts[2] === 'versions' &&
    /^[1-9][0-9]*$/.test(parts[3]!)
  );
}

function isSafeRelative(parts: string[]): boolean {
  return parts.every(
    (part) => part !== '' && part !== '.' && part !== '..' && !part.includes('\0') && !part.includes('\\'),
  );
}
