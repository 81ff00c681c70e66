import path from 'node:path';
import { ERROR_CODES, StepflowError } from '../../core/errors.js';
import type { RunSpec } from '../../core/model.js';
import type { RunApplication } from '../../app/application.js';
import {
  parseLateAfterSeconds,
  parseRunLimits,
  parseTags,
  parseTimeoutSeconds,
  type LimitOptions,
} from '../parse-options.js';
import { followRun } from './follow-run.js';
import { localUser } from '../local-user.js';

export interface RunCommandOptions extends LimitOptions {
  name?: string;
  tag: string[];
  cwd?: string;
  timeout?: string;
  /** Running late after this long (`--late-after 10m`): shown on the dashboard, never stops it. */
  lateAfter?: string;
  /** On a terminal: all the output, not only the running step's last lines. */
  verbose?: boolean;
  /** `--env-name`: a saved Python environment (docs/WORKSPACE-ENVIRONMENTS.md). */
  envName?: string;
}

/**
 * `stepflow run -- <command…>`: one argument is a shell command (`/bin/sh -c`), several are an argv
 * run without a shell. Returns the process exit code.
 */
export async function runCommand(
  app: RunApplication,
  command: string[],
  options: RunCommandOptions,
  /** `hint`: the last line of the summary, in place of the local `stepflow show` commands. */
  extras: { hint?: (executionId: string) => string } = {},
): Promise<number> {
  if (command.length === 0) throw new StepflowError(ERROR_CODES.USAGE, 'run needs a command after --');
  const spec: RunSpec = {
    ...(command.length === 1 ? { command: command[0] } : { argv: command }),
    cwd: path.resolve(options.cwd ?? process.cwd()),
    tags: parseTags(options.tag),
    timeoutSeconds: parseTimeoutSeconds(options.timeout),
    lateAfterSeconds: parseLateAfterSeconds(options.lateAfter),
    limits: parseRunLimits(options),
    ...(options.name ? { name: options.name } : {}),
    ...(options.envName ? { environment: options.envName } : {}),
  };

  return followRun(app, await app.executions.run(spec, { createdBy: localUser() }), {
    ...extras,
    verbose: options.verbose ?? false,
  });
}
