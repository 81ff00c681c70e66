import { validationError } from './errors.js';

/**
 * Projects (docs/WORKSPACE.md): a named tree of files, uploaded as a ZIP or tar.gz or edited file
 * by file, kept as numbered immutable versions. One version is current: runs "in the project" start
 * in a copy of it. Pure: names, paths and limits; the files live under the data dir (app/projects/).
 */

/** A project as stored and answered. */
export interface Project {
  /** Internal, never reused: the folder `projects/<id>/` (a re-created name never sees old files). */
  id: string;
  /** Unique; what the API, the CLI and a run's `project` name it by. */
  name: string;
  /** The version runs use and the next edit starts from. */
  currentVersion: number;
  createdAt: string;
  updatedAt: string;
}

/** How a version came to be. */
export const PROJECT_VERSION_SOURCES = ['empty', 'upload', 'edit'] as const;
export type ProjectVersionSource = (typeof PROJECT_VERSION_SOURCES)[number];

/** One immutable version of a project's files. */
export interface ProjectVersion {
  /** 1, 2, … never reused within the project (kept after older versions are dropped). */
  version: number;
  createdAt: string;
  /** Who made it: as {@link import('./model.js').Execution.createdBy}. */
  createdBy: string | null;
  source: ProjectVersionSource;
  /** For an edit: which file and how (`edit src/a.py`, `rename a → b`, `delete a`); else null. */
  note: string | null;
  files: number;
  bytes: number;
}

/**
 * What an uploaded archive may hold (`STEPFLOW_PROJECT_MAX_*`, README): entries, the whole
 * uncompressed size, and the ratio of an entry's uncompressed to compressed size (for a tar.gz,
 * of the whole stream, where entries are not compressed one by one).
 */
export interface ArchiveLimits {
  maxEntries: number;
  maxBytes: number;
  maxRatio: number;
}

export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = {
  maxEntries: 10_000,
  maxBytes: 1024 * 1024 * 1024,
  maxRatio: 200,
};

/** Versions kept per project by default (`STEPFLOW_PROJECT_KEEP_VERSIONS`); the current one always. */
export const DEFAULT_KEEP_VERSIONS = 10;

const PROJECT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Checks a project name (1–64 letters, digits, `.`, `_`, `-`, starting with a letter or digit). */
export function checkProjectName(name: unknown, field = 'name'): string {
  if (typeof name !== 'string' || !PROJECT_NAME.test(name)) {
    throw validationError(
      `${field} must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit`,
      { field },
    );
  }
  return name;
}

/** The longest path inside a project, and of one of its parts (as common file systems allow). */
const MAX_PATH = 1024;
const MAX_PART = 255;

/**
 * A path inside a project as `a/b/c`, or null with the reason it is not one: empty, absolute
 * (`/x`, `C:\x`), with a `..` part, a backslash, a NUL or a control character, or too long.
 * `.` parts and doubled or trailing slashes are dropped. Used for archive entries and for the
 * files API alike, so both refuse the same names.
 */
export function projectPathProblem(raw: string): { path: string } | { problem: string } {
  if (raw.includes('\0')) return { problem: 'contains a NUL character' };
  // eslint-disable-next-line no-control-regex
  if (/[\u0001-\u001f\u007f]/.test(raw)) return { problem: 'contains a control character' };
  if (raw.includes('\\')) return { problem: 'contains a backslash' };
  if (raw.startsWith('/') || /^[A-Za-z]:/.test(raw)) return { problem: 'is an absolute path' };
  const parts = raw.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) return { problem: 'has a ".." part (it would leave the project)' };
  if (parts.length === 0) return { problem: 'is empty' };
  if (parts.some((part) => part.length > MAX_PART))
    return { problem: `has a part longer than ${MAX_PART} characters` };
  const path = parts.join('/');
  if (path.length > MAX_PATH) return { problem: `is longer than ${MAX_PATH} characters` };
  return { path };
}

/** {@link projectPathProblem} or a `validation_failed` naming `field`. */
export function checkProjectPath(raw: string, field = 'path'): string {
  const result = projectPathProblem(raw);
  if ('problem' in result)
    throw validationError(`${field} ${JSON.stringify(raw.slice(0, 200))} ${result.problem}`, { field });
  return result.path;
}
