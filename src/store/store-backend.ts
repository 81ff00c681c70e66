import type { SecretDocuments } from './secret-documents.js';
import type { AuditStore } from './audit-store.js';
import type { EnvironmentStore } from './environment-store.js';
import type { JobStore } from './job-store.js';
import type { PipelineRunStore } from './pipeline-run-store.js';
import type { StoreMaintenance } from './maintenance.js';
import type { StoreConsistency, StoreSnapshots } from './snapshots.js';
import type { ExecutionStore } from './store.js';
import type { UserStore } from './user-store.js';
import type { ProjectStore } from './project-store.js';
import type { WorkerStore } from './worker-store.js';
import type { SavedPipelineStore } from './saved-pipeline-store.js';

/**
 * What a storage backend opens for a StepFlow process, from one factory (SQLite:
 * `openSqliteStores`): both ports on one database — the job store reads the executions and steps
 * the execution store writes (a job's last runs, recent runs, step durations) — and maintenance
 * when the backend has any. Closing `store` closes it all. A backend passes `store-contract.ts`
 * and `job-store-contract.ts`.
 */
export interface StoreBackend {
  store: ExecutionStore;
  jobs: JobStore;
  maintenance?: StoreMaintenance;
  /** Claims, leases and the registry of `stepflow worker` processes (docs/WORKERS.md). */
  workers: WorkerStore;
  /** Backup and restore of the database files, when they live in the data dir (SQLite). */
  snapshots?: StoreSnapshots;
  /** What `stepflow verify` reads and repairs, when the backend has it (SQLite). */
  consistency?: StoreConsistency;
  /** Users, roles and sign-in sessions (docs/USERS.md). */
  users: UserStore;
  /** Where secret values are stored, for sealing and key rotation (docs/SECRETS.md). */
  secrets: SecretDocuments;
  /** The audit log: who changed what (docs/AUDIT.md). */
  audit: AuditStore;
  /** Saved pipelines: named YAML texts (docs/PIPELINES.md). */
  savedPipelines: SavedPipelineStore;
  /** Pipeline runs and their nodes (docs/PIPELINES-RUNNING.md). */
  pipelineRuns: PipelineRunStore;
  /** Workspace settings and Python environments (docs/WORKSPACE-ENVIRONMENTS.md). */
  environments: EnvironmentStore;
  /** Projects' names and versions; their files live under the data dir (docs/WORKSPACE.md). */
  projects: ProjectStore;
}

/**
 * What a reader of the history needs (the CLI's `ls`, `show`, `logs`, `search`): the executions,
 * and the workers to say why a queued run waits. A backend may open just these (SQLite:
 * `openSqliteReadStores`) or hand its whole `StoreBackend`; closing `store` closes them.
 */
export type ReadStores = Pick<StoreBackend, 'store' | 'workers'>;

/**
 * What runs executions needs (`stepflow run`, and the engine side of every process): the reads'
 * stores and the workspace settings and environments a run is prepared from. A backend may open
 * just these (SQLite: `openSqliteRunStores`); closing `store` closes them.
 */
export type RunStores = Pick<StoreBackend, 'store' | 'workers' | 'environments'>;
