import { rm } from 'node:fs/promises';
import { loadConfig } from '../../config.js';
import { ERROR_CODES, StepflowError, isStepflowError } from '../../core/errors.js';
import type { RunApplication } from '../../app/application.js';
import { openStepflowRun } from '../../stepflow-run.js';
import { runCommand, type RunCommandOptions } from '../commands/run-command.js';
import { createRemoteClient, type RemoteClient } from './remote-client.js';
import {
  spoolActivity,
  startRemoteReporter,
  type DeliveryOutcome,
  type RemoteReporter,
} from './remote-reporter.js';
import { createSpoolDir } from './spool-dir.js';

/** Where and how long to deliver: `--server`, `--token`, `--server-wait`. */
export interface RemoteServerOptions {
  server: string;
  token?: string;
  serverWait?: string;
}

export interface RemoteRunOptions extends RunCommandOptions, RemoteServerOptions {}

/** The script succeeded but its record did not all reach the server (sysexits' EX_TEMPFAIL). */
export const EXIT_NOT_DELIVERED = 75;
const DEFAULT_WAIT_SECONDS = 300;

const usage = (message: string) => new StepflowError(ERROR_CODES.USAGE, message);

/**
 * `stepflow run --server URL -- <command…>`: the ordinary local run (same engine, same live view),
 * recorded in a spool dir that a reporter ships to the server as it grows. The spool is deleted once
 * the server has everything, and kept (and named) when it does not. See docs/REMOTE.md.
 */
export async function remoteRunCommand(
  command: string[],
  options: RemoteRunOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  if (command.length === 0) throw usage('run needs a command after --');
  // A log cut by a limit has gaps in its seqs, which the server's batches refuse (they detect lost
  // lines by them): log limits apply to runs stored where they run, not reported ones (yet).
  if (
    options.maxLines !== undefined ||
    options.maxLogBytes !== undefined ||
    options.logLimitPolicy !== undefined
  )
    throw usage('--max-lines, --max-log-bytes and --log-limit-policy cannot be used with --server');
  const { serverUrl, waitMs, client } = deliveryTarget(options, env);

  const spoolDir = await createSpoolDir(env);
  // Nor the log limits of this machine's STEPFLOW_MAX_LOG_BYTES/LINES, for the same reason. The
  // spool is a local SQLite file even where STEPFLOW_DATABASE_URL names a shared database.
  const app = await openStepflowRun({
    ...loadConfig(env),
    dataDir: spoolDir,
    defaultLimits: {},
    database: undefined,
  });
  let reporter: RemoteReporter | undefined;
  let executionId = '';
  const unsubscribe = app.app.events.subscribe((event) => {
    if (reporter !== undefined || event.type !== 'execution.started') return;
    executionId = event.executionId;
    reporter = startRemoteReporter({
      store: app.app.executions.reads,
      executionId,
      client,
      serverUrl,
      spoolDir,
      say,
      activity: spoolActivity(app.app),
      onCancelRequested: () => cancelOnRequest(app.app, event.executionId, serverUrl),
    });
  });

  let code: number;
  let outcome: DeliveryOutcome = { delivered: false, reason: 'the run did not start' };
  try {
    // "reported to" only once the server has acknowledged the run: an unreachable server must not
    // be claimed. A short run ends before the first answer; the summary then says so when it comes.
    let claimed = false;
    const hint = (id: string): string => {
      claimed = reporter?.acknowledged() ?? false;
      return claimed ? `${id} · reported to ${serverUrl}` : `${id} · reporting to ${serverUrl}…`;
    };
    code = await runCommand(app.app, command, options, { hint });
    if (reporter) outcome = await waitForDelivery(reporter, waitMs);
    if (outcome.delivered && !claimed) process.stdout.write(`  ${executionId} · reported to ${serverUrl}\n`);
  } finally {
    unsubscribe();
    reporter?.stop('StepFlow is exiting');
    await app.close();
    // Nothing was recorded (a bad option): there is nothing to keep.
    if (!reporter) await rm(spoolDir, { recursive: true, force: true });
  }

  if (outcome.delivered) {
    await rm(spoolDir, { recursive: true, force: true });
    return code;
  }
  say(
    `stepflow: the run did not all reach ${serverUrl} (${outcome.reason}); it is kept in ${spoolDir} ` +
      `(see it with: STEPFLOW_STORAGE_PATH=${spoolDir} stepflow show ${executionId}; send it later with: ` +
      `stepflow push ${spoolDir} --server ${serverUrl})`,
  );
  return code === 0 ? EXIT_NOT_DELIVERED : code;
}

/** A cancel requested on the server (its dashboard, its API): stopped here as a local request would be. */
function cancelOnRequest(app: RunApplication, executionId: string, serverUrl: string): void {
  say(`stepflow: cancel requested on ${serverUrl}; stopping ${executionId} (its process tree)…`);
  app.executions.cancel(executionId, { reason: `requested on ${serverUrl}` }).catch((error: unknown) => {
    // It has ended meanwhile: the end is being delivered, nothing to stop.
    if (isStepflowError(error) && error.code === ERROR_CODES.CONFLICT) return;
    say(`stepflow: could not stop ${executionId}: ${error instanceof Error ? error.message : String(error)}`);
  });
}

/** Tells the user one line, on stderr (stdout is the script's). */
export const say = (line: string): void => void process.stderr.write(`${line}\n`);

/** The server to deliver to, a client for it and how long to keep trying, from the options. */
export function deliveryTarget(
  options: RemoteServerOptions,
  env: NodeJS.ProcessEnv,
): { serverUrl: string; waitMs: number; client: RemoteClient } {
  const serverUrl = parseServerUrl(options.server);
  return {
    serverUrl,
    waitMs: parseServerWait(options.serverWait) * 1000,
    client: createRemoteClient({
      baseUrl: serverUrl,
      token: options.token || env.STEPFLOW_TOKEN || undefined,
    }),
  };
}

/** The script has ended; Ctrl-C now only stops the waiting. */
export async function waitForDelivery(reporter: RemoteReporter, waitMs: number): Promise<DeliveryOutcome> {
  const onSignal = (signal: NodeJS.Signals): void => reporter.stop(`stopped waiting on ${signal}`);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await reporter.finish(waitMs);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function parseServerUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw usage(`--server expects a URL such as http://host:8080, got ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw usage(`--server expects an http or https URL, got ${JSON.stringify(raw)}`);
  }
  // Keep a path prefix (a server behind a reverse proxy), drop the rest.
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

function parseServerWait(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_WAIT_SECONDS;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0) {
    throw usage(`--server-wait expects a number of seconds (0 or more), got ${JSON.stringify(raw)}`);
  }
  return value;
}
