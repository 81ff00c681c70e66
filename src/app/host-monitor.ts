import type { HostSample, HostSampler } from '../core/host.js';
import type { Workers } from './workers.js';

/** What the host monitor says of one machine: this server, or a live worker. */
interface HostView {
  /** `server` for this process's machine, `worker:<name>` for a worker. */
  id: string;
  kind: 'server' | 'worker';
  /** The server's host name, or the worker's name. */
  name: string;
  /** The machine's host name (a worker's `host`). */
  host: string;
  /** The latest sample; null for a worker that has sent none to this server (an older version). */
  current: HostSample | null;
  /** Samples of the last {@link HostMonitor.historyMs}, oldest first (the current one last). */
  history: HostSample[];
}

/** One new sample, as the `host` live topic sends it. */
export interface HostUpdate {
  id: string;
  kind: 'server' | 'worker';
  name: string;
  host: string;
  sample: HostSample;
}

interface HostReport {
  intervalMs: number;
  historyMs: number;
  /** Whether this server samples its machine now: only while someone watches the `host` topic. */
  sampling: boolean;
  hosts: HostView[];
}

/**
 * The host monitor (docs/DASHBOARD.md, "Host monitor"): samples this machine every
 * {@link intervalMs} while someone watches and never otherwise, keeps the last minutes of samples
 * for the charts, and picks up the samples workers send with their heartbeats from the store (one
 * query per interval while watched), so every replica shows every worker.
 */
export interface HostMonitor {
  readonly intervalMs: number;
  readonly historyMs: number;
  /** Calls `listener` with every new sample (this machine's and workers') until the returned function is called. */
  watch(listener: (update: HostUpdate) => void): () => void;
  /** This machine, now (a worker sends it with each heartbeat). */
  read(): Promise<HostSample>;
  /** This server's machine first, then every live worker. */
  report(): Promise<HostReport>;
  close(): void;
}

interface Ring {
  view: Omit<HostView, 'current' | 'history'>;
  samples: HostSample[];
}

export function createHostMonitor({
  sampler,
  name,
  workers,
  intervalMs = 2000,
  historyMs = 10 * 60_000,
  now = Date.now,
}: {
  sampler: HostSampler;
  /** This machine's host name. */
  name: string;
  /** The registry: which workers are live, and their latest samples. */
  workers?: Pick<Workers, 'list' | 'hostSamples'>;
  intervalMs?: number;
  historyMs?: number;
  now?: () => number;
}): HostMonitor {
  const own: Ring = { view: { id: 'server', kind: 'server', name, host: name }, samples: [] };
  const workerRings = new Map<string, Ring>();
  const listeners = new Set<(update: HostUpdate) => void>();
  let timer: NodeJS.Timeout | undefined;
  // One read at a time: the sampler's rates are differences from its previous read.
  let reading: Promise<HostSample> | undefined;

  const read = (): Promise<HostSample> => {
    const next = (reading ?? Promise.resolve()).then(
      () => sampler.read(),
      () => sampler.read(),
    );
    reading = next;
    return next;
  };

  const push = (ring: Ring, sample: HostSample): void => {
    ring.samples.push(sample);
    const cutoff = now() - historyMs;
    while ((ring.samples[0]?.ts ?? cutoff) < cutoff) ring.samples.shift();
    const update: HostUpdate = { ...ring.view, sample };
    for (const listener of [...listeners]) listener(update);
  };

  /** Appends each worker's stored sample that is newer than what its ring holds. */
  const pollWorkers = async (): Promise<void> => {
    for (const { name: workerName, host, sample } of (await workers?.hostSamples()) ?? []) {
      const id = `worker:${workerName}`;
      let ring = workerRings.get(id);
      if (ring === undefined || ring.view.host !== host) {
        ring = { view: { id, kind: 'worker', name: workerName, host }, samples: [] };
        workerRings.set(id, ring);
      }
      if (sample.ts > (ring.samples.at(-1)?.ts ?? Number.NEGATIVE_INFINITY)) push(ring, sample);
    }
  };

  const tick = (): void => {
    read().then(
      (sample) => {
        if (timer !== undefined) push(own, sample);
      },
      // A sample that cannot be read is skipped; the next tick tries again.
      () => undefined,
    );
    // A store that cannot answer now leaves the workers' charts a tick behind; the next one catches up.
    pollWorkers().catch(() => undefined);
  };

  const start = (): void => {
    timer = setInterval(tick, intervalMs);
    timer.unref();
    tick();
  };
  const stop = (): void => {
    clearInterval(timer);
    timer = undefined;
  };

  return {
    intervalMs,
    historyMs,
    watch(listener) {
      listeners.add(listener);
      if (timer === undefined) start();
      return () => {
        if (listeners.delete(listener) && listeners.size === 0) stop();
      };
    },
    read,
    async report() {
      await pollWorkers();
      const latest = own.samples.at(-1);
      // Nobody watches: one fresh reading answers, without starting the sampling or keeping it.
      const current = timer !== undefined && latest !== undefined ? latest : await read();
      const hosts: HostView[] = [{ ...own.view, current, history: [...own.samples] }];
      const cutoff = now() - historyMs;
      for (const worker of (await workers?.list()) ?? []) {
        const id = `worker:${worker.name}`;
        const ring = workerRings.get(id);
        if (!worker.live) {
          workerRings.delete(id);
          continue;
        }
        const history = (ring?.samples ?? []).filter((sample) => sample.ts >= cutoff);
        hosts.push({
          id,
          kind: 'worker',
          name: worker.name,
          host: worker.host,
          current: history.at(-1) ?? null,
          history,
        });
      }
      // Workers gone from the registry (or silent for the whole history) are forgotten here.
      for (const [id, ring] of workerRings)
        if ((ring.samples.at(-1)?.ts ?? 0) < cutoff) workerRings.delete(id);
      return { intervalMs, historyMs, sampling: timer !== undefined, hosts };
    },
    close() {
      stop();
      listeners.clear();
    },
  };
}
