import { validationError } from '../../core/errors.js';
import {
  backupJobArgv,
  type Job,
  type JobCommand,
  type JobDefinition,
  type TriggerSpec,
} from '../../core/jobs/job.js';
import { validateJob, type TriggerInput } from '../../core/jobs/validate-job.js';
import type { CreateExecutionBody } from '../../protocol/api-schemas.js';
import type { CreateJobBody, UpdateJobBody } from '../../protocol/job-schemas.js';
import { runSpecFromBody } from './run-spec-from-body.js';

/**
 * Turns a `POST /api/jobs` body into a checked job definition: the command part goes through the
 * same checks as `POST /api/executions` (one of command/argv, an existing cwd, no NUL…), the rest
 * through the job validator. Errors are 400s naming the field.
 */
export async function jobFromCreateBody(
  body: CreateJobBody,
  serverCwd: string,
  nowMs: number,
): Promise<JobDefinition> {
  if (body.pipeline !== undefined) {
    notForPipeline(body);
    return validateJob(body, await pipelineCommand(body, serverCwd), { notBeforeMs: nowMs });
  }
  const spec = await runSpecFromBody(commandPart(withBackupCommand(inProject(body))), serverCwd);
  return validateJob(
    { ...body, triggers: body.triggers, runsOn: spec.runsOn ?? [], backup: body.backup },
    {
      command: spec.command ?? null,
      argv: spec.argv ?? null,
      ...projectPart(body, spec.cwd),
      env: spec.env ?? {},
      ...(spec.secretEnv !== undefined ? { secretEnv: spec.secretEnv } : {}),
      tags: spec.tags ?? {},
      timeoutSeconds: spec.timeoutSeconds ?? null,
      ...(spec.limits !== undefined ? { limits: spec.limits } : {}),
      ...(spec.environment !== undefined ? { environment: spec.environment } : {}),
    },
    { notBeforeMs: nowMs },
  );
}

/** A PATCH: the fields given replace the job's, the others stay as they are. */
export async function jobFromUpdateBody(
  job: Job,
  body: UpdateJobBody,
  serverCwd: string,
  nowMs: number,
): Promise<JobDefinition> {
  const commandGiven = body.command !== undefined || body.argv !== undefined;
  if (!commandGiven && (body.pipeline ?? job.pipeline) !== undefined) {
    return pipelineJobFromUpdateBody(job, body, serverCwd, nowMs);
  }
  // A command given ends a backup job; otherwise it stays one (with the backup given, if any).
  const backup = body.backup !== undefined ? body.backup : commandGiven ? null : (job.backup ?? null);
  const merged: CreateJobBody = {
    name: body.name ?? job.name,
    triggers: body.triggers ?? job.triggers.map(triggerInput),
    ...(commandGiven || backup !== null
      ? { command: body.command, argv: body.argv }
      : job.argv !== null
        ? { argv: job.argv }
        : { command: job.command ?? '' }),
    cwd: body.cwd ?? job.cwd,
    ...(body.project !== undefined || job.project !== undefined
      ? { project: body.project ?? job.project }
      : {}),
    env: body.env ?? job.env,
    ...(body.secretEnv !== undefined || job.secretEnv !== undefined
      ? { secretEnv: body.secretEnv ?? job.secretEnv }
      : {}),
    tags: body.tags ?? job.tags,
    ...(body.timeout !== undefined
      ? { timeout: body.timeout }
      : job.timeoutSeconds !== null
        ? { timeout: job.timeoutSeconds }
        : {}),
    ...(body.limits !== undefined || job.limits !== undefined ? { limits: body.limits ?? job.limits } : {}),
    enabled: body.enabled ?? job.enabled,
    retry: body.retry ?? job.retry,
    overlap: body.overlap ?? job.overlap,
    maxConcurrentRuns: body.maxConcurrentRuns !== undefined ? body.maxConcurrentRuns : job.maxConcurrentRuns,
    missedFire: body.missedFire ?? job.missedFire,
    lateAfterSeconds: body.lateAfterSeconds !== undefined ? body.lateAfterSeconds : job.lateAfterSeconds,
    lateByP95: body.lateByP95 ?? job.lateByP95,
    webhooks: body.webhooks ?? job.webhooks,
    runsOn: body.runsOn ?? job.runsOn,
    retryOnLost: body.retryOnLost ?? job.retryOnLost,
    // null goes back to the global policy; absent keeps the job's.
    retention: body.retention !== undefined ? body.retention : (job.retention ?? null),
    // null clears it; absent keeps the job's.
    ...(body.environment !== undefined
      ? { environment: body.environment }
      : job.environment !== undefined
        ? { environment: job.environment }
        : {}),
    ...(backup !== null ? { backup } : {}),
  };
  const spec = await runSpecFromBody(commandPart(withBackupCommand(inProject(merged))), serverCwd);
  return validateJob(
    { ...merged, runsOn: spec.runsOn ?? [], backup: backup ?? undefined },
    {
      command: spec.command ?? null,
      argv: spec.argv ?? null,
      ...projectPart(merged, spec.cwd),
      env: spec.env ?? {},
      ...(spec.secretEnv !== undefined ? { secretEnv: spec.secretEnv } : {}),
      tags: spec.tags ?? {},
      timeoutSeconds: spec.timeoutSeconds ?? null,
      ...(spec.limits !== undefined ? { limits: spec.limits } : {}),
      ...(spec.environment !== undefined ? { environment: spec.environment } : {}),
    },
    // Triggers kept as they were may be one-offs that already fired; only new ones must be ahead.
    body.triggers !== undefined ? { notBeforeMs: nowMs } : {},
  );
}

/**
 * Fields of a body that shape one process, or apply to a job's executions: a pipeline job has
 * none (its nodes say how each runs; their executions are the pipeline's, not the job's).
 */
const NOT_FOR_PIPELINE = [
  'command',
  'argv',
  'secretEnv',
  'tags',
  'limits',
  'environment',
  'project',
  'runsOn',
  'backup',
  'retryOnLost',
  'lateAfterSeconds',
  'lateByP95',
  'retention',
] as const;

/** A pipeline job's body gives none of {@link NOT_FOR_PIPELINE}, not even empty: a 400 names it. */
function notForPipeline(body: UpdateJobBody): void {
  const given = NOT_FOR_PIPELINE.find((field) => body[field] !== undefined && body[field] !== null);
  const field = given ?? (body.retry?.onExitCodes != null ? 'retry.onExitCodes' : undefined);
  if (field !== undefined) {
    throw validationError(
      `body.${field} does not apply to a pipeline job: its saved pipeline's nodes say how each runs (docs/JOBS.md, "Pipeline jobs")`,
      { field },
    );
  }
}

/**
 * A pipeline job's command part: its `cwd` (where relative node directories resolve), `env` (added
 * to the pipeline's) and `timeout` (of the whole pipeline run), checked as an execution's are.
 */
async function pipelineCommand(body: CreateJobBody, serverCwd: string): Promise<JobCommand> {
  // The run-spec checks want a command; this placeholder is checked and dropped, never run.
  const spec = await runSpecFromBody(
    commandPart({ ...body, argv: ['pipeline'], command: undefined }),
    serverCwd,
  );
  return {
    command: null,
    argv: null,
    pipeline: body.pipeline,
    cwd: spec.cwd,
    env: spec.env ?? {},
    tags: {},
    timeoutSeconds: spec.timeoutSeconds ?? null,
  };
}

/** A PATCH of a pipeline job (or one that makes a job a pipeline job, which the use case refuses). */
async function pipelineJobFromUpdateBody(
  job: Job,
  body: UpdateJobBody,
  serverCwd: string,
  nowMs: number,
): Promise<JobDefinition> {
  notForPipeline(body);
  const merged: CreateJobBody = {
    name: body.name ?? job.name,
    triggers: body.triggers ?? job.triggers.map(triggerInput),
    pipeline: body.pipeline ?? job.pipeline,
    cwd: body.cwd ?? job.cwd,
    env: body.env ?? job.env,
    ...(body.timeout !== undefined
      ? { timeout: body.timeout }
      : job.timeoutSeconds !== null
        ? { timeout: job.timeoutSeconds }
        : {}),
    enabled: body.enabled ?? job.enabled,
    retry: body.retry ?? job.retry,
    overlap: body.overlap ?? job.overlap,
    maxConcurrentRuns: body.maxConcurrentRuns !== undefined ? body.maxConcurrentRuns : job.maxConcurrentRuns,
    missedFire: body.missedFire ?? job.missedFire,
    webhooks: body.webhooks ?? job.webhooks,
  };
  return validateJob(
    merged,
    await pipelineCommand(merged, serverCwd),
    body.triggers !== undefined ? { notBeforeMs: nowMs } : {},
  );
}

/**
 * A project job's cwd is a folder inside the project, checked when it is validated and resolved
 * in the copy each run gets (docs/WORKSPACE.md): the server's directory checks do not apply.
 */
function inProject(body: CreateJobBody): CreateJobBody {
  if (body.project === undefined) return body;
  const { cwd: _inside, ...rest } = body;
  return rest;
}

/** The cwd (and project) a job stores: the folder inside the project as given, else the checked path. */
function projectPart(body: CreateJobBody, checkedCwd: string): { cwd: string; project?: string } {
  if (body.project === undefined) return { cwd: checkedCwd };
  return { cwd: body.cwd === undefined || body.cwd === '.' ? '' : body.cwd, project: body.project };
}

/** A backup job's body gets StepFlow's own command; one that gives a command of its own is refused. */
function withBackupCommand(body: CreateJobBody): CreateJobBody {
  if (!body.backup) return body;
  if (body.command !== undefined || body.argv !== undefined) {
    throw validationError(
      "body.command: a backup job's command is StepFlow's own (stepflow backup --to DIR --keep N): give no command or argv",
      { field: 'command' },
    );
  }
  return { ...body, argv: backupJobArgv(body.backup) };
}

function commandPart(body: CreateJobBody): CreateExecutionBody {
  return {
    ...(body.command !== undefined ? { command: body.command } : {}),
    ...(body.argv !== undefined ? { argv: body.argv } : {}),
    ...(body.cwd !== undefined ? { cwd: body.cwd } : {}),
    ...(body.env !== undefined ? { env: body.env } : {}),
    ...(body.secretEnv !== undefined ? { secretEnv: body.secretEnv } : {}),
    ...(body.tags !== undefined ? { tags: body.tags } : {}),
    ...(body.timeout !== undefined ? { timeout: body.timeout } : {}),
    ...(body.limits !== undefined ? { limits: body.limits } : {}),
    ...(typeof body.environment === 'string' ? { environment: body.environment } : {}),
    // Checked here like an execution's: the labels, and then cwd is a path on the worker's host.
    ...(body.runsOn !== undefined ? { runsOn: body.runsOn } : {}),
  };
}

function triggerInput(trigger: TriggerSpec): TriggerInput {
  switch (trigger.kind) {
    case 'cron':
      return { cron: trigger.cron, timezone: trigger.timezone };
    case 'interval':
      return { intervalSeconds: trigger.intervalSeconds };
    case 'once':
      return { at: trigger.at };
  }
}
