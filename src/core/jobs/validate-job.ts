import { isEnvironmentName } from '../environments.js';
import { checkRetentionPolicy, type RetentionPolicy } from '../retention.js';
import { checkRunLimits } from '../run-limits.js';
import { validationError } from '../errors.js';
import { checkProjectName, checkProjectPath } from '../projects.js';
import {
  MAX_CONCURRENT_RUNS,
  MAX_EXIT_CODE,
  MAX_RETRY_ATTEMPTS,
  MAX_RETRY_BACKOFF_FACTOR,
  MAX_RETRY_DELAY_SECONDS,
  MAX_TIMEOUT_SECONDS,
  MAX_TRIGGERS,
  MAX_WEBHOOK_ATTEMPTS,
  MAX_WEBHOOK_BACKOFF_SECONDS,
  MAX_WEBHOOKS,
  MIN_WEBHOOK_BACKOFF_SECONDS,
} from '../input-limits.js';
import {
  DEFAULT_RETRY,
  DEFAULT_WEBHOOK_ATTEMPTS,
  DEFAULT_WEBHOOK_BACKOFF_SECONDS,
  MISSED_FIRE_POLICIES,
  backupJobArgv,
  type BackupJob,
  OVERLAP_POLICIES,
  WEBHOOK_EVENTS,
  type JobCommand,
  type JobDefinition,
  type MissedFirePolicy,
  type OverlapPolicy,
  type RetryPolicy,
  type TriggerSpec,
  type Webhook,
  type WebhookEvent,
} from './job.js';
import { normalizeLabels } from '../workers.js';
import { checkInterval, checkTimeZone, parseCron, parseInstant } from './triggers.js';

/** A trigger as a client writes it: exactly one of `cron` (+ `timezone`), `intervalSeconds`, `at`. */
export interface TriggerInput {
  cron?: string | undefined;
  timezone?: string | undefined;
  intervalSeconds?: number | undefined;
  at?: string | undefined;
}

interface WebhookInput {
  url: string;
  events?: string[] | undefined;
  secret?: string | null | undefined;
  maxAttempts?: number | undefined;
  backoffSeconds?: number | undefined;
}

/** A job as a client writes it; the command part is already checked (see the server's run spec). */
export interface JobInput {
  name: string;
  enabled?: boolean | undefined;
  triggers: TriggerInput[];
  retry?: Partial<RetryPolicy> | undefined;
  overlap?: string | undefined;
  maxConcurrentRuns?: number | null | undefined;
  missedFire?: string | undefined;
  lateAfterSeconds?: number | null | undefined;
  lateByP95?: boolean | undefined;
  webhooks?: WebhookInput[] | undefined;
  runsOn?: string[] | undefined;
  retryOnLost?: boolean | undefined;
  /** null or absent: the global policy. */
  retention?: RetentionPolicy | null | undefined;
  backup?: { dir?: unknown; keep?: unknown } | undefined;
}

const NAME = /^[\p{L}\p{N}][\p{L}\p{N} ._:@/-]{0,199}$/u;

/**
 * Checks a job at the edge and fills in the defaults; every error names its field as
 * `body.<path>` (a bad cron, an unknown zone, a sub-second interval…). Numbers are held to the
 * ranges of `input-limits.ts`, as the API schema does, so no caller can store a job whose fire
 * times or timers cannot be computed. `notBeforeMs`: one-off triggers must be later than this (a
 * job that can never fire is a mistake, not a job).
 */
export function validateJob(
  input: JobInput,
  command: JobCommand,
  { notBeforeMs }: { notBeforeMs?: number } = {},
): JobDefinition {
  if (!NAME.test(input.name)) {
    throw invalid('name', 'must be 1-200 letters, digits, spaces or ._:@/- and start with a letter or digit');
  }
  if (command.pipeline !== undefined) {
    checkPipelineJob(input, command);
  } else if ((command.command === null) === (command.argv === null)) {
    throw invalid(
      'command',
      'needs exactly one of "command" (a shell string), "argv" (a list) and "pipeline" (a saved pipeline\'s name)',
    );
  }
  if (input.triggers.length > MAX_TRIGGERS) {
    throw invalid('triggers', `may hold at most ${MAX_TRIGGERS} triggers`);
  }
  const triggers = input.triggers.map((t, i) => validateTrigger(t, `body.triggers.${i}`, notBeforeMs));
  const overlap = oneOf<OverlapPolicy>(OVERLAP_POLICIES, input.overlap ?? 'skip', 'overlap');
  const maxConcurrentRuns = input.maxConcurrentRuns ?? null;
  if (maxConcurrentRuns !== null && !isWhole(maxConcurrentRuns, 1, MAX_CONCURRENT_RUNS)) {
    throw invalid(
      'maxConcurrentRuns',
      `must be a whole number from 1 to ${MAX_CONCURRENT_RUNS}, got ${maxConcurrentRuns}`,
    );
  }
  const lateAfterSeconds = input.lateAfterSeconds ?? null;
  if (lateAfterSeconds !== null && !(lateAfterSeconds > 0 && lateAfterSeconds <= MAX_TIMEOUT_SECONDS)) {
    throw invalid(
      'lateAfterSeconds',
      `must be a positive number of seconds up to ${MAX_TIMEOUT_SECONDS} (30 days), got ${lateAfterSeconds}`,
    );
  }
  if (
    command.timeoutSeconds !== null &&
    !(command.timeoutSeconds > 0 && command.timeoutSeconds <= MAX_TIMEOUT_SECONDS)
  ) {
    throw invalid(
      'timeout',
      `must be a positive number of seconds up to ${MAX_TIMEOUT_SECONDS} (30 days), got ${command.timeoutSeconds}`,
    );
  }
  if (command.limits !== undefined) checkRunLimits(command.limits);
  if (command.environment !== undefined && !isEnvironmentName(command.environment)) {
    throw invalid('environment', `${JSON.stringify(command.environment)} is not an environment name`);
  }
  if ((input.webhooks ?? []).length > MAX_WEBHOOKS) {
    throw invalid('webhooks', `may hold at most ${MAX_WEBHOOKS} webhooks`);
  }
  const lateByP95 = input.lateByP95 ?? false;
  if (typeof lateByP95 !== 'boolean')
    throw invalid('lateByP95', `must be true or false, got ${JSON.stringify(lateByP95)}`);
  const retryOnLost = input.retryOnLost ?? false;
  if (typeof retryOnLost !== 'boolean')
    throw invalid('retryOnLost', `must be true or false, got ${JSON.stringify(retryOnLost)}`);
  const runsOn = normalizeLabels(input.runsOn ?? [], 'body.runsOn');
  if (runsOn.length > 0 && command.project === undefined && !command.cwd.startsWith('/')) {
    // The directory is on the worker's host, which alone can check it; it cannot be relative to ours.
    throw invalid('cwd', 'must be an absolute path for a job with runsOn');
  }
  if (command.project !== undefined) {
    checkProjectName(command.project, 'body.project');
    // A backup has no use for one. With runsOn, the worker fetches the version (docs/WORKSPACE.md).
    if (input.backup !== undefined) throw invalid('project', 'cannot be combined with backup');
    if (command.cwd !== '') checkProjectPath(command.cwd, 'body.cwd');
  }
  const retention = validateRetention(input.retention ?? null);
  const backup = input.backup === undefined ? undefined : validateBackup(input.backup, command, runsOn);
  return {
    ...command,
    name: input.name,
    enabled: input.enabled ?? true,
    triggers,
    retry: validateRetry(input.retry ?? {}),
    overlap,
    maxConcurrentRuns,
    missedFire: oneOf<MissedFirePolicy>(MISSED_FIRE_POLICIES, input.missedFire ?? 'skip', 'missedFire'),
    lateAfterSeconds,
    lateByP95,
    webhooks: (input.webhooks ?? []).map((w, i) => validateWebhook(w, `webhooks.${i}`)),
    runsOn,
    retryOnLost,
    ...(retention !== null ? { retention } : {}),
    ...(backup ? { backup } : {}),
  };
}

/** Longest saved pipeline name a job may name (the API's limit on the name in the path). */
const MAX_PIPELINE_NAME = 256;

/**
 * A pipeline job runs a saved pipeline, whose nodes say how they run: the fields that shape one
 * process (its command, worker, limits, environment, project, secrets, tags, exit codes) have no
 * process to apply to, and a lost worker or a step's percentile concern a node, not the job.
 * Each one given is an error naming it, not silently ignored.
 */
function checkPipelineJob(input: JobInput, command: JobCommand): void {
  const name = command.pipeline;
  if (
    typeof name !== 'string' ||
    name.trim() === '' ||
    name.length > MAX_PIPELINE_NAME ||
    name.includes('\0')
  ) {
    throw invalid('pipeline', `must be a saved pipeline's name, got ${JSON.stringify(name)}`);
  }
  const notForPipeline = (field: string, given: boolean): void => {
    if (given) {
      throw invalid(
        field,
        'does not apply to a pipeline job: its saved pipeline\'s nodes say how each runs (docs/JOBS.md, "Pipeline jobs")',
      );
    }
  };
  notForPipeline('command', command.command !== null);
  notForPipeline('argv', command.argv !== null);
  notForPipeline('secretEnv', command.secretEnv !== undefined && Object.keys(command.secretEnv).length > 0);
  notForPipeline('tags', Object.keys(command.tags).length > 0);
  notForPipeline('limits', command.limits !== undefined);
  notForPipeline('environment', command.environment !== undefined);
  notForPipeline('project', command.project !== undefined);
  notForPipeline('runsOn', (input.runsOn ?? []).length > 0);
  notForPipeline('backup', input.backup !== undefined);
  notForPipeline('retryOnLost', input.retryOnLost === true);
  notForPipeline('lateByP95', input.lateByP95 === true);
  notForPipeline('retention', input.retention !== undefined && input.retention !== null);
  notForPipeline('lateAfterSeconds', input.lateAfterSeconds !== undefined && input.lateAfterSeconds !== null);
  notForPipeline(
    'retry.onExitCodes',
    input.retry?.onExitCodes !== undefined && input.retry.onExitCodes !== null,
  );
}

function validateRetention(input: RetentionPolicy | null): RetentionPolicy | null {
  if (input === null) return null;
  if (typeof input !== 'object' || Array.isArray(input)) {
    throw invalid(
      'retention',
      'must be an object of limits (days, keepLast, logDays, artifactDays, failedDays)',
    );
  }
  return checkRetentionPolicy(stripUndefined(input), (limit) => `body.retention.${limit}`);
}

/** Backups kept by one backup job at most. */
const MAX_BACKUP_KEEP = 1000;

/** A backup job's folder and rotation; its command must be the one {@link backupJobArgv} makes. */
function validateBackup(
  input: { dir?: unknown; keep?: unknown },
  command: JobCommand,
  runsOn: string[],
): BackupJob {
  const { dir, keep } = input;
  if (typeof dir !== 'string' || !dir.startsWith('/') || dir.includes('\0')) {
    throw invalid(
      'backup.dir',
      `must be an absolute folder on the server's host, got ${JSON.stringify(dir)}`,
    );
  }
  if (typeof keep !== 'number' || !isWhole(keep, 1, MAX_BACKUP_KEEP)) {
    throw invalid(
      'backup.keep',
      `must be a whole number from 1 to ${MAX_BACKUP_KEEP}, got ${JSON.stringify(keep)}`,
    );
  }
  if (runsOn.length > 0) {
    // Only the server has the data dir: a worker has none to back up.
    throw invalid('runsOn', 'must be empty for a backup job: the server runs its backups');
  }
  const backup = { dir, keep };
  if (command.command !== null || JSON.stringify(command.argv) !== JSON.stringify(backupJobArgv(backup))) {
    throw invalid(
      'command',
      "of a backup job is StepFlow's own (stepflow backup --to DIR --keep N): give no command",
    );
  }
  return backup;
}

export function validateTrigger(input: TriggerInput, field: string, notBeforeMs?: number): TriggerSpec {
  const given = (['cron', 'intervalSeconds', 'at'] as const).filter((key) => input[key] !== undefined);
  if (given.length !== 1) {
    throw validationError(
      `${field} needs exactly one of "cron" (with "timezone"), "intervalSeconds" and "at"`,
      { field },
    );
  }
  if (input.cron !== undefined) {
    const timezone = input.timezone ?? 'UTC';
    checkTimeZone(timezone, `${field}.timezone`);
    parseCron(input.cron, timezone, `${field}.cron`);
    return { kind: 'cron', cron: input.cron.trim(), timezone };
  }
  if (input.timezone !== undefined) {
    throw validationError(`${field}.timezone only goes with "cron"`, { field: `${field}.timezone` });
  }
  if (input.intervalSeconds !== undefined) {
    checkInterval(input.intervalSeconds, `${field}.intervalSeconds`);
    return { kind: 'interval', intervalSeconds: input.intervalSeconds };
  }
  const at = parseInstant(input.at ?? '', `${field}.at`);
  if (notBeforeMs !== undefined && at <= notBeforeMs) {
    throw validationError(
      `${field}.at is in the past (${input.at}); a one-off trigger must be in the future`,
      {
        field: `${field}.at`,
      },
    );
  }
  return { kind: 'once', at: new Date(at).toISOString() };
}

function validateRetry(input: Partial<RetryPolicy>): RetryPolicy {
  const retry = { ...DEFAULT_RETRY, ...stripUndefined(input) };
  if (!isWhole(retry.maxAttempts, 1, MAX_RETRY_ATTEMPTS)) {
    throw invalid(
      'retry.maxAttempts',
      `must be a whole number from 1 to ${MAX_RETRY_ATTEMPTS}, got ${retry.maxAttempts}`,
    );
  }
  if (!(retry.delaySeconds >= 0 && retry.delaySeconds <= MAX_RETRY_DELAY_SECONDS)) {
    throw invalid('retry.delaySeconds', `must be from 0 to ${MAX_RETRY_DELAY_SECONDS} seconds (7 days)`);
  }
  if (!(retry.backoffFactor >= 1 && retry.backoffFactor <= MAX_RETRY_BACKOFF_FACTOR)) {
    throw invalid('retry.backoffFactor', `must be from 1 to ${MAX_RETRY_BACKOFF_FACTOR}`);
  }
  if (!(retry.maxDelaySeconds >= retry.delaySeconds && retry.maxDelaySeconds <= MAX_RETRY_DELAY_SECONDS)) {
    throw invalid(
      'retry.maxDelaySeconds',
      `must be at least retry.delaySeconds and at most ${MAX_RETRY_DELAY_SECONDS} seconds (7 days)`,
    );
  }
  if (retry.onExitCodes !== null && !retry.onExitCodes.every((code) => isWhole(code, 0, MAX_EXIT_CODE))) {
    throw invalid('retry.onExitCodes', `must be a list of whole numbers from 0 to ${MAX_EXIT_CODE}`);
  }
  return retry;
}

function validateWebhook(input: WebhookInput, path: string): Webhook {
  let url: URL;
  try {
    url = new URL(input.url);
  } catch {
    throw invalid(`${path}.url`, `must be an absolute http(s) URL, got ${JSON.stringify(input.url)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalid(`${path}.url`, `must be an http or https URL, got ${JSON.stringify(input.url)}`);
  }
  const events = (input.events ?? ['failure', 'recovery']).map((event, i) =>
    oneOf<WebhookEvent>(WEBHOOK_EVENTS, event, `${path}.events.${i}`),
  );
  if (events.length === 0) throw invalid(`${path}.events`, 'must name at least one event');
  const maxAttempts = input.maxAttempts ?? DEFAULT_WEBHOOK_ATTEMPTS;
  if (!isWhole(maxAttempts, 1, MAX_WEBHOOK_ATTEMPTS)) {
    throw invalid(
      `${path}.maxAttempts`,
      `must be a whole number from 1 to ${MAX_WEBHOOK_ATTEMPTS}, got ${maxAttempts}`,
    );
  }
  const backoffSeconds = input.backoffSeconds ?? DEFAULT_WEBHOOK_BACKOFF_SECONDS;
  if (!(backoffSeconds >= MIN_WEBHOOK_BACKOFF_SECONDS && backoffSeconds <= MAX_WEBHOOK_BACKOFF_SECONDS)) {
    throw invalid(
      `${path}.backoffSeconds`,
      `must be from ${MIN_WEBHOOK_BACKOFF_SECONDS} to ${MAX_WEBHOOK_BACKOFF_SECONDS} seconds, got ${backoffSeconds}`,
    );
  }
  return {
    url: url.toString(),
    events: [...new Set(events)],
    secret: input.secret || null,
    maxAttempts,
    backoffSeconds,
  };
}

const isWhole = (value: number, min: number, max: number): boolean =>
  Number.isInteger(value) && value >= min && value <= max;

function oneOf<T extends string>(values: readonly T[], value: string, field: string): T {
  if ((values as readonly string[]).includes(value)) return value as T;
  throw invalid(field, `must be one of ${values.join(', ')}, got ${JSON.stringify(value)}`);
}

function invalid(field: string, message: string) {
  return validationError(`body.${field} ${message}`, { field });
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
