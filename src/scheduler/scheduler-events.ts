import type { RunningLate } from '../core/jobs/job.js';

/** What the scheduler tells its listeners (the server logs them; tests wait on them). */
export type SchedulerEvent =
  | { type: 'job.fired'; jobId: string; fireTime: string; executionId: string }
  | { type: 'job.skipped'; jobId: string; fireTime: string; reason: string }
  | { type: 'job.queued'; jobId: string; fireTime: string }
  | { type: 'job.missed'; jobId: string; fireTime: string; count: number }
  | { type: 'job.retry_scheduled'; jobId: string; executionId: string; attempt: number; delayMs: number }
  /** Once per attempt at most, whichever threshold passes first (`late` says which). */
  | { type: 'job.running_late'; jobId: string; executionId: string; late: RunningLate }
  | { type: 'job.run_finished'; jobId: string; executionId: string; status: string; attempts: number };

export type SchedulerEventListener = (event: SchedulerEvent) => void;
