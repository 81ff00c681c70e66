import type { EnvironmentState, PythonEnvironment, WorkspaceSettings } from '../core/environments.js';

/** What `updateEnvironment` may change. */
export type EnvironmentChange = Partial<
  Pick<PythonEnvironment, 'interpreter' | 'requirements' | 'state' | 'generation' | 'lastBuildId'>
>;

/**
 * The workspace settings and the saved Python environments (docs/WORKSPACE-ENVIRONMENTS.md). One
 * settings document (absent: the empty settings), environments by name. Every backend passes
 * `environment-store-contract.ts`.
 */
export interface EnvironmentStore {
  /** The settings as last written; the empty settings before the first write. */
  readSettings(): Promise<WorkspaceSettings>;
  /** Replaces the whole settings document. */
  writeSettings(settings: WorkspaceSettings): Promise<void>;
  /** Every environment, by name. */
  listEnvironments(): Promise<PythonEnvironment[]>;
  getEnvironment(name: string): Promise<PythonEnvironment | undefined>;
  /** Saves a new environment; a name already taken is a `conflict` error and changes nothing. */
  createEnvironment(environment: PythonEnvironment): Promise<void>;
  /** Applies `change` (and `updatedAt`); undefined when there is no such environment. */
  updateEnvironment(
    name: string,
    change: EnvironmentChange,
    updatedAt: string,
  ): Promise<PythonEnvironment | undefined>;
  /**
   * Records how build `buildId` ended, only if it is still the environment's last build and it is
   * still `building` (a reset or a newer build meanwhile wins); says whether it did.
   */
  finishBuild(name: string, buildId: string, state: EnvironmentState, updatedAt: string): Promise<boolean>;
  /** Removes it; says whether it was there. */
  deleteEnvironment(name: string): Promise<boolean>;
}
