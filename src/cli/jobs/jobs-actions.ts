import path from 'node:path';
import { ERROR_CODES, StepflowError } from '../../core/errors.js';
import type { ExecutionBody } from '../../protocol/api-schemas.js';
import type { PipelineRunJson } from '../../protocol/pipeline-json.js';
import type { FireListBody, JobBody, JobListBody } from '../../protocol/job-schemas.js';
import { colorsFor, printable, table } from '../format.js';
import { describeRetention, retentionFromFlags, type RetentionFlags } from './retention-flags.js';
import { parseTags, parseTimeoutSeconds, parseRunLimits, type LimitOptions } from '../parse-options.js';
import { requestJson, resolveServer, type ServerTarget } from './jobs-api-client.js';
import {
  commandOf,
  describeTrigger,
  displayZone,
  formatFireTime,
  formatZonedTime,
  lastStatus,
} from './jobs-format.js';

const usage = (message: string) => new StepflowError(ERROR_CODES.USAGE, message);

export interface ConnectionOptions {
  server?: string;
  token?: string;
  json?: boolean;
}

export interface AddOptions extends ConnectionOptions, LimitOptions, RetentionFlags {
  name: string;
  cron: string[];
  tz?: string;
  every: string[];
  at: string[];
  cwd?: string;
  tag: string[];
  env: string[];
  timeout?: string;
  retries?: string;
  retryDelay?: string;
  overlap?: string;
  maxConcurrent?: string;
  missed?: string;
  lateAfter?: string;
  lateP95?: boolean;
  webhook: string[];
  webhookSecret?: string;
  webhookEvents?: string;
  paused?: boolean;
  runsOn?: string;
  retryOnLost?: boolean;
  backup?: string;
  keep?: string;
  pipeline?: string;
}

export interface EditOptions extends ConnectionOptions, RetentionFlags {
  runsOn?: string;
  retryOnLost?: boolean;
}

const out = (text: string) => void process.stdout.write(text);
const printJson = (value: unknown) => out(`${JSON.stringify(value, null, 2)}\n`);

/** `stepflow jobs add --name n (--cron e [--tz z] | --every s | --at iso)… -- <command…>` */
export async function addJob(command: string[], options: AddOptions): Promise<number> {
  if (options.pipeline !== undefined && (command.length > 0 || options.backup !== undefined)) {
    throw usage('a --pipeline job runs the saved pipeline: give no command and no --backup');
  }
  if (options.backup !== undefined && command.length > 0) {
    throw usage("a --backup job runs StepFlow's own backup: give no command");
  }
  if (options.backup === undefined && options.keep !== undefined) throw usage('--keep goes with --backup');
  if (options.backup === undefined && options.pipeline === undefined && command.length === 0) {
    throw usage('jobs add needs a command after --, --pipeline <name> or --backup <dir>');
  }
  if (options.retentionGlobal)
    throw usage('--retention-global is for jobs edit (a new job has the global policy)');
  const retention = retentionFromFlags(options);
  // The machine's zone is what a person typing "0 3 * * *" at this terminal most likely means.
  const timezone = options.tz ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  const triggers = [
    ...options.cron.map((cron) => ({ cron, timezone })),
    ...options.every.map((raw) => ({ intervalSeconds: number('--every', raw) })),
    ...options.at.map((at) => ({ at })),
  ];
  const limits = parseRunLimits(options);
  const tags = parseTags(options.tag);
  const body = {
    name: options.name,
    ...(options.pipeline !== undefined
      ? { pipeline: options.pipeline }
      : options.backup !== undefined
        ? {
            // The folder is on the server's host; a relative one is taken from here, as --cwd is.
            backup: { dir: path.resolve(options.backup), keep: number('--keep', options.keep ?? '7') },
          }
        : command.length === 1
          ? { command: command[0] }
          : { argv: command }),
    cwd: path.resolve(options.cwd ?? process.cwd()),
    // A pipeline job takes no tags (the server names any given): none given, none sent.
    ...(options.pipeline === undefined || Object.keys(tags).length > 0 ? { tags } : {}),
    env: parseEnv(options.env),
    ...(options.timeout !== undefined ? { timeout: parseTimeoutSeconds(options.timeout) } : {}),
    ...(limits !== undefined ? { limits } : {}),
    triggers,
    ...(options.retries !== undefined || options.retryDelay !== undefined
      ? {
          retry: {
            maxAttempts: 1 + (options.retries === undefined ? 0 : number('--retries', options.retries)),
            ...(options.retryDelay !== undefined
              ? { delaySeconds: number('--retry-delay', options.retryDelay) }
              : {}),
          },
        }
      : {}),
    ...(options.overlap !== undefined ? { overlap: options.overlap } : {}),
    ...(options.maxConcurrent !== undefined
      ? { maxConcurrentRuns: number('--max-concurrent', options.maxConcurrent) }
      : {}),
    ...(options.missed !== undefined ? { missedFire: options.missed } : {}),
    ...(options.lateAfter !== undefined
      ? { lateAfterSeconds: number('--late-after', options.lateAfter) }
      : {}),
    ...(options.lateP95 ? { lateByP95: true } : {}),
    ...(options.paused ? { enabled: false } : {}),
    ...(options.runsOn !== undefined ? { runsOn: labelList(options.runsOn) } : {}),
    ...(options.retryOnLost ? { retryOnLost: true } : {}),
    ...(retention !== undefined ? { retention } : {}),
    webhooks: options.webhook.map((url) => ({
      url,
      ...(options.webhookSecret ? { secret: options.webhookSecret } : {}),
      ...(options.webhookEvents ? { events: options.webhookEvents.split(',').map((e) => e.trim()) } : {}),
    })),
  };
  const job = await requestJson<JobBody>(resolveServer(options), 'POST', '/api/jobs', body);
  if (options.json) {
    printJson(job);
    return 0;
  }
  const c = colorsFor(process.stdout);
  out(`${c.green('✓')} created job ${c.bold(printable(job.name))} ${c.dim(job.id)}\n`);
  out(describeJob(job));
  return 0;
}

export async function listJobs(options: ConnectionOptions): Promise<number> {
  const { items, problems = [] } = await requestJson<JobListBody>(resolveServer(options), 'GET', '/api/jobs');
  // On stderr, so --json output stays JSON: jobs the server cannot read are not in the list.
  for (const problem of problems) {
    process.stderr.write(`warning: ${problem.error} (stepflow jobs rm ${problem.id})\n`);
  }
  if (options.json) {
    printJson(items);
    return 0;
  }
  if (items.length === 0) {
    out('No jobs yet. Add one with: stepflow jobs add --name <name> --cron "<expr>" -- <command>\n');
    return 0;
  }
  const c = colorsFor(process.stdout);
  const rows = items.map((job) => [
    job.id,
    printable(job.name),
    job.enabled ? 'active' : c.yellow('paused'),
    job.nextRunAt === null ? c.dim('—') : formatZonedTime(job.nextRunAt, displayZone(job)),
    lastStatus(c, job),
    job.triggers.map(describeTrigger).join(', ') || c.dim('manual only'),
  ]);
  out(table([['ID', 'NAME', 'STATE', 'NEXT RUN', 'LAST RUN', 'TRIGGERS'].map((h) => c.dim(h)), ...rows]));
  return 0;
}

export async function showJob(ref: string, options: ConnectionOptions): Promise<number> {
  const target = resolveServer(options);
  const job = await findJob(target, ref);
  if (options.json) {
    printJson(job);
    return 0;
  }
  const { items: fires } = await requestJson<FireListBody>(
    target,
    'GET',
    `/api/jobs/${job.id}/history?limit=10`,
  );
  out(`${colorsFor(process.stdout).bold(printable(job.name))} ${job.id}\n${describeJob(job)}`);
  if (fires.length > 0) {
    out('  recent fires:\n');
    for (const fire of fires) {
      const count = fire.count > 1 ? ` ×${fire.count}` : '';
      out(
        `    ${formatZonedTime(fire.fireTime, displayZone(job))}  ${fire.outcome}${count}${fire.executionId ? `  ${fire.executionId}` : ''}${fire.pipelineRunId ? `  pipeline run ${fire.pipelineRunId}` : ''}${fire.reason ? `  (${printable(fire.reason)})` : ''}\n`,
      );
    }
  }
  return 0;
}

export async function removeJob(ref: string, options: ConnectionOptions): Promise<number> {
  const target = resolveServer(options);
  // A job the server cannot read can still be removed, by id or by name.
  const job = await findJob(target, ref, { unreadable: true });
  await requestJson(target, 'DELETE', `/api/jobs/${job.id}`);
  if (options.json) printJson({ deleted: job.id });
  else out(`deleted job ${job.name ?? ''} (${job.id}); its executions stay in the history\n`);
  return 0;
}

export async function runJob(ref: string, options: ConnectionOptions): Promise<number> {
  const target = resolveServer(options);
  const job = await findJob(target, ref);
  const started = await requestJson<ExecutionBody | PipelineRunJson>(
    target,
    'POST',
    `/api/jobs/${job.id}/run`,
  );
  if (options.json) printJson(started);
  else {
    const what = job.pipeline !== null ? 'pipeline run' : 'execution';
    out(`started ${job.name}: ${what} ${started.id} (${started.status})\n`);
  }
  return 0;
}

/**
 * `stepflow jobs edit <job> [--runs-on a,b] [--[no-]retry-on-lost] [--retention-…]`: the fields given
 * change (the retention flags given replace the job's whole policy).
 */
export async function editJob(ref: string, options: EditOptions): Promise<number> {
  const retention = retentionFromFlags(options);
  const body = {
    // '' clears the labels: the server runs the job's runs again.
    ...(options.runsOn !== undefined ? { runsOn: labelList(options.runsOn) } : {}),
    ...(options.retryOnLost !== undefined ? { retryOnLost: options.retryOnLost } : {}),
    ...(retention !== undefined ? { retention } : {}),
  };
  if (Object.keys(body).length === 0) {
    throw usage('jobs edit needs --runs-on, --[no-]retry-on-lost or a --retention-… flag');
  }
  const target = resolveServer(options);
  const found = await findJob(target, ref);
  const job = await requestJson<JobBody>(target, 'PATCH', `/api/jobs/${found.id}`, body);
  if (options.json) printJson(job);
  else out(`updated job ${printable(job.name)}\n${describeJob(job)}`);
  return 0;
}

export async function setJobEnabled(
  ref: string,
  enabled: boolean,
  options: ConnectionOptions,
): Promise<number> {
  const target = resolveServer(options);
  const found = await findJob(target, ref);
  const job = await requestJson<JobBody>(
    target,
    'POST',
    `/api/jobs/${found.id}/${enabled ? 'resume' : 'pause'}`,
  );
  if (options.json) printJson(job);
  else
    out(
      `${enabled ? 'resumed' : 'paused'} job ${job.name}${job.nextRunAt ? `; next run ${formatZonedTime(job.nextRunAt, displayZone(job))}` : ''}\n`,
    );
  return 0;
}

/** A job by id, or else by its exact name; with `unreadable`, also one the server cannot read. */
async function findJob(target: ServerTarget, ref: string): Promise<JobBody>;
async function findJob(
  target: ServerTarget,
  ref: string,
  options: { unreadable: true },
): Promise<{ id: string; name: string | null }>;
async function findJob(
  target: ServerTarget,
  ref: string,
  { unreadable = false }: { unreadable?: boolean } = {},
): Promise<{ id: string; name: string | null }> {
  if (/^[0-9a-z]{26}$/.test(ref)) {
    try {
      return await requestJson<JobBody>(target, 'GET', `/api/jobs/${ref}`);
    } catch (error) {
      if (unreadable && error instanceof StepflowError && error.code === ERROR_CODES.UNREADABLE) {
        return { id: ref, name: (error.details as { name?: string } | undefined)?.name ?? null };
      }
      // An id-shaped name is still a name: fall through to the list.
      if (!(error instanceof StepflowError && error.code === ERROR_CODES.NOT_FOUND)) throw error;
    }
  }
  const { items, problems = [] } = await requestJson<JobListBody>(target, 'GET', '/api/jobs');
  const job =
    items.find((j) => j.name === ref) ?? (unreadable ? problems.find((p) => p.name === ref) : undefined);
  if (job === undefined)
    throw new StepflowError(ERROR_CODES.NOT_FOUND, `no job with id or name ${JSON.stringify(ref)}`);
  return job;
}

function describeJob(job: JobBody): string {
  const zone = displayZone(job);
  const lines = [
    job.pipeline !== null
      ? `  pipeline: ${printable(job.pipeline)} (the saved pipeline, as it is at each fire)`
      : `  command:  ${printable(commandOf(job))}`,
    `  cwd:      ${printable(job.cwd)}`,
    `  triggers: ${job.triggers.map(describeTrigger).join(', ') || 'none (runs only with `stepflow jobs run`)'}`,
    `  policy:   overlap ${job.overlap}, missed fires ${job.missedFire}, attempts ${job.retry.maxAttempts}`,
    `  state:    ${job.enabled ? 'active' : 'paused'}`,
  ];
  if (job.runsOn.length > 0) lines.push(`  runs on:  workers with ${job.runsOn.join(', ')}`);
  if (job.retryOnLost) lines.push('  lost:     a lost run starts again once (retryOnLost)');
  lines.push(`  retention: ${describeRetention(job.retention)}`);
  if (job.backup) {
    lines.push(`  backup:   into ${printable(job.backup.dir)}, keeping the newest ${job.backup.keep}`);
  }
  if (job.upcoming.length > 0) {
    lines.push('  next runs:', ...job.upcoming.map((time) => `    ${formatFireTime(time, zone)}`));
  }
  return `${lines.join('\n')}\n`;
}

function number(flag: string, raw: string): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value))
    throw usage(`${flag} expects a number, got ${JSON.stringify(raw)}`);
  return value;
}

/**
 * `gpu, linux` as a list, blanks dropped. The server checks each label and names a bad one
 * (`body.runsOn: …`): not checked here, so `stepflow --version` loads no more of core for it.
 */
function labelList(raw: string): string[] {
  return raw
    .split(',')
    .map((label) => label.trim())
    .filter(Boolean);
}

function parseEnv(values: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const raw of values) {
    const eq = raw.indexOf('=');
    if (eq <= 0) throw usage(`--env expects NAME=value, got ${JSON.stringify(raw)}`);
    env[raw.slice(0, eq)] = raw.slice(eq + 1);
  }
  return env;
}
