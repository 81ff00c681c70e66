/**
 * The host monitor's vocabulary (docs/DASHBOARD.md, "Host monitor"): what one sample of a machine
 * says — the server's own, or a worker's sent with its heartbeat. Pure types; the sampler that
 * reads /proc and statfs is `runner/host-sampler.ts`.
 *
 * Every figure is nullable: a platform without `/proc` (macOS, Windows) has no swap, network or
 * process count to read, and {@link HostSample.unavailable} names what is missing instead of the
 * sampler failing.
 */

/** What a sample can lack on a platform: the names of its nullable parts. */
export const HOST_SAMPLE_PARTS = [
  'cpu',
  'load',
  'memory',
  'swap',
  'disk',
  'network',
  'processCount',
  'uptime',
] as const;
export type HostSamplePart = (typeof HOST_SAMPLE_PARTS)[number];

/** One reading of a machine. Percentages: 100 = fully busy (all cores for `percent`, one for each core). */
export interface HostSample {
  /** Epoch milliseconds. */
  ts: number;
  /** Busy share of every core since the previous sample; `perCore` one entry per core. */
  cpu: { percent: number; perCore: number[] } | null;
  /** 1, 5 and 15 minute load averages. */
  load: { one: number; five: number; fifteen: number } | null;
  /** `used` = total − available (what the kernel could not hand out without swapping). */
  memory: { totalBytes: number; availableBytes: number; usedBytes: number } | null;
  swap: { totalBytes: number; usedBytes: number } | null;
  /** The filesystem of the data dir (statfs): `free` is what an unprivileged process may still use. */
  disk: { path: string; totalBytes: number; usedBytes: number; freeBytes: number } | null;
  /** Bytes per second received and sent over every interface but loopback, since the previous sample. */
  network: { rxBytesPerSecond: number; txBytesPerSecond: number } | null;
  processCount: number | null;
  uptimeSeconds: number | null;
  /** This StepFlow process (the server, or the worker). */
  stepflow: { rssBytes: number; cpuPercent: number };
  /** The parts this platform cannot read (they are null above). */
  unavailable: HostSamplePart[];
}

/**
 * Reads the machine. Rates (CPU, network) cover the time since the previous `read`; the first
 * read of a sampler, or one long after the previous, measures a short fresh interval itself.
 */
export interface HostSampler {
  read(): Promise<HostSample>;
}
