import type { StepflowEventListener } from '../core/events.js';
import type { ExecutionOwner } from '../core/model.js';
import type { EventBus } from '../engine/event-bus.js';
import type { RequestedCancel } from '../engine/request-cancel.js';
import type { StoreWriter, StoreWriterHealth } from '../engine/store-writer.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import type { JobStore } from '../store/job-store.js';
import type { StoreMaintenance } from '../store/maintenance.js';
import type { ExecutionStore } from '../store/store.js';
import { createExecutions, type Executions } from './executions.js';
import { createJobs, type Jobs } from './jobs.js';
import { createLiveSource, type LiveSource } from './live/live-source.js';
import { createRemoteRuns, type RemoteRuns } from './remote-runs.js';
import type { WorkerDispatch } from '../engine/worker-dispatch.js';
import type { WorkerStore } from '../store/worker-store.js';
import { createWorkers, type Workers } from './workers.js';
import type { StoreConsistency, StoreSnapshots } from '../store/snapshots.js';
import { createDataDirCare, type DataDirCare } from './data-dir-care.js';
import { createRetention, type Retention } from './retention.js';
import { effectiveRetention, type RetentionPolicy } from '../core/retention.js';
import type { UserStore } from '../store/user-store.js';
import { createUsers, type Users } from './users.js';
import type { SecretKeeper } from '../secrets/secret-keeper.js';
import type { SecretDocuments } from '../store/secret-documents.js';
import { createSecrets, type Secrets } from './secrets.js';
import { createAccessEnded } from './access-ended.js';
import { createApiTokens, type ApiTokens } from './api-tokens.js';
import type { AuditStore } from '../store/audit-store.js';
import { createAudit, type Audit } from './audit.js';
import type { SavedPipelineStore } from '../store/saved-pipeline-store.js';
import { createSavedPipelines, type SavedPipelines } from './saved-pipelines.js';
import type { PipelineRunStore } from '../store/pipeline-run-store.js';
import { createPipelineRuns, type PipelineRuns } from './pipelines/pipeline-runs.js';
import type { HostSampler } from '../core/host.js';
import { createHostMonitor, type HostMonitor } from './host-monitor.js';
import type { EnvironmentStore } from '../store/environment-store.js';
import { createEnvironments, type Environments } from './environments.js';
import type { ProjectStore } from '../store/project-store.js';
import { createProjects, type Projects } from './projects/projects.js';
import type { ArchiveLimits } from '../core/projects.js';

/**
 * The application layer: every caller — HTTP routes, the WebSocket hub, the CLI — goes through it,
 * and nothing else reaches the engine, the event bus, the store writer or a concrete store. It is
 * the one place where rules about who may do what (permissions, audit) will go.
 */
export interface Application {
  executions: Executions;
  jobs: Jobs;
  /** Runs reported by `stepflow run --server` from other hosts. */
  remote: RemoteRuns;
  /** `stepflow worker` processes: claims, heartbeats, leases (docs/WORKERS.md). */
  workers: Workers;
  /** Users, passwords and sign-in sessions (docs/USERS.md). */
  users: Users;
  /** The event stream (core/events.ts): every execution and job event of this process. */
  events: { subscribe(listener: StepflowEventListener): () => void };
  /**
   * The same stream for watchers who also want other processes' runs (a `stepflow run` in a
   * terminal on the same data dir): those are followed through the store while watched. Close it
   * when done.
   */
  openLiveSource(options: { onError(error: unknown): void; pollMs?: number }): LiveSource;
  /** Whether this process can save what it records (the store writer's state). */
  writes(): StoreWriterHealth;
  /** Database sizes, optimize, integrity check: when the storage backend has them (SQLite does). */
  maintenance?: StoreMaintenance;
  /** Backup and verify of the data dir (docs/OPERATIONS.md); they refuse on PostgreSQL. */
  dataDirCare: DataDirCare;
  /** Expiring old runs, logs and artifacts by policy (docs/RETENTION.md). */
  retention: Retention;
  /** Secrets at rest: the start-up check, status, key rotation (docs/SECRETS.md). */
  secrets: Secrets;
  /** Users' API tokens (docs/USERS.md). */
  tokens: ApiTokens;
  /** Who changed what (docs/AUDIT.md): recorded by the server's audit hook and the CLI's user changes. */
  audit: Audit;
  /** Pipeline files checked, and saved pipelines (docs/PIPELINES.md). */
  savedPipelines: SavedPipelines;
  /** Pipeline runs: each node an ordinary execution (docs/PIPELINES-RUNNING.md). */
  pipelines: PipelineRuns;
  /** This machine's and live workers' CPU, memory, disk and network (docs/DASHBOARD.md, "Host monitor"). */
  host: HostMonitor;
  /** Workspace settings and Python environments (docs/WORKSPACE-ENVIRONMENTS.md). */
  environments: Environments;
  /** Projects: uploaded file trees, their versions and files; runs in them (docs/WORKSPACE.md). */
  projects: Projects;
}

/** What running and following a run here needs (`stepflow run`, `rerun`): built alone by `stepflow-run.ts`. */
export type RunApplication = Pick<Application, 'executions' | 'events'>;

export interface ApplicationDeps {
  store: ExecutionStore;
  jobs: JobStore;
  /** The local engine behind the dispatch to workers (engine/worker-dispatch.ts). */
  engine: WorkerDispatch;
  writer: Pick<StoreWriter, 'flush' | 'health' | 'alreadyStored'>;
  bus: EventBus;
  scheduler: Scheduler;
  requestCancel: (id: string) => Promise<RequestedCancel>;
  /** This process: its runs come from the bus, never from the store. */
  owner: ExecutionOwner;
  maintenance?: StoreMaintenance;
  dataDir: string;
  workers: WorkerStore;
  /** STEPFLOW_WORKER_LEASE_SECONDS, in ms. */
  workerLeaseMs: number;
  /** The backend's backup and consistency capabilities (SQLite), for `dataDirCare`. */
  snapshots?: StoreSnapshots;
  consistency?: StoreConsistency;
  isOwnerAlive?: (owner: ExecutionOwner) => boolean;
  /** This build's version, written into backups. */
  version?: string;
  /** MAX_CONCURRENT_TASKS when set: the cluster-wide limit of runs on workers (docs/WORKERS.md). */
  clusterMaxRunning?: number;
  /** The global retention policy (STEPFLOW_RETENTION_*); absent: nothing expires. */
  retention?: RetentionPolicy;
  /** Clock of the retention sweep; tests pass a fake. */
  now?: () => Date;
  users: UserStore;
  /** Seals secret values before they are stored, opens them where a run starts (docs/SECRETS.md). */
  secretKeeper: SecretKeeper;
  secretDocuments: SecretDocuments;
  audit: AuditStore;
  /** This process is the CLI acting on the store itself: its user changes are audited as `local`. */
  cli?: boolean;
  savedPipelines: SavedPipelineStore;
  pipelineRuns: PipelineRunStore;
  /** Reads this machine for the host monitor (runner/host-sampler.ts). */
  hostSampler: HostSampler;
  environments: EnvironmentStore;
  /** Where this host keeps its Python environments (`<dataDir>/envs`). */
  environmentsDir: string;
  projects: ProjectStore;
  /** STEPFLOW_PROJECT_*: archive limits and versions kept (docs/WORKSPACE.md). */
  projectSettings: { limits: ArchiveLimits; keepVersions: number; maxUploadBytes: number };
  /** False for `stepflow server --no-runner`: runs in projects then go to workers (docs/WORKSPACE.md). */
  runsLocally?: boolean;
}

export function createApplication(deps: ApplicationDeps): Application {
  const { store, engine, writer, bus, scheduler, requestCancel, dataDir } = deps;
  const audit = createAudit({ store: deps.audit });
  // Other processes' commits, heard at once where the store can tell (PostgreSQL), else polled.
  const changes = store.onChange?.bind(store);
  const workers = createWorkers({
    workers: deps.workers,
    bus,
    secrets: deps.secretKeeper,
    leaseMs: deps.workerLeaseMs,
    ...(deps.clusterMaxRunning !== undefined ? { maxRunning: deps.clusterMaxRunning } : {}),
    ...(changes === undefined ? {} : { changes }),
  });
  // Sign-outs, revoked tokens, disabled users: the live hub closes what they held (docs/USERS.md).
  const accessEnded = createAccessEnded();
  const executions = createExecutions({
    store,
    engine,
    requestCancel,
    writer,
    dataDir,
    cancelQueued: (id, reason) => engine.cancelQueued(id, reason),
    explain: (list) => workers.withWaitingReasons(list),
  });
  const projects = createProjects({
    store: deps.projects,
    dataDir,
    limits: deps.projectSettings.limits,
    keep: deps.projectSettings.keepVersions,
    maxUploadBytes: deps.projectSettings.maxUploadBytes,
    ...(deps.runsLocally === undefined ? {} : { runsLocally: deps.runsLocally }),
  });
  // A run in a project works in a copy of its own: removed once it has finished.
  bus.subscribe(projects.onEvent);
  const savedPipelines = createSavedPipelines({ store: deps.savedPipelines });
  const pipelines = createPipelineRuns({
    store: deps.pipelineRuns,
    executions,
    bus,
    owner: deps.owner,
    ...(deps.isOwnerAlive === undefined ? {} : { isOwnerAlive: deps.isOwnerAlive }),
  });
  return {
    executions,
    jobs: createJobs({
      jobs: deps.jobs,
      scheduler,
      bus,
      secrets: deps.secretKeeper,
      backups: deps.snapshots !== undefined,
      settle: () => writer.flush(),
      pipelines: {
        savedPipeline: (name) => savedPipelines.get(name),
        pipelineRun: (id) => pipelines.get(id),
      },
    }),
    remote: createRemoteRuns({ store, bus, writer }),
    workers,
    users: createUsers({ users: deps.users, accessEnded, ...(deps.cli ? { audit } : {}) }),
    tokens: createApiTokens({ users: deps.users, accessEnded }),
    secrets: createSecrets({ keeper: deps.secretKeeper, documents: deps.secretDocuments }),
    events: { subscribe: (listener) => bus.subscribe(listener) },
    openLiveSource: ({ onError, pollMs }) =>
      createLiveSource({
        bus,
        store,
        owner: deps.owner,
        ...(changes === undefined ? {} : { changes }),
        onError,
        ...(pollMs === undefined ? {} : { pollMs }),
      }),
    writes: () => writer.health(),
    ...(deps.maintenance ? { maintenance: deps.maintenance } : {}),
    dataDirCare: createDataDirCare({
      dataDir,
      version: deps.version ?? 'unknown',
      ...(deps.snapshots ? { snapshots: deps.snapshots } : {}),
      ...(deps.consistency && deps.isOwnerAlive
        ? { verifyDeps: verifyDepsOf(deps, deps.consistency, deps.isOwnerAlive) }
        : {}),
    }),
    retention: createRetention({
      store,
      ...(deps.maintenance ? { maintenance: deps.maintenance } : {}),
      dataDir,
      // Read at each sweep: the settings' defaults under the limits the environment sets.
      policy: async () =>
        effectiveRetention((await deps.environments.readSettings()).retention, deps.retention ?? {}),
      jobPolicies: () => jobRetentionPolicies(deps.jobs),
      ...(deps.now ? { now: deps.now } : {}),
    }),
    audit,
    savedPipelines,
    pipelines,
    host: createHostMonitor({ sampler: deps.hostSampler, name: deps.owner.host, workers }),
    environments: createEnvironments({
      store: deps.environments,
      secrets: deps.secretKeeper,
      ...(deps.cli ? { audit } : {}),
      engine,
      cancel: (id) => executions.cancel(id, { reason: 'the environment was reset' }),
      environmentsDir: deps.environmentsDir,
      retentionFromEnvironment: deps.retention ?? {},
      onError: (error) => console.error(`environment build: ${(error as Error).message}`),
    }),
    projects,
  };
}

/**
 * The jobs with a policy of their own, read at each sweep (an edit applies at the next one). A job
 * that cannot be read keeps its runs (`{}`): its own policy is unknown, and the global one may be
 * shorter than it.
 */
async function jobRetentionPolicies(jobs: JobStore): Promise<Map<string, RetentionPolicy>> {
  const list = await jobs.listJobs();
  const policies = new Map<string, RetentionPolicy>();
  for (const job of list.jobs) if (job.retention !== undefined) policies.set(job.id, job.retention);
  for (const bad of list.unreadable) policies.set(bad.id, {});
  return policies;
}

function verifyDepsOf(
  deps: ApplicationDeps,
  consistency: StoreConsistency,
  isOwnerAlive: (owner: ExecutionOwner) => boolean,
) {
  return async () => ({
    consistency,
    isOwnerAlive,
    recoverInterrupted: () => deps.store.recoverInterrupted(isOwnerAlive),
    ...(deps.maintenance ? { maintenance: deps.maintenance } : {}),
  });
}
