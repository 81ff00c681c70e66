import type { RunApplication } from '../../app/application.js';
import { followRun } from './follow-run.js';
import { localUser } from '../local-user.js';

/**
 * `stepflow rerun <id> [--from-step <name>]`: runs an execution's spec again here, shown live as
 * `stepflow run` shows a run, linked back to it. With a step, the script gets
 * `STEPFLOW_RESUME_FROM=<name>` (the name must be one of that run's steps). Returns the exit code.
 */
export async function rerunCommand(
  app: RunApplication,
  id: string,
  options: { fromStep?: string },
): Promise<number> {
  const { fromStep } = options;
  const submitted = await app.executions.rerun(id, {
    ...(fromStep === undefined ? {} : { fromStep }),
    createdBy: localUser(),
  });
  const from = fromStep === undefined ? '' : ` from step ${JSON.stringify(fromStep)}`;
  process.stdout.write(`re-run of ${id}${from}: ${submitted.execution.id}\n`);
  return followRun(app, submitted);
}
