import type { FastifyBaseLogger } from 'fastify';
import type { Stepflow } from '../stepflow.js';

/**
 * Starts the job scheduler of a listening server and reports what it does in the server log:
 * running-late warnings and skipped or missed fires are what an operator wants to see.
 */
export async function startJobScheduler(stepflow: Stepflow, log: FastifyBaseLogger): Promise<void> {
  stepflow.scheduler.subscribe((event) => {
    switch (event.type) {
      case 'job.running_late':
        log.warn(event, `job ${event.jobId}: execution ${event.executionId} is running late`);
        break;
      case 'job.skipped':
      case 'job.missed':
        log.info(event, `job ${event.jobId}: ${event.type === 'job.missed' ? 'missed' : 'skipped'} fire`);
        break;
      default:
        log.debug(event, event.type);
    }
  });
  await stepflow.scheduler.start();
}
