import { ERROR_CODES, StepflowError, notFound } from '../core/errors.js';
import type { Project, ProjectVersion, ProjectVersionSource } from '../core/projects.js';

/** Rows of `projects` and `project_versions`, the same on every backend. */

export const PROJECT_COLUMNS = 'id, name, current_version, created_at, updated_at';
export const VERSION_COLUMNS = 'version, created_at, created_by, source, note, files, bytes';

export interface ProjectRow {
  id: string;
  name: string;
  current_version: number;
  created_at: string;
  updated_at: string;
}

export interface VersionRow {
  version: number;
  created_at: string;
  created_by: string | null;
  source: string;
  note: string | null;
  files: number | string;
  bytes: number | string;
}

export function projectFromRow(row: ProjectRow): Project {
  return {
    id: row.id,
    name: row.name,
    currentVersion: Number(row.current_version),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function versionFromRow(row: VersionRow): ProjectVersion {
  return {
    version: Number(row.version),
    createdAt: row.created_at,
    createdBy: row.created_by,
    source: row.source as ProjectVersionSource,
    note: row.note,
    files: Number(row.files),
    bytes: Number(row.bytes),
  };
}

/**
 * The versions `addVersion` drops: all but the newest `keep` of `numbers` (the kept ones after the
 * add, newest first), never `current`. Decided here so both backends drop the same ones.
 */
export function versionsToDrop(numbers: readonly number[], keep: number, current: number): number[] {
  const newestFirst = [...numbers].sort((a, b) => b - a);
  return newestFirst.slice(Math.max(1, keep)).filter((n) => n !== current);
}

export const projectNameTaken = (name: string, cause: unknown): StepflowError =>
  new StepflowError(ERROR_CODES.CONFLICT, `a project named ${JSON.stringify(name)} exists already`, {
    cause,
    details: { field: 'name' },
  });

export const noProject = (id: string): StepflowError => notFound('project', id);

export const noVersion = (version: number): StepflowError =>
  new StepflowError(
    ERROR_CODES.NOT_FOUND,
    `version ${version} is not kept (list the versions: only the newest are kept)`,
  );
