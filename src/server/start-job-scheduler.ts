import type { FastifyBaseLogger } from 'fastify';
import type { Stepflow } from '../stepflow.js';

/**
 * Starts the job scheduler of a listening server and reports what it does in the server log:
 * running-late warnings and skipped or missed fires are what an operator wants to see.
 */
export async function startJobScheduler(stepflow: Stepflow, log: FastifyBaseLogger): Promise<void> {
  stepflow.app.events.subscribe((event) => {
    switch (event.type) {
      case 'late.warning':
        log.warn(event, `job ${event.jobId}: execution ${event.executionId} is running late`);
        break;
      case 'fire.skipped':
      case 'fire.missed':
        log.info(event, `job ${event.jobId}: ${event.type === 'fire.missed' ? 'missed' : 'skipped'} fire`);
        break;
      case 'fire.started':
      case 'fire.queued':
      case 'retry.planned':
      case 'retry.started':
      case 'job.run_finished':
        log.debug(event, event.type);
        break;
    }
  });
  await stepflow.scheduler.start();
}
