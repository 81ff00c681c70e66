import type { Execution } from '../core/model.js';
import type { HostSample } from '../core/host.js';
import { isWorkerLive, waitingReason, type WorkerIdentity, type WorkerRecord } from '../core/workers.js';
import type { EventBus } from '../engine/event-bus.js';
import type { SecretKeeper } from '../secrets/secret-keeper.js';
import type { StoreChange } from '../store/store.js';
import type {
  ClaimedExecution,
  HeartbeatResult,
  HeldClaim,
  WorkerHostSample,
  WorkerStore,
} from '../store/worker-store.js';

/** A registered worker as the API shows it. */
interface WorkerView extends WorkerRecord {
  /** Heard from within the lease; a stale one takes no runs (and its runs are being lost). */
  live: boolean;
}

/** The worker use cases (docs/WORKERS.md): what `/api/workers/*` calls. */
export interface Workers {
  /** How long a worker may stay silent before its runs are `lost` (STEPFLOW_WORKER_LEASE_SECONDS). */
  readonly leaseMs: number;
  /**
   * Claims a run for `worker`, waiting up to `waitMs` for one to be submitted (woken at once when
   * one is). Undefined when none came, or `signal` aborted (the worker hung up).
   */
  claim(
    worker: WorkerIdentity,
    options: { waitMs: number; signal: AbortSignal },
  ): Promise<ClaimedExecution | undefined>;
  /** `host`: the worker's machine now (the host monitor), stamped with this server's clock and kept. */
  heartbeat(worker: WorkerIdentity, held: readonly HeldClaim[], host?: HostSample): Promise<HeartbeatResult>;
  /** Each registered worker's latest host sample, by name (from whichever replica heard it). */
  hostSamples(): Promise<WorkerHostSample[]>;
  /** Ends as `lost` the runs whose worker has been silent for the lease; returns them. */
  expireLeases(): Promise<Execution[]>;
  list(): Promise<WorkerView[]>;
  /** The executions with `waitingFor` set on each queued run for workers that no live worker can take. */
  withWaitingReasons<T extends Execution>(executions: readonly T[]): Promise<T[]>;
}

/**
 * Runs submitted in another process (another API replica) publish nothing here: a waiting claim is
 * woken by the store's change notices where it has them (PostgreSQL), and looks at the store again
 * this often anyway, besides being woken by this process's submissions.
 */
const FOREIGN_SUBMIT_CHECK_MS = 5000;

/** How long a worker may stay silent when STEPFLOW_WORKER_LEASE_SECONDS is not set. */
export const DEFAULT_WORKER_LEASE_MS = 30_000;

export function createWorkers({
  workers,
  bus,
  secrets,
  leaseMs,
  maxRunning,
  changes,
  now = Date.now,
}: {
  workers: WorkerStore;
  bus: EventBus;
  /**
   * Opens a claimed run's sealed secrets: the worker needs the values, and they travel only over
   * its authenticated connection (docs/SECRETS.md).
   */
  secrets: Pick<SecretKeeper, 'open'>;
  leaseMs: number;
  /**
   * At most this many runs `running` across the database (MAX_CONCURRENT_TASKS when set): claims
   * beyond it take nothing, and queued runs say why they wait. Every replica must set the same.
   */
  maxRunning?: number;
  /** The store's change notices (ExecutionStore.onChange), when it has them. */
  changes?: (listener: (change: StoreChange) => void) => () => void;
  now?: () => number;
}): Workers {
  const waiters = new Set<() => void>();
  const limits = maxRunning === undefined ? {} : { maxRunning };
  // Counts wake-ups, so a claim sees one that came while its query ran (no waiter was set then).
  let wakeUps = 0;
  const wakeAll = (): void => {
    wakeUps++;
    for (const wake of [...waiters]) wake();
  };
  bus.subscribe((event) => {
    // Under a cluster limit, a run ending here frees a place as much as a new run is a chance.
    const chance =
      (event.type === 'execution.queued' && event.execution.runsOn !== undefined) ||
      (event.type === 'execution.finished' && maxRunning !== undefined);
    if (chance) wakeAll();
  });
  // Subscribed at the first waiting claim (it may open a connection), for the process's life.
  let listening = false;
  const listenForQueued = (): void => {
    if (listening || changes === undefined) return;
    listening = true;
    changes((change) => {
      // A run ended on another replica frees a place under a cluster limit, as one ending here does.
      if (change === 'queued' || (change === 'ended' && maxRunning !== undefined)) wakeAll();
    });
  };
  const iso = (): string => new Date(now()).toISOString();

  /** Resolves when a run is submitted here, after `ms`, or on abort, whichever is first. */
  const nextChance = (ms: number, signal: AbortSignal): Promise<void> =>
    new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        waiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      waiters.add(done);
      signal.addEventListener('abort', done);
    });

  const claimNow = async (worker: WorkerIdentity): Promise<ClaimedExecution | undefined> => {
    const claimed = await workers.claimExecution(worker, iso(), limits);
    if (claimed !== undefined) {
      const { execution } = claimed;
      bus.publish({ type: 'execution.started', executionId: execution.id, execution });
      return { ...claimed, spec: secrets.open(claimed.spec) };
    }
    return claimed;
  };

  return {
    leaseMs,
    async claim(worker, { waitMs, signal }) {
      const deadline = now() + waitMs;
      listenForQueued();
      for (;;) {
        const before = wakeUps;
        const claimed = await claimNow(worker);
        if (claimed !== undefined || signal.aborted) return claimed;
        const left = deadline - now();
        if (left <= 0) return undefined;
        if (wakeUps !== before) continue;
        await nextChance(Math.min(left, FOREIGN_SUBMIT_CHECK_MS), signal);
      }
    },
    // The server's clock, not the worker's: every host's samples line up on one time axis.
    heartbeat: (worker, held, host) =>
      workers.heartbeat(worker, held, iso(), host === undefined ? undefined : { ...host, ts: now() }),
    hostSamples: () => workers.workerHostSamples(),
    async expireLeases() {
      const lost = await workers.expireClaims(new Date(now() - leaseMs).toISOString(), leaseMs, iso());
      for (const execution of lost) {
        bus.publish({ type: 'execution.finished', executionId: execution.id, execution });
      }
      return lost;
    },
    async list() {
      const nowMs = now();
      return (await workers.listWorkers()).map((worker) => ({
        ...worker,
        live: isWorkerLive(worker, leaseMs, nowMs),
      }));
    },
    withWaitingReasons: waitingReasons({ workers, leaseMs, maxRunning, now }),
  };
}

/**
 * `Workers.withWaitingReasons` on its own, for a reader that needs nothing else of the workers
 * (the read-only commands, `stepflow-reads.ts`): why each queued run for workers still waits.
 */
export function waitingReasons({
  workers,
  leaseMs,
  maxRunning,
  now = Date.now,
}: {
  workers: Pick<WorkerStore, 'listWorkers' | 'countRunning'>;
  leaseMs: number;
  maxRunning?: number | undefined;
  now?: () => number;
}): Workers['withWaitingReasons'] {
  return async (executions) => {
    const waiting = (e: Execution): boolean => e.status === 'queued' && e.runsOn !== undefined && !e.worker;
    if (!executions.some(waiting)) return [...executions];
    const nowMs = now();
    const live = (await workers.listWorkers()).filter((w) => isWorkerLive(w, leaseMs, nowMs));
    const cluster =
      maxRunning === undefined ? undefined : { running: await workers.countRunning(), maxRunning };
    return executions.map((execution) => {
      if (!waiting(execution)) return execution;
      const reason = waitingReason(execution.runsOn ?? [], live, cluster);
      return reason === undefined ? execution : { ...execution, waitingFor: reason };
    });
  };
}
