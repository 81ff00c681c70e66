import * as path from 'node:path';
import { rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_PROJECT_SETTINGS, loadConfig } from '../../config.js';
import { ERROR_CODES, StepflowError, isStepflowError } from '../../core/errors.js';
import type { RunSpec } from '../../core/model.js';
import { parseLabelList, type WorkerIdentity } from '../../core/workers.js';
import type { ClaimReply } from '../../protocol/worker-schemas.js';
import { createStepflow } from '../../stepflow.js';
import { VERSION } from '../../version.js';
import { createRemoteClient } from '../remote/remote-client.js';
import { spoolActivity, startRemoteReporter, type RemoteReporter } from '../remote/remote-reporter.js';
import { deliveryTarget, say } from '../remote/remote-run.js';
import { createSpoolDir } from '../remote/spool-dir.js';
import { createWorkerClient, WorkerRequestError } from './worker-client.js';
import { createProjectCache, DEFAULT_CACHED_VERSIONS, type ProjectCheckout } from './project-cache.js';

export interface WorkerOptions {
  server: string;
  slots?: string;
  labels?: string;
  name?: string;
  /** Seconds SIGTERM lets running runs finish before cancelling them (default 60). */
  grace?: string;
  serverWait?: string;
}

const CLAIM_WAIT_SECONDS = 25;
/** While it holds runs: a cancel reaches it within about this long. */
const BUSY_HEARTBEAT_MS = 1000;
const IDLE_HEARTBEAT_MS = 5000;
const ATTEMPT_HEADER = 'stepflow-attempt';

interface Held {
  localId: string;
  attempt: number;
  reporter: RemoteReporter;
  cancelled: boolean;
}

const usage = (message: string) => new StepflowError(ERROR_CODES.USAGE, message);

/**
 * `stepflow worker --server URL` (docs/WORKERS.md): claims queued runs from the server (one
 * long-poll per free slot), runs each with the same engine as `stepflow run` in a local spool, and
 * reports it through the remote-ingest path of `run --server` (idempotent batches, spooled while the
 * server is unreachable), each report carrying the claim's attempt. Heartbeats keep its leases and
 * bring cancel requests. SIGTERM/SIGINT: stop claiming, let runs finish for the grace period, then
 * cancel them, deliver, exit.
 */
export async function workerCommand(
  options: WorkerOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const slots = positiveInteger(options.slots ?? '1', '--slots');
  const graceMs = positiveInteger(options.grace ?? '60', '--grace', true) * 1000;
  const labels = parseLabelList(options.labels ?? '', '--labels');
  const name = options.name ?? hostname();
  if (name === '' || name.length > 128) throw usage('--name must be 1 to 128 characters');
  const token = env.STEPFLOW_WORKER_TOKEN || env.STEPFLOW_TOKEN || undefined;
  const { serverUrl, waitMs } = deliveryTarget(
    {
      server: options.server,
      ...(token ? { token } : {}),
      ...(options.serverWait ? { serverWait: options.serverWait } : {}),
    },
    env,
  );
  const identity: WorkerIdentity = { name, host: hostname(), labels, slots, version: VERSION };
  const client = createWorkerClient({ baseUrl: serverUrl, token });

  const spoolDir = await createSpoolDir(env);
  // Log limits leave gaps in seqs, which the server's batches refuse (as for `run --server`).
  const config = loadConfig(env);
  const stepflow = await createStepflow({
    ...config,
    dataDir: spoolDir,
    // Its environments outlive the spool: under the worker host's own data dir.
    environmentsDir: path.join(config.dataDir, 'envs'),
    defaultLimits: {},
    maxConcurrent: slots,
  });
  // Its project versions outlive the spool too; not `projects/`, which a server on this data dir owns.
  const projectSettings = config.projects ?? DEFAULT_PROJECT_SETTINGS;
  const projectCache = createProjectCache({
    dir: path.join(config.dataDir, 'worker-projects'),
    serverUrl,
    token,
    limits: projectSettings.limits,
    maxDownloadBytes: projectSettings.maxUploadBytes,
    onError: (message) => say(`stepflow worker: ${message}`),
    keep: positiveInteger(
      env.STEPFLOW_WORKER_PROJECT_CACHE_VERSIONS || String(DEFAULT_CACHED_VERSIONS),
      'STEPFLOW_WORKER_PROJECT_CACHE_VERSIONS',
    ),
  });
  const held = new Map<string, Held>();
  /** Claimed runs whose project version is being fetched: their leases are kept meanwhile. */
  const preparing = new Map<string, number>();
  const stopClaiming = new AbortController();
  const stopHeartbeats = new AbortController();
  const stopFetching = new AbortController();
  let fatal: string | undefined;
  let undelivered = 0;

  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopClaiming.signal.aborted) return;
    say(
      `stepflow worker: ${signal}: no longer claiming; ${held.size} run(s) may finish within ${graceMs / 1000} s, then are cancelled`,
    );
    stopClaiming.abort();
    // Past the grace period, what still runs is cancelled (and its end delivered).
    graceTimer = setTimeout(() => {
      // A download still going would start a run nobody then stops: it ends (its run fails) now.
      stopFetching.abort(new Error(`worker ${name} is stopping`));
      for (const id of held.keys()) cancelLocal(id, `worker ${name} is stopping`);
    }, graceMs);
  };
  let graceTimer: NodeJS.Timeout | undefined;
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  const cancelLocal = (serverId: string, reason: string): void => {
    const run = held.get(serverId);
    if (!run || run.cancelled) return;
    run.cancelled = true;
    stepflow.app.executions.cancel(run.localId, { reason }).catch((error: unknown) => {
      // It ended meanwhile: its end is being delivered, nothing to stop.
      if (isStepflowError(error) && error.code === ERROR_CODES.CONFLICT) return;
      say(
        `stepflow worker: could not stop ${serverId}: ${error instanceof Error ? error.message : String(error)}`,
      );
    });
  };

  // Ends the heartbeat's idle wait when a run is claimed: its lease runs from the claim, and the
  // server's lease may be shorter than the idle interval.
  let nap = new AbortController();
  // A server older than the host monitor refuses the field (unknown fields are errors): stop sending it.
  let sendHost = true;
  const hostSample = async () => {
    if (!sendHost) return undefined;
    try {
      return await stepflow.app.host.read();
    } catch {
      // The machine could not be read this time: the heartbeat matters more than the figures.
      return undefined;
    }
  };
  const heartbeat = async (runs: { executionId: string; attempt: number }[]) => {
    try {
      return await client.heartbeat(identity, runs, stopHeartbeats.signal, await hostSample());
    } catch (error) {
      if (!sendHost || !(error instanceof WorkerRequestError) || !/unknown field "host"/.test(error.message))
        throw error;
      sendHost = false;
      say(`stepflow worker: ${serverUrl} predates the host monitor; heartbeats go without host figures`);
      return client.heartbeat(identity, runs, stopHeartbeats.signal);
    }
  };
  const heartbeats = (async () => {
    let failing = false;
    while (!stopHeartbeats.signal.aborted) {
      try {
        const runs = [
          ...[...held].map(([executionId, run]) => ({ executionId, attempt: run.attempt })),
          ...[...preparing].map(([executionId, attempt]) => ({ executionId, attempt })),
        ];
        const reply = await heartbeat(runs);
        if (failing) say(`stepflow worker: ${serverUrl} reachable again`);
        failing = false;
        for (const id of reply.cancel) cancelLocal(id, `requested on ${serverUrl}`);
        for (const id of reply.stale)
          cancelLocal(id, `${serverUrl} no longer counts this worker's attempt (lost)`);
      } catch (error) {
        if (stopHeartbeats.signal.aborted) break;
        if (!failing)
          say(`stepflow worker: heartbeat to ${serverUrl} failed (${(error as Error).message}); retrying`);
        failing = true;
      }
      nap = new AbortController();
      await sleep(held.size + preparing.size > 0 ? BUSY_HEARTBEAT_MS : IDLE_HEARTBEAT_MS, undefined, {
        signal: AbortSignal.any([stopHeartbeats.signal, nap.signal]),
      }).catch(() => undefined);
    }
  })();

  const runClaimed = async (claim: ClaimReply): Promise<void> => {
    const serverId = claim.executionId;
    const claimed = claim.spec as unknown as RunSpec;
    let spec = localSpec(claimed);
    let checkout: ProjectCheckout | undefined;
    if (claimed.project?.id !== undefined) {
      const { id, name, version } = claimed.project;
      // A download may outlast the lease: heartbeats hold the claim while it goes.
      preparing.set(serverId, claim.attempt);
      nap.abort();
      try {
        checkout = await projectCache.checkout({ id, name, version }, claimed.cwd, stopFetching.signal);
        spec = { ...spec, cwd: checkout.cwd };
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        say(`stepflow worker: ${serverId}: ${reason}`);
        spec = cannotStart(spec, reason);
      } finally {
        preparing.delete(serverId);
      }
    }
    let local;
    try {
      local = await stepflow.app.executions.run(spec);
    } catch (error) {
      await checkout?.release();
      // A spec this host cannot take (refused before any process started): its lease will expire.
      say(`stepflow worker: could not start ${serverId}: ${(error as Error).message}`);
      return;
    }
    const reporter = startRemoteReporter({
      store: stepflow.app.executions.reads,
      executionId: local.execution.id,
      remoteId: serverId,
      client: createRemoteClient({
        baseUrl: serverUrl,
        token,
        headers: { [ATTEMPT_HEADER]: String(claim.attempt) },
      }),
      serverUrl,
      spoolDir,
      say,
      activity: spoolActivity(stepflow.app),
      onCancelRequested: () => cancelLocal(serverId, `requested on ${serverUrl}`),
    });
    held.set(serverId, { localId: local.execution.id, attempt: claim.attempt, reporter, cancelled: false });
    nap.abort();
    process.stdout.write(`claimed ${serverId} (attempt ${claim.attempt}): ${local.execution.name}\n`);
    const final = await local.done;
    await checkout?.release().catch((error: unknown) => {
      // Litter under the worker's data dir, not a reason to lose the run's report.
      say(`stepflow worker: could not remove the copy of ${serverId}: ${(error as Error).message}`);
    });
    const outcome = await reporter.finish(waitMs);
    reporter.stop('delivered');
    held.delete(serverId);
    if (outcome.delivered) {
      await stepflow.app.executions.delete(local.execution.id).catch(() => undefined);
      process.stdout.write(`finished ${serverId}: ${final.status}\n`);
    } else {
      undelivered++;
      say(
        `stepflow worker: ${serverId} did not all reach ${serverUrl} (${outcome.reason}); kept in ${spoolDir}`,
      );
    }
  };

  const slot = async (): Promise<void> => {
    let failures = 0;
    while (!stopClaiming.signal.aborted && fatal === undefined) {
      let claim: ClaimReply | undefined;
      try {
        claim = await client.claim(identity, CLAIM_WAIT_SECONDS, stopClaiming.signal);
        failures = 0;
      } catch (error) {
        if (stopClaiming.signal.aborted) break;
        if (error instanceof WorkerRequestError && error.fatal) {
          const hint = /^40[13]/.test(error.message)
            ? ' (a worker sends STEPFLOW_WORKER_TOKEN, which the server must have too, or an API key)'
            : '';
          fatal = `${serverUrl} refused this worker: ${error.message}${hint}`;
          stopClaiming.abort();
          break;
        }
        if (failures === 0)
          say(`stepflow worker: cannot reach ${serverUrl} (${(error as Error).message}); retrying`);
        failures++;
        await sleep(Math.min(5000, 250 * 2 ** failures), undefined, { signal: stopClaiming.signal }).catch(
          () => undefined,
        );
        continue;
      }
      if (claim) await runClaimed(claim);
    }
  };

  process.stdout.write(
    `stepflow worker ${name}: claiming runs from ${serverUrl} (labels: ${labels.join(',') || 'none'}; slots: ${slots})\n`,
  );
  try {
    await Promise.all(Array.from({ length: slots }, () => slot()));
  } finally {
    stopClaiming.abort();
    clearTimeout(graceTimer);
    stopHeartbeats.abort();
    await heartbeats;
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    await stepflow.close();
  }
  if (fatal !== undefined) {
    say(`stepflow worker: ${fatal}`);
    await rm(spoolDir, { recursive: true, force: true });
    return 1;
  }
  if (undelivered === 0) await rm(spoolDir, { recursive: true, force: true });
  say(`stepflow worker ${name}: stopped`);
  return undelivered === 0 ? 0 : 75;
}

/**
 * The claimed spec as this host runs it: no labels (it is here), no log limits (see above), no
 * project (the server keeps it; its cwd is set to this host's copy).
 */
function localSpec({ runsOn: _runsOn, project: _project, limits, ...spec }: RunSpec): RunSpec {
  if (limits === undefined) return spec;
  const { maxLines: _lines, maxLogBytes: _bytes, logLimitPolicy: _policy, ...kept } = limits;
  return Object.keys(kept).length === 0 ? spec : { ...spec, limits: kept };
}

/**
 * A run that only says why the claimed one cannot start here (its project version could not be
 * fetched): it ends `failed` with `reason` as its error, through the same report as any run, so
 * the run never waits for a lease to expire. The server keeps the claimed command (app/remote-runs.ts).
 */
function cannotStart(spec: RunSpec, reason: string): RunSpec {
  const { command: _command, argv: _argv, environment: _env, pythonEnvironment: _python, ...rest } = spec;
  return {
    ...rest,
    argv: [
      process.execPath,
      '-e',
      "process.stdout.write('STEP_ERROR:' + process.argv[1].replace(/\\s+/g, ' ') + '\\n'); process.exitCode = 1",
      reason,
    ],
    cwd: tmpdir(),
  };
}

function positiveInteger(raw: string, flag: string, zero = false): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || (!zero && value < 1) || value > 1000) {
    throw usage(
      `${flag} expects a whole number${zero ? '' : ' from 1'} up to 1000, got ${JSON.stringify(raw)}`,
    );
  }
  return value;
}
