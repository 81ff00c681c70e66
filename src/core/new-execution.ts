import { validationError } from './errors.js';
import type { Execution, ExecutionJobLink, ExecutionOwner, ExecutionRerunLink, RunSpec } from './model.js';

/** What a caller asks a store to create (`ExecutionStore.createExecution`). */
export interface NewExecution {
  spec: RunSpec;
  status?: 'queued' | 'running';
  owner?: ExecutionOwner | null;
  /** Defaults to now. */
  createdAt?: string;
  /** Set when a job starts it: links it to the job and to the attempt it retries. */
  job?: ExecutionJobLink;
  /** Set when it re-runs another execution (`executions.rerun`). */
  rerun?: ExecutionRerunLink;
  /** Set when it waits for a worker: the labels it needs (maybe none). See {@link Execution.runsOn}. */
  runsOn?: string[];
  /** Who starts it: see {@link Execution.createdBy}. */
  createdBy?: string;
}

/**
 * The execution a store saves for `input`, every field decided here so that no two backends can
 * decide them differently: its id (from `nextId`, see `execution-ids.ts`: ordering by id is
 * ordering by creation), its name (the spec's, else the command line), its start when created
 * `running`, and empty results. A spec without exactly one of command and argv, or without a
 * cwd, or a createdAt that is not a time, is a `validation_failed` error and nothing is created.
 */
export function newExecution(
  input: NewExecution,
  { nextId, now }: { nextId: (createdMs: number) => string; now: () => Date },
): Execution {
  const { spec } = input;
  const command = displayCommand(spec);
  const createdAt = input.createdAt ?? now().toISOString();
  const createdMs = Date.parse(createdAt);
  if (Number.isNaN(createdMs)) {
    throw validationError(`createdAt must be an ISO 8601 timestamp, got ${JSON.stringify(createdAt)}`);
  }
  const status = input.status ?? 'queued';
  return {
    id: nextId(createdMs),
    name: spec.name !== undefined && spec.name !== '' ? spec.name : command,
    command,
    argv: spec.argv ?? null,
    cwd: spec.cwd,
    tags: { ...spec.tags },
    status,
    exitCode: null,
    signal: null,
    error: null,
    createdAt,
    startedAt: status === 'running' ? createdAt : null,
    endedAt: null,
    durationMs: null,
    // 0 means no limit, as an absent one does.
    timeoutSeconds: spec.timeoutSeconds ? spec.timeoutSeconds : null,
    meta: {},
    estimatedDurationSeconds: null,
    lateAfterSeconds: spec.lateAfterSeconds ? spec.lateAfterSeconds : null,
    owner: input.owner ?? null,
    lineCount: 0,
    resources: null,
    jobId: input.job?.jobId ?? null,
    attempt: input.job?.attempt ?? null,
    retryOfId: input.job?.retryOfId ?? null,
    scheduledAt: input.job?.scheduledAt ?? null,
    rerunOf: input.rerun?.rerunOf ?? null,
    resumeFrom: input.rerun?.resumeFrom ?? null,
    hasSummary: false,
    outputs: {},
    limits: spec.limits !== undefined && Object.keys(spec.limits).length > 0 ? { ...spec.limits } : null,
    limitHits: [],
    ...(input.runsOn === undefined ? {} : { runsOn: [...input.runsOn] }),
    ...(input.createdBy === undefined ? {} : { createdBy: input.createdBy }),
    ...(spec.project === undefined
      ? {}
      : { project: { name: spec.project.name, version: spec.project.version } }),
  };
}

/** The command line shown for a spec: `command`, or `argv` joined with spaces. */
function displayCommand(spec: RunSpec): string {
  const hasCommand = typeof spec.command === 'string' && spec.command !== '';
  const hasArgv = Array.isArray(spec.argv) && spec.argv.length > 0;
  if (hasCommand === hasArgv) throw validationError('a run spec needs exactly one of command and argv');
  if (typeof spec.cwd !== 'string' || spec.cwd === '') throw validationError('a run spec needs a cwd');
  return hasCommand ? (spec.command as string) : (spec.argv as string[]).join(' ');
}
