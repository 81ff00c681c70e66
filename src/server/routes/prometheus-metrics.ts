import { Type } from '@sinclair/typebox';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { EXECUTION_STATUSES } from '../../core/statuses.js';
import type { ServerContext, StepflowApp } from '../build-server.js';
import { ErrorBodySchema } from '../../protocol/api-schemas.js';
import type { IngestMeter } from '../ingest-meter.js';
import type { StorageSizes } from '../../store/maintenance.js';

/**
 * `GET /metrics` in the Prometheus text format. The registry is this server's own (never
 * prom-client's global one), so two servers in one process, as in tests, do not share series.
 * Every StepFlow figure is read at scrape time: nothing is updated on the hot path.
 */
export function registerPrometheusMetrics(
  app: StepflowApp,
  context: ServerContext,
  ingest: IngestMeter,
): void {
  const { executions, maintenance } = context.app;
  const store = executions.reads;
  const writes = () => context.app.writes();
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  new Gauge({
    name: 'stepflow_executions',
    help: 'Stored executions by status (every process sharing the data dir).',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const counts = await store.countByStatus();
      for (const status of EXECUTION_STATUSES) this.set({ status }, counts[status]);
    },
  });
  new Gauge({
    name: 'stepflow_executions_active',
    help: 'Executions this server is running now.',
    registers: [registry],
    collect() {
      this.set(executions.active().filter((execution) => execution.status !== 'queued').length);
    },
  });
  new Gauge({
    name: 'stepflow_executions_queued',
    help: 'Executions waiting in this server’s queue (beyond MAX_CONCURRENT_TASKS).',
    registers: [registry],
    collect() {
      this.set(executions.active().filter((execution) => execution.status === 'queued').length);
    },
  });
  new Counter({
    name: 'stepflow_lines_ingested_total',
    help: 'Log lines received from running executions since the server started.',
    registers: [registry],
    collect() {
      // A counter cannot be set; the meter holds the running total, so mirror it.
      this.reset();
      this.inc(ingest.total());
    },
  });
  new Gauge({
    name: 'stepflow_websocket_clients',
    help: 'Connected WebSocket clients.',
    registers: [registry],
    collect() {
      this.set(context.liveClients());
    },
  });
  if (maintenance) {
    // Sizes from the backend's maintenance capability; a figure it cannot give has no sample.
    const sizeGauge = (
      name: string,
      help: string,
      read: (sizes: StorageSizes) => number | null | undefined,
    ) =>
      new Gauge({
        name,
        help,
        registers: [registry],
        async collect() {
          const value = read(await maintenance.sizes());
          if (typeof value === 'number') this.set(value);
          else this.remove();
        },
      });
    sizeGauge(
      'stepflow_db_bytes',
      'Size of the database on disk (SQLite: the database file).',
      (s) => s.dbBytes,
    );
    sizeGauge(
      'stepflow_wal_bytes',
      'Size of the SQLite write-ahead log (SQLite only).',
      (s) => s.sqlite?.walBytes,
    );
    sizeGauge(
      'stepflow_disk_free_bytes',
      'Space left on the file system holding the database (when the backend can see it).',
      (s) => s.diskFreeBytes,
    );
  }

  // For alerts (docs/OPERATIONS.md, "Monitoring with Prometheus"): runs waiting with no one to
  // take them show as a queue that only ages, whether workers are gone or the runner is saturated.
  new Gauge({
    name: 'stepflow_queue_oldest_seconds',
    help: 'Age of the oldest queued execution in the store (waiting for a slot or a worker); 0 when none waits.',
    registers: [registry],
    async collect() {
      const { items } = await store.listExecutions({ status: ['queued'], order: 'asc', limit: 1 });
      const oldest = items[0];
      this.set(oldest ? Math.max(0, (Date.now() - Date.parse(oldest.createdAt)) / 1000) : 0);
    },
  });
  new Gauge({
    name: 'stepflow_workers_live',
    help: 'Registered `stepflow worker` processes whose heartbeat is within their lease.',
    registers: [registry],
    async collect() {
      this.set((await context.app.workers.list()).filter((worker) => worker.live).length);
    },
  });

  registerHostGauges(registry, () => context.app.host.report());

  // The same figures as /api/health's `writes`: 1 while commits fail (the server is `degraded`).
  new Gauge({
    name: 'stepflow_store_writes_failing',
    help: '1 while commits to the store fail (disk full…) and output is held in memory, else 0.',
    registers: [registry],
    collect() {
      this.set(writes().error === null ? 0 : 1);
    },
  });
  new Gauge({
    name: 'stepflow_store_held_bytes',
    help: 'Log output held in memory (about) while commits fail; runs printing are stopped past STEPFLOW_WRITE_BUFFER_MB.',
    registers: [registry],
    collect() {
      this.set(writes().heldBytes);
    },
  });
  new Counter({
    name: 'stepflow_store_write_failures_total',
    help: 'Failed attempts at committing to the store since the server started.',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(writes().failedAttemptsTotal);
    },
  });

  // Retention (docs/RETENTION.md): what this process's sweeps removed since it started.
  const retention = () => context.app.retention.totals();
  new Counter({
    name: 'stepflow_retention_sweeps_total',
    help: 'Retention sweeps this server completed (background, POST /api/health/retention/sweep; dry runs not counted).',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(retention().sweeps);
    },
  });
  new Counter({
    name: 'stepflow_retention_freed_bytes_total',
    help: 'Bytes the retention sweeps of this server removed: log text (UTF-8) and artifact files.',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      const { logs, artifacts } = retention().freedBytes;
      this.reset();
      this.inc({ kind: 'logs' }, logs);
      this.inc({ kind: 'artifacts' }, artifacts);
    },
  });
  new Counter({
    name: 'stepflow_retention_runs_expired_total',
    help: 'Runs the retention sweeps of this server touched: deleted whole, log dropped, artifacts dropped.',
    labelNames: ['action'],
    registers: [registry],
    collect() {
      const totals = retention();
      this.reset();
      this.inc({ action: 'deleted' }, totals.runsDeleted);
      this.inc({ action: 'log_dropped' }, totals.logsDropped);
      this.inc({ action: 'artifacts_dropped' }, totals.artifactsDropped);
    },
  });

  app.get(
    '/metrics',
    {
      config: { permission: 'server:read' },
      schema: {
        tags: ['health'],
        summary: 'Prometheus metrics (text exposition format)',
        produces: [registry.contentType],
        response: { 200: Type.String(), 500: ErrorBodySchema, 503: ErrorBodySchema },
      },
    },
    async (_request, reply) => {
      const text = await registry.metrics();
      return reply.type(registry.contentType).send(text);
    },
  );
}

type HostReport = Awaited<ReturnType<ServerContext['app']['host']['report']>>;
type HostSampleOf = NonNullable<HostReport['hosts'][number]['current']>;

/**
 * The host monitor's figures (docs/DASHBOARD.md, "Host monitor"), one series per machine —
 * `host="server"` for this server's, `host="worker:<name>"` for each live worker's — from one read
 * of the monitor per scrape (every gauge of a scrape shares it). A figure the platform cannot read
 * has no sample.
 */
function registerHostGauges(registry: Registry, report: () => Promise<HostReport>): void {
  let scrape: { at: number; report: Promise<HostReport> } | undefined;
  const shared = (): Promise<HostReport> => {
    // Gauges are collected one after another within a scrape: within a second is the same scrape.
    if (scrape === undefined || Date.now() - scrape.at > 1000) scrape = { at: Date.now(), report: report() };
    return scrape.report;
  };
  const gauge = (name: string, help: string, read: (sample: HostSampleOf) => number | null | undefined) =>
    new Gauge({
      name,
      help,
      labelNames: ['host', 'kind', 'name'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const view of (await shared()).hosts) {
          const value = view.current === null ? undefined : read(view.current);
          if (typeof value === 'number') this.set({ host: view.id, kind: view.kind, name: view.name }, value);
        }
      },
    });
  gauge(
    'stepflow_host_cpu_percent',
    'Busy share of all cores of the machine (100 = every core busy).',
    (s) => s.cpu?.percent,
  );
  gauge('stepflow_host_load1', 'The machine’s 1-minute load average.', (s) => s.load?.one);
  gauge('stepflow_host_memory_used_bytes', 'Memory in use (total − available).', (s) => s.memory?.usedBytes);
  gauge('stepflow_host_memory_total_bytes', 'The machine’s memory.', (s) => s.memory?.totalBytes);
  gauge(
    'stepflow_host_disk_free_bytes',
    'Space an unprivileged process may still use on the data dir’s file system.',
    (s) => s.disk?.freeBytes,
  );
  gauge('stepflow_host_disk_total_bytes', 'Size of the data dir’s file system.', (s) => s.disk?.totalBytes);
  gauge(
    'stepflow_host_process_rss_bytes',
    'Resident memory of the StepFlow process (server or worker).',
    (s) => s.stepflow.rssBytes,
  );
  gauge(
    'stepflow_host_process_cpu_percent',
    'CPU of the StepFlow process (server or worker); 100 = one core.',
    (s) => s.stepflow.cpuPercent,
  );
}
