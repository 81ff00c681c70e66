import type { Job, JobTrigger, MissedFirePolicy, OverlapPolicy, WebhookEvent } from '../../api/types.js';
import { parseEnv } from '../executions-list/parse-env.js';
import { parseTags } from '../executions-list/parse-tags.js';
import { browserTimeZone } from './relative-time.js';

/**
 * The job form's state as the user typed it (strings, so a half-typed number stays as typed),
 * and its translation to the API body. The server is the one validator: what does not parse is
 * sent as typed, for the server to name the field.
 */

export type TriggerKind = JobTrigger['kind'];

export interface TriggerValues {
  /** Stable React key (rows can be removed from the middle). */
  key: number;
  kind: TriggerKind;
  cron: string;
  timezone: string;
  intervalSeconds: string;
  /** A `datetime-local` value, read in the browser's zone. */
  at: string;
}

export interface WebhookValues {
  key: number;
  url: string;
  events: WebhookEvent[];
  /** Empty: unsigned. The server never sends a saved secret back. */
  secret: string;
}

export interface JobFormValues {
  name: string;
  /** What it runs: a command (or a backup), or a saved pipeline (docs/JOBS.md, "Pipeline jobs"). */
  runs: 'command' | 'pipeline';
  /** The saved pipeline's name, when `runs` is `pipeline`. */
  pipeline: string;
  command: string;
  cwd: string;
  timeout: string;
  /** Limits of each run (docs/LIMITS.md); empty: none. The log size is in MiB here, bytes in the API. */
  memoryLimitMb: string;
  maxLines: string;
  maxLogMb: string;
  logLimitPolicy: 'truncate' | 'fail';
  tags: string;
  /** New variables, `NAME=value` lines. Saved values never come back, so editing starts empty. */
  env: string;
  /** Editing: drop every saved variable (lines typed in `env` replace them anyway). */
  clearEnv: boolean;
  triggers: TriggerValues[];
  retryMaxAttempts: string;
  retryDelaySeconds: string;
  retryBackoffFactor: string;
  retryMaxDelaySeconds: string;
  retryOnExitCodes: string;
  overlap: OverlapPolicy;
  maxConcurrentRuns: string;
  missedFire: MissedFirePolicy;
  lateAfterSeconds: string;
  lateByP95: boolean;
  webhooks: WebhookValues[];
  /** Worker labels, comma-separated; empty: the server runs the job's runs. */
  runsOn: string;
  retryOnLost: boolean;
  /** `global`: the server's STEPFLOW_RETENTION_* policy; `own`: the limits below replace it (docs/RETENTION.md). */
  retentionMode: 'global' | 'own';
  /** Days and a count as typed; all empty with `own`: every run is kept. */
  retentionDays: string;
  retentionKeepLast: string;
  retentionLogDays: string;
  retentionArtifactDays: string;
  retentionFailedDays: string;
  /** Set: a backup job into this folder on the server (docs/OPERATIONS.md); the command is StepFlow's. */
  backupDir: string;
  /** How many of its backups the folder keeps. */
  backupKeep: string;
}

let nextKey = 1;
const key = () => nextKey++;

export function newTrigger(kind: TriggerKind = 'cron'): TriggerValues {
  return { key: key(), kind, cron: '', timezone: browserTimeZone(), intervalSeconds: '', at: '' };
}

export function newWebhook(): WebhookValues {
  return { key: key(), url: '', events: ['failure', 'recovery'], secret: '' };
}

/** The defaults of docs/JOBS.md, shown in the form so nothing is implicit. */
export function emptyJobForm(): JobFormValues {
  return {
    name: '',
    runs: 'command',
    pipeline: '',
    command: '',
    cwd: '',
    timeout: '',
    memoryLimitMb: '',
    maxLines: '',
    maxLogMb: '',
    logLimitPolicy: 'truncate',
    tags: '',
    env: '',
    clearEnv: false,
    triggers: [newTrigger()],
    retryMaxAttempts: '1',
    retryDelaySeconds: '10',
    retryBackoffFactor: '2',
    retryMaxDelaySeconds: '600',
    retryOnExitCodes: '',
    overlap: 'skip',
    maxConcurrentRuns: '',
    missedFire: 'skip',
    lateAfterSeconds: '',
    lateByP95: false,
    webhooks: [],
    runsOn: '',
    retryOnLost: false,
    retentionMode: 'global',
    retentionDays: '',
    retentionKeepLast: '',
    retentionLogDays: '',
    retentionArtifactDays: '',
    retentionFailedDays: '',
    backupDir: '',
    backupKeep: '7',
  };
}

/** A saved job as form values (edit). An argv job shows its argv joined, like the API's `command`. */
export function jobFormFromJob(job: Job): JobFormValues {
  return {
    name: job.name,
    runs: job.pipeline === null ? 'command' : 'pipeline',
    pipeline: job.pipeline ?? '',
    command: job.command ?? (job.argv ?? []).join(' '),
    cwd: job.cwd,
    timeout: job.timeoutSeconds === null ? '' : String(job.timeoutSeconds),
    memoryLimitMb: job.limits?.memoryLimitMb === undefined ? '' : String(job.limits.memoryLimitMb),
    maxLines: job.limits?.maxLines === undefined ? '' : String(job.limits.maxLines),
    maxLogMb: job.limits?.maxLogBytes === undefined ? '' : String(job.limits.maxLogBytes / 1024 / 1024),
    logLimitPolicy: job.limits?.logLimitPolicy ?? 'truncate',
    tags: Object.entries(job.tags)
      .map(([k, v]) => (v === '' ? k : `${k}=${v}`))
      .join(', '),
    env: '',
    clearEnv: false,
    triggers: job.triggers.map((t) => ({
      key: key(),
      kind: t.kind,
      cron: t.cron ?? '',
      timezone: t.timezone ?? browserTimeZone(),
      intervalSeconds: t.intervalSeconds === undefined ? '' : String(t.intervalSeconds),
      at: t.at ? toLocalInput(t.at) : '',
    })),
    retryMaxAttempts: String(job.retry.maxAttempts),
    retryDelaySeconds: String(job.retry.delaySeconds),
    retryBackoffFactor: String(job.retry.backoffFactor),
    retryMaxDelaySeconds: String(job.retry.maxDelaySeconds),
    retryOnExitCodes: (job.retry.onExitCodes ?? []).join(', '),
    overlap: job.overlap,
    maxConcurrentRuns: job.maxConcurrentRuns === null ? '' : String(job.maxConcurrentRuns),
    missedFire: job.missedFire,
    lateAfterSeconds: job.lateAfterSeconds === null ? '' : String(job.lateAfterSeconds),
    lateByP95: job.lateByP95,
    webhooks: job.webhooks.map((hook) => ({ key: key(), url: hook.url, events: hook.events, secret: '' })),
    runsOn: job.runsOn.join(', '),
    retryOnLost: job.retryOnLost,
    retentionMode: job.retention === null ? 'global' : 'own',
    retentionDays: textOf(job.retention?.days),
    retentionKeepLast: textOf(job.retention?.keepLast),
    retentionLogDays: textOf(job.retention?.logDays),
    retentionArtifactDays: textOf(job.retention?.artifactDays),
    retentionFailedDays: textOf(job.retention?.failedDays),
    backupDir: job.backup?.dir ?? '',
    backupKeep: String(job.backup?.keep ?? 7),
  };
}

/** The API trigger of one row (what `POST /api/jobs` and the schedule preview take). */
export function triggerBody(trigger: TriggerValues): Record<string, string | number> {
  switch (trigger.kind) {
    case 'cron':
      return { cron: trigger.cron, timezone: trigger.timezone.trim() || 'UTC' };
    case 'interval':
      return { intervalSeconds: numberOrText(trigger.intervalSeconds) };
    case 'once':
      return { at: instantOf(trigger.at) };
  }
}

/** The `POST /api/jobs` body: only what the user filled in, besides name, command and triggers. */
export function jobBody(values: JobFormValues): Record<string, unknown> {
  if (values.runs === 'pipeline') return pipelineJobBody(values);
  const tags = parseTags(values.tags);
  const env = parseEnv(values.env);
  const onExitCodes = values.retryOnExitCodes
    .split(/[,\s]+/)
    .filter((code) => code !== '')
    .map(numberOrText);
  const backupDir = values.backupDir.trim();
  return {
    name: values.name.trim(),
    // A backup job's command is StepFlow's own; a command sent turns a saved backup job back into a command job.
    ...(backupDir !== ''
      ? { backup: { dir: backupDir, keep: numberOrText(values.backupKeep) } }
      : { command: values.command }),
    ...optional('cwd', values.cwd.trim()),
    ...optionalNumber('timeout', values.timeout),
    // Always sent, `{}` when empty: a PATCH clears saved limits only when given.
    limits: limitsBody(values),
    ...(tags.length > 0 ? { tags } : {}),
    // Absent keeps a saved job's variables (a PATCH replaces env only when it is given).
    ...(env.length > 0 ? { env } : values.clearEnv ? { env: [] } : {}),
    triggers: values.triggers.map(triggerBody),
    retry: {
      ...optionalNumber('maxAttempts', values.retryMaxAttempts),
      ...optionalNumber('delaySeconds', values.retryDelaySeconds),
      ...optionalNumber('backoffFactor', values.retryBackoffFactor),
      ...optionalNumber('maxDelaySeconds', values.retryMaxDelaySeconds),
      onExitCodes: onExitCodes.length > 0 ? onExitCodes : null,
    },
    overlap: values.overlap,
    maxConcurrentRuns: values.maxConcurrentRuns.trim() === '' ? null : numberOrText(values.maxConcurrentRuns),
    missedFire: values.missedFire,
    lateAfterSeconds: values.lateAfterSeconds.trim() === '' ? null : numberOrText(values.lateAfterSeconds),
    lateByP95: values.lateByP95,
    // Split only: the server checks each label and names a bad one.
    runsOn: values.runsOn
      .split(',')
      .map((label) => label.trim())
      .filter((label) => label !== ''),
    retryOnLost: values.retryOnLost,
    // null: the global policy; an object replaces it whole (`{}`: keep every run).
    retention:
      values.retentionMode === 'global'
        ? null
        : {
            ...optionalNumber('days', values.retentionDays),
            ...optionalNumber('keepLast', values.retentionKeepLast),
            ...optionalNumber('logDays', values.retentionLogDays),
            ...optionalNumber('artifactDays', values.retentionArtifactDays),
            ...optionalNumber('failedDays', values.retentionFailedDays),
          },
    webhooks: values.webhooks.map((hook) => ({
      url: hook.url.trim(),
      events: hook.events,
      ...(hook.secret !== '' ? { secret: hook.secret } : {}),
    })),
  };
}

/**
 * A pipeline job's body: only the fields that apply to one (the server refuses the others, even
 * empty, naming them).
 */
function pipelineJobBody(values: JobFormValues): Record<string, unknown> {
  const env = parseEnv(values.env);
  return {
    name: values.name.trim(),
    pipeline: values.pipeline,
    ...optional('cwd', values.cwd.trim()),
    ...optionalNumber('timeout', values.timeout),
    ...(env.length > 0 ? { env } : values.clearEnv ? { env: [] } : {}),
    triggers: values.triggers.map(triggerBody),
    retry: {
      ...optionalNumber('maxAttempts', values.retryMaxAttempts),
      ...optionalNumber('delaySeconds', values.retryDelaySeconds),
      ...optionalNumber('backoffFactor', values.retryBackoffFactor),
      ...optionalNumber('maxDelaySeconds', values.retryMaxDelaySeconds),
    },
    overlap: values.overlap,
    maxConcurrentRuns: values.maxConcurrentRuns.trim() === '' ? null : numberOrText(values.maxConcurrentRuns),
    missedFire: values.missedFire,
    webhooks: values.webhooks.map((hook) => ({
      url: hook.url.trim(),
      events: hook.events,
      ...(hook.secret !== '' ? { secret: hook.secret } : {}),
    })),
  };
}

/**
 * A PATCH body: the fields whose value differs from the saved job's form. Unchanged triggers are
 * left out (a one-off that already fired would fail the "must be in the future" check), and so are
 * unchanged webhooks (re-sending them would drop their secrets, which the form never sees).
 */
export function changedFields(values: JobFormValues, saved: JobFormValues): Record<string, unknown> {
  const now = jobBody(values);
  const before = jobBody(saved);
  return Object.fromEntries(
    Object.entries(now).filter(([field, value]) => JSON.stringify(value) !== JSON.stringify(before[field])),
  );
}

function limitsBody(values: JobFormValues): Record<string, unknown> {
  const mb = values.maxLogMb.trim();
  const logLimited = values.maxLines.trim() !== '' || mb !== '';
  return {
    ...optionalNumber('memoryLimitMb', values.memoryLimitMb),
    ...optionalNumber('maxLines', values.maxLines),
    // MiB to bytes; what is not a number goes as typed, for the server to name.
    ...(mb === ''
      ? {}
      : { maxLogBytes: Number.isFinite(Number(mb)) ? Math.round(Number(mb) * 1024 * 1024) : mb }),
    ...(logLimited ? { logLimitPolicy: values.logLimitPolicy } : {}),
  };
}

function optional(field: string, text: string) {
  return text === '' ? {} : { [field]: text };
}

function optionalNumber(field: string, text: string) {
  return text.trim() === '' ? {} : { [field]: numberOrText(text) };
}

function textOf(value: number | undefined): string {
  return value === undefined ? '' : String(value);
}

function numberOrText(text: string): number | string {
  const trimmed = text.trim();
  const number = Number(trimmed);
  return trimmed !== '' && Number.isFinite(number) ? number : trimmed;
}

/** `2030-01-01T03:00` in the browser's zone → ISO with a zone; what does not parse is sent as typed. */
function instantOf(localInput: string): string {
  const ms = Date.parse(localInput);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : localInput;
}

/** ISO → `YYYY-MM-DDTHH:mm:ss` in the browser's zone (a `datetime-local` value). */
function toLocalInput(iso: string): string {
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
