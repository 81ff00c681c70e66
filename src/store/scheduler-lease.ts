/**
 * Which process fires the schedule when several share one database (API replicas): the one that
 * holds the lease. The unique (trigger, fire time) key of `JobStore.recordFire` stays the backstop
 * for the moments two believe they lead (a lease lost to a dropped connection).
 */
export interface SchedulerLease {
  /**
   * False when this process is the only scheduler the storage can have (an embedded file: every
   * process on it is its own leader, as before leases existed): the scheduler then never checks.
   */
  readonly shared: boolean;
  /**
   * True while this process holds the lease: takes it when free, and for a holder checks that it
   * still does (its connection may have dropped, which frees it for another process). Errors are
   * the store's (`store_unavailable`…); after one this process holds nothing.
   */
  tryAcquire(): Promise<boolean>;
  /** Gives the lease up (shutdown, stepping down). Safe to call when not held, or twice. */
  release(): Promise<void>;
}

/** The lease of a storage with one scheduler per process and no coordination: always held. */
export const SOLE_SCHEDULER_LEASE: SchedulerLease = {
  shared: false,
  tryAcquire: async () => true,
  release: async () => undefined,
};
