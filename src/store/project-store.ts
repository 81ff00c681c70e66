import type { Project, ProjectVersion } from '../core/projects.js';

/** A version as a caller asks for it; its number is the store's to give. */
export type NewProjectVersion = Omit<ProjectVersion, 'version'>;

/**
 * Projects' records (docs/WORKSPACE.md): names, versions and which one is current. The files are
 * not here: they live under the data dir, in a folder per version the application names by
 * {@link Project.id} and number. Every backend passes `project-store-contract.ts`.
 */
export interface ProjectStore {
  /** Creates a project whose version 1 is `first`; a name in use is a `conflict` error. */
  createProject(project: { id: string; name: string }, first: NewProjectVersion): Promise<Project>;
  /** By name; null when there is none. */
  findProject(name: string): Promise<Project | null>;
  /** Every project, by name. */
  listProjects(): Promise<Project[]>;
  /**
   * Adds the next version (one more than any the project ever had), makes it current, and drops
   * the oldest versions beyond `keep` — never the current one. Answers the new version and the
   * numbers dropped (their files are the caller's to delete). An unknown project is `not_found`.
   */
  addVersion(
    projectId: string,
    version: NewProjectVersion,
    keep: number,
  ): Promise<{ version: ProjectVersion; dropped: number[] }>;
  /** Newest first. */
  listVersions(projectId: string): Promise<ProjectVersion[]>;
  /** Makes a kept version current (a rollback); one not kept is `not_found`. */
  setCurrentVersion(projectId: string, version: number, at: string): Promise<Project>;
  /** Removes the project and its versions' records; false when there was none. */
  deleteProject(projectId: string): Promise<boolean>;
}
