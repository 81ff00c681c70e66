import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ERROR_CODES, StepflowError } from '../../core/errors.js';
import { LineFlag } from '../../core/model.js';
import { isTerminalExecutionStatus } from '../../core/statuses.js';
import { parseLabelList } from '../../core/workers.js';
import type { ExecutionBody } from '../../protocol/api-schemas.js';
import type { ExecutionDetailJson } from '../../protocol/execution-json.js';
import type { RunCommandOptions } from '../commands/run-command.js';
import { serverSource } from '../execution-source.js';
import { exitCodeOf } from '../exit-code.js';
import { formatDuration, printable } from '../format.js';
import { requestJson, resolveServer } from '../jobs/jobs-api-client.js';
import { parseLateAfterSeconds, parseRunLimits, parseTags, parseTimeoutSeconds } from '../parse-options.js';

export interface SubmitRunOptions extends RunCommandOptions {
  server: string;
  token?: string;
  /** `--runs-on a,b`: the labels a worker must all have; empty: any worker. */
  runsOn?: string;
  /** `--project NAME`: the server runs it in a copy of that project's current version (docs/WORKSPACE.md). */
  project?: string;
}

/** How often the run is read while it waits and runs: one status read and one log page each time. */
const POLL_MS = 250;
const LOG_PAGE = 5000;

const usage = (message: string) => new StepflowError(ERROR_CODES.USAGE, message);

/**
 * `stepflow run --server URL --runs-on a,b -- <command…>`: the run is submitted to the server, a
 * `stepflow worker` with those labels runs it (docs/WORKERS.md), and this prints its log as it comes
 * and exits with its outcome, as a local `stepflow run` would. While it waits, the reason is shown
 * (`no live worker has label gpu`). Ctrl-C asks the server to cancel it; a second one leaves at once.
 */
export async function submitRunCommand(command: string[], options: SubmitRunOptions): Promise<number> {
  if (command.length === 0) throw usage('run needs a command after --');
  // A worker reports its log in batches that cannot carry gaps, as `run --server` does (remote-run.ts).
  if (
    options.maxLines !== undefined ||
    options.maxLogBytes !== undefined ||
    options.logLimitPolicy !== undefined
  )
    throw usage('--max-lines, --max-log-bytes and --log-limit-policy cannot be used with --runs-on');
  const target = resolveServer(options);
  const { project } = options;
  const runsOn = parseLabelList(options.runsOn ?? '', '--runs-on');
  const limits = parseRunLimits(options);
  const body = {
    ...(command.length === 1 ? { command: command[0] } : { argv: command }),
    // In a project: --cwd is a folder inside it, as given (a worker fetches the version). Else a
    // path on the worker: the same path as here unless --cwd says otherwise.
    ...(project !== undefined
      ? { project, ...optional('cwd', options.cwd), ...(runsOn.length > 0 ? { runsOn } : {}) }
      : { cwd: path.resolve(options.cwd ?? process.cwd()), runsOn }),
    tags: parseTags(options.tag),
    ...(options.name ? { name: options.name } : {}),
    ...(options.envName ? { environment: options.envName } : {}),
    ...optional('timeout', parseTimeoutSeconds(options.timeout)),
    ...optional('lateAfterSeconds', parseLateAfterSeconds(options.lateAfter)),
    ...optional('limits', limits),
  };
  const submitted = await requestJson<ExecutionBody>(target, 'POST', '/api/executions', body);
  const id = submitted.id;
  const say = (text: string): void => void process.stderr.write(`stepflow: ${text}\n`);
  say(
    project !== undefined
      ? `${id} submitted to ${target.baseUrl} in project ${project} version ${submitted.project?.version ?? '?'}`
      : `${id} submitted to ${target.baseUrl} for a worker${runsOn.length > 0 ? ` with ${runsOn.join(', ')}` : ''}`,
  );

  const source = serverSource(target);
  let interrupts = 0;
  let leave: (() => void) | undefined;
  const left = new Promise<void>((resolve) => (leave = resolve));
  const onSignal = (signal: NodeJS.Signals): void => {
    interrupts++;
    if (interrupts > 1) return leave?.();
    say(`${signal}: asking the server to cancel ${id} (again to stop waiting)…`);
    source.cancel(id).catch((error: unknown) => say(`cannot cancel: ${(error as Error).message}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    let after = 0;
    let waitingSaid: string | undefined;
    let workerSaid = false;
    for (;;) {
      const detail = await source.get(id);
      if (detail.status === 'queued' && detail.waitingFor !== waitingSaid) {
        waitingSaid = detail.waitingFor;
        if (waitingSaid !== undefined) say(`${id} waits: ${waitingSaid}`);
      }
      if (detail.worker !== undefined && !workerSaid) {
        workerSaid = true;
        say(`${id} runs on worker ${detail.worker.name}`);
      }
      // Read the log to its end after each status read: lines committed with the end are not missed.
      for (;;) {
        const page = await source.readLog(id, { after, limit: LOG_PAGE });
        let text = '';
        for (const line of page.lines) {
          text += (line.flags ?? 0) & LineFlag.Continued ? line.text : `${line.text}\n`;
        }
        if (text && !process.stdout.write(text)) await new Promise((r) => process.stdout.once('drain', r));
        after = page.nextAfter;
        if (!page.hasMore) break;
      }
      if (isTerminalExecutionStatus(detail.status)) {
        say(summaryOf(detail));
        return exitCodeOf(detail);
      }
      const stop = await Promise.race([sleep(POLL_MS).then(() => false), left.then(() => true)]);
      if (stop) {
        say(`stopped waiting; ${id} goes on until the server ends it (stepflow show ${id} --server …)`);
        return 130;
      }
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

const optional = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } =>
  (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };

function summaryOf(detail: ExecutionDetailJson): string {
  const exit =
    detail.exitCode !== null ? `exit ${detail.exitCode}` : detail.signal ? `signal ${detail.signal}` : '';
  const facts = [
    formatDuration(detail.durationMs),
    exit,
    `${detail.lineCount} lines`,
    detail.worker === undefined ? '' : `worker ${detail.worker.name}`,
  ].filter(Boolean);
  const error = detail.error ? `: ${printable(detail.error)}` : '';
  return `${detail.id} ${detail.status}${error} (${facts.join(' · ')})`;
}
