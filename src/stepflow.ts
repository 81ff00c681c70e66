import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_PROJECT_SETTINGS, type StepflowConfig } from './config.js';
import { limitHeapGrowth } from './heap-growth.js';
import type { Engine } from './engine/engine.js';
import type { EventBus } from './engine/event-bus.js';
import type { StoreWriter } from './engine/store-writer.js';
import { isOwnerAlive } from './runner/process-owner.js';
import { openRecoveredBackend } from './open-backend.js';
import { createStepflowEngine } from './stepflow-engine.js';
import type { ExecutionOwner } from './core/model.js';
import { createHostSampler } from './runner/host-sampler.js';
import { DATABASE_FILE } from './store/sqlite/open-database.js';
import { createNotifier, type Notifier } from './notify/notifier.js';
import { createScheduler, type Scheduler } from './scheduler/scheduler.js';
import { createApplication, type Application } from './app/application.js';
import { DEFAULT_WORKER_LEASE_MS } from './app/workers.js';
import { createJobPipelines } from './app/pipelines/job-pipelines.js';
import type { JobStore } from './store/job-store.js';
import type { StoreMaintenance } from './store/maintenance.js';
import { openSqliteStores } from './store/sqlite/open-sqlite-stores.js';
import { searchIndexPath } from './store/sqlite/search-index.js';
import { startSearchIndexer, type SearchIndexer } from './store/sqlite/start-search-indexer.js';
import type { ExecutionStore } from './store/store.js';
import { createDataDirCare, type DataDirCare } from './app/data-dir-care.js';
import { sqliteSnapshots } from './store/sqlite/sqlite-snapshots.js';
import { VERSION } from './version.js';
import type { MigrationBackup } from './app/backup/backup-before-migrate.js';

/** Everything a StepFlow process needs, built and connected in one place. */
export interface Stepflow {
  config: StepflowConfig;
  /** What the server and the CLI call: the use cases. The parts below are for this root and tests. */
  app: Application;
  /** The execution store port; which backend is behind it is decided here only. */
  store: ExecutionStore;
  /** Database sizes, optimize, integrity check: when the backend has them (SQLite does, PostgreSQL not yet). */
  maintenance?: StoreMaintenance;
  bus: EventBus;
  engine: Engine;
  writer: StoreWriter;
  /** Saved jobs, their fire history and webhook deliveries (docs/JOBS.md). */
  jobs: JobStore;
  /** Fires jobs; built here, started only by the server (`stepflow run` and `ls` never fire jobs). */
  scheduler: Scheduler;
  notifier: Notifier;
  /** The background search indexer (docs/SEARCH.md), when this process runs one (the server). */
  searchIndexer?: SearchIndexer;
  /** Ids of executions found orphaned by a dead process and marked `interrupted` at open. */
  recovered: string[];
  /** This process as the owner of the executions it runs (the live hub tails the others). */
  owner: ExecutionOwner;
  /** Stops running executions, flushes, closes the store (reverse order of construction). */
  close(): Promise<void>;
  /** The backup taken because this start migrated the schema (docs/OPERATIONS.md, "Upgrade"). */
  migrationBackup?: MigrationBackup;
}

export interface StepflowOptions {
  /**
   * Start processes from a helper process (see spawn-helper.ts): for the server, whose event loop
   * must not stop for each spawn. A CLI run starts one process and spawns itself.
   */
  spawnHelper?: boolean;
  /**
   * Keep the search index file up with the logs in a worker thread: for the server. `stepflow run`
   * does not (its searches read what is not indexed directly), so a CLI run never pays for it.
   * SQLite only: on PostgreSQL there is no index file (docs/POSTGRES.md).
   */
  searchIndexer?: boolean;
  /**
   * Pack ended runs' log text while the store is idle (SQLite: StoreMaintenance.packLogsWhenIdle):
   * for the server, which lives long enough to be idle. A CLI run never pays for it.
   */
  packLogsWhenIdle?: boolean;
  /** The CLI acting on the store itself (`stepflow users …`): its user changes are audited as `local`. */
  cli?: boolean;
}

/** This build's CLI (`bin/stepflow.js` beside `dist/`), started by the Node running this process. */
function ownCommand(dataDir: string): { argv: string[]; env: Record<string, string> } {
  const cli = fileURLToPath(new URL('../bin/stepflow.js', import.meta.url));
  return { argv: [process.execPath, cli], env: { STEPFLOW_STORAGE_PATH: dataDir } };
}

/** The database file of a data dir (the embedded store's): how the CLI tells a data dir or spool. */
export function dataDirDatabase(dataDir: string): string {
  return path.join(dataDir, DATABASE_FILE);
}

/** The composition root: the only place that picks concrete adapters. */
export async function createStepflow(
  config: StepflowConfig,
  options: StepflowOptions = {},
): Promise<Stepflow> {
  limitHeapGrowth();
  const { backend, recovered, migrationBackup } = await openRecoveredBackend(config);
  const {
    store,
    jobs,
    maintenance,
    workers,
    snapshots,
    consistency,
    users,
    secrets,
    audit,
    savedPipelines,
    pipelineRuns,
    environments,
    projects,
  } = backend;
  if (options.packLogsWhenIdle) maintenance?.packLogsWhenIdle?.();
  const { bus, writer, engine, dispatch, requestCancel, secretKeeper, owner, environmentsDir, ...runs } =
    createStepflowEngine(config, backend, recovered, { spawnHelper: options.spawnHelper ?? false });
  const searchIndexer =
    options.searchIndexer && config.database === undefined
      ? startSearchIndexer({
          mainFile: dataDirDatabase(config.dataDir),
          indexFile: searchIndexPath(config.dataDir),
          // It retries by itself; searches stay exact meanwhile (they read the rest directly).
          onError: (message) => console.error(`search indexer: ${message}`),
        })
      : undefined;
  const notifier = createNotifier({
    jobs,
    store,
    pipelineRuns,
    flush: writer.flush,
    openSecret: (secret) => secretKeeper.openWebhookSecret(secret),
  });
  const scheduler = createScheduler({
    jobs,
    engine: dispatch,
    bus,
    // Through the application: a job's run on a worker or another replica is cancelled there too.
    cancelRun: (executionId, reason) => app.executions.cancel(executionId, { reason }),
    // Backup jobs (SQLite only) run this build's CLI on this data dir.
    ...(snapshots ? { ownCommand: ownCommand(config.dataDir) } : {}),
    // A project job's run works in a copy of the project, made at each fire (a worker's: fetched there).
    projectPlace: (project, cwd, runsOn) => app.projects.place(project, cwd, runsOn),
    // A pipeline job's fires start runs of its saved pipeline (docs/JOBS.md, "Pipeline jobs").
    pipelines: createJobPipelines(() => app),
  });
  const unsubscribeNotifier = bus.subscribe(notifier.handle);
  const app = createApplication({
    store,
    jobs,
    engine: dispatch,
    writer,
    bus,
    scheduler,
    requestCancel,
    owner,
    maintenance,
    dataDir: config.dataDir,
    workers,
    workerLeaseMs: config.workerLeaseMs ?? DEFAULT_WORKER_LEASE_MS,
    ...(snapshots ? { snapshots } : {}),
    ...(consistency ? { consistency } : {}),
    isOwnerAlive,
    version: VERSION,
    ...(config.clusterMaxRunning !== undefined ? { clusterMaxRunning: config.clusterMaxRunning } : {}),
    ...(config.retention ? { retention: config.retention } : {}),
    users,
    secretKeeper,
    secretDocuments: secrets,
    audit,
    ...(options.cli ? { cli: true } : {}),
    savedPipelines,
    pipelineRuns,
    hostSampler: createHostSampler({ diskPath: config.dataDir }),
    environments,
    environmentsDir,
    projects,
    projectSettings: config.projects ?? DEFAULT_PROJECT_SETTINGS,
    runsLocally: config.runsLocally ?? true,
  });

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      // The scheduler first, so nothing fires into an engine that is shutting down.
      await scheduler.stop();
      // Pipeline runs stop being driven before their nodes are cancelled by the engine's shutdown.
      app.pipelines.close();
      // A sweep stops after its current batch, before the store closes under it.
      await app.retention.close();
      await searchIndexer?.close();
      await runs.stopRuns();
      unsubscribeNotifier();
      await notifier.close();
      await runs.closeWrites();
      app.host.close();
      await app.audit.flush();
      await jobs.close();
      await store.close();
    })());

  return {
    config,
    app,
    store,
    maintenance,
    bus,
    engine,
    writer,
    jobs,
    scheduler,
    notifier,
    ...(searchIndexer ? { searchIndexer } : {}),
    recovered,
    owner,
    close,
    ...(migrationBackup ? { migrationBackup } : {}),
  };
}

/**
 * Backup, restore and verify for one CLI command (`stepflow backup|restore|verify`), without the
 * engine and without crash recovery: verify must see a dead owner's runs as they are, and restore
 * opens no store at all. The store is opened only when verify needs it.
 */
export function openDataDirCare(config: StepflowConfig): { care: DataDirCare; close(): Promise<void> } {
  const { dataDir } = config;
  if (config.database !== undefined) {
    return { care: createDataDirCare({ dataDir, version: VERSION }), close: async () => undefined };
  }
  let opened: Awaited<ReturnType<typeof openSqliteStores>> | undefined;
  const care = createDataDirCare({
    dataDir,
    version: VERSION,
    snapshots: sqliteSnapshots,
    verifyDeps: async () => {
      opened ??= await openSqliteStores({ dataDir });
      const { store, maintenance, consistency } = opened;
      return {
        consistency,
        maintenance,
        isOwnerAlive,
        recoverInterrupted: () => store.recoverInterrupted(isOwnerAlive),
      };
    },
  });
  return { care, close: async () => opened?.store.close() };
}
