import type { RunLimits } from '../run-limits.js';
import type { Job, JobCommand, TriggerSpec } from './job.js';
import { validateJob, type JobInput } from './validate-job.js';

/** A job as a store holds it: its columns, its definition's JSON (parsed) and its trigger rows. */
export interface StoredJob {
  id: string;
  name: string;
  enabled: boolean;
  lateByP95: boolean;
  /** Its own column (a JSON array of labels); absent in rows that predate it: none. */
  runsOn?: unknown;
  retryOnLost?: boolean | undefined;
  /** The definition column, parsed: everything but the name, the flags, the labels and the triggers. */
  definition: unknown;
  triggers: { id: string; spec: unknown; anchorMs: unknown; nextFireMs: unknown }[];
  createdAt: string;
  updatedAt: string;
}

/**
 * Turns a stored job back into a {@link Job}, held to the rules a new job must pass
 * (`validateJob`): nothing is read that could not have been written. A job saved by an older
 * version with a value now out of range (an interval of 250,000 years), or a damaged row, is
 * refused with an Error that says what is wrong, so a reader can skip and report it instead of
 * failing on it later (a fire time past year 275760 is no Date). Pure: stores call it per row.
 *
 * `rulesChecked`: this exact content passed the rules before (the caller remembers it), so only the
 * cheap shape checks run; the rules parse cron expressions and time zones, which a polled list of
 * hundreds of jobs should not pay for each time.
 */
export function jobFromStored(stored: StoredJob, { rulesChecked = false } = {}): Job {
  const d = record(stored.definition, 'definition');
  const command: JobCommand = {
    command: nullable(d.command, 'command', isString),
    argv: nullable(d.argv, 'argv', isStringList),
    cwd: check(d.cwd, 'cwd', isString),
    env: check(d.env, 'env', isStringMap),
    tags: check(d.tags, 'tags', isStringMap),
    timeoutSeconds: nullable(d.timeoutSeconds, 'timeoutSeconds', Number.isFinite),
    ...(d.limits !== undefined ? { limits: record(d.limits, 'limits') as RunLimits } : {}),
    ...(d.environment !== undefined
      ? { environment: check<string>(d.environment, 'environment', isString) }
      : {}),
    ...(d.project !== undefined ? { project: check(d.project, 'project', isString) } : {}),
    ...(d.pipeline !== undefined ? { pipeline: check(d.pipeline, 'pipeline', isString) } : {}),
  };
  const runsOn = check<string[]>(stored.runsOn ?? [], 'runsOn', isStringList);
  const retryOnLost = stored.retryOnLost ?? false;
  const triggers = stored.triggers.map((row, i) => ({
    ...(record(row.spec, `triggers.${i}`) as TriggerSpec),
    id: row.id,
    anchorMs: check<number>(row.anchorMs, `triggers.${i}.anchorMs`, Number.isFinite),
    nextFireMs: nullable<number>(row.nextFireMs, `triggers.${i}.nextFireMs`, Number.isFinite),
  }));
  if (!rulesChecked) {
    const input = {
      ...d,
      name: stored.name,
      enabled: stored.enabled,
      lateByP95: stored.lateByP95,
      runsOn,
      retryOnLost,
      // The stored form names its kind; the input form is the kind's one field.
      triggers: triggers.map(({ kind: _kind, id: _id, anchorMs: _a, nextFireMs: _n, ...fields }) => fields),
    } as JobInput;
    validateJob(input, command).triggers.forEach((spec, i) => {
      if (spec.kind !== triggers[i]!.kind) throw new Error(`triggers.${i} is not a ${spec.kind} trigger`);
    });
  }
  return {
    ...(d as unknown as Omit<
      Job,
      'id' | 'name' | 'enabled' | 'lateByP95' | 'triggers' | 'runsOn' | 'retryOnLost'
    >),
    id: stored.id,
    name: stored.name,
    enabled: stored.enabled,
    lateByP95: stored.lateByP95,
    runsOn,
    retryOnLost,
    triggers,
    createdAt: stored.createdAt,
    updatedAt: stored.updatedAt,
  };
}

const isString = (value: unknown): value is string => typeof value === 'string';
const isStringList = (value: unknown): value is string[] => Array.isArray(value) && value.every(isString);
const isStringMap = (value: unknown): value is Record<string, string> =>
  isObject(value) && Object.values(value).every(isString);
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function record(value: unknown, field: string): Record<string, unknown> {
  if (!isObject(value)) throw new Error(`${field} is not an object`);
  return value;
}

function check<T>(value: unknown, field: string, test: (value: unknown) => boolean): T {
  if (!test(value))
    throw new Error(`${field} is missing or invalid: ${JSON.stringify(value) ?? 'undefined'}`);
  return value as T;
}

function nullable<T>(value: unknown, field: string, test: (value: unknown) => boolean): T | null {
  return value === null ? null : check<T>(value, field, test);
}
