import {
  EMPTY_SETTINGS,
  ENVIRONMENT_STATES,
  type EnvironmentState,
  type PythonEnvironment,
  type WorkspaceSettings,
} from '../core/environments.js';
import { ERROR_CODES, StepflowError } from '../core/errors.js';
import type { EnvironmentChange } from './environment-store.js';

/** An `environments` row as both backends store it (requirements as a JSON array). */
export interface EnvironmentRow {
  name: string;
  interpreter: string;
  requirements: string;
  state: string;
  generation: number;
  last_build_id: string | null;
  created_at: string;
  updated_at: string;
}

export const ENVIRONMENT_COLUMNS =
  'name, interpreter, requirements, state, generation, last_build_id, created_at, updated_at';

export function environmentValues(environment: PythonEnvironment): (string | number | null)[] {
  return [
    environment.name,
    environment.interpreter,
    JSON.stringify(environment.requirements),
    environment.state,
    environment.generation,
    environment.lastBuildId,
    environment.createdAt,
    environment.updatedAt,
  ];
}

export function environmentFromRow(row: EnvironmentRow): PythonEnvironment {
  return {
    name: row.name,
    interpreter: row.interpreter,
    requirements: parse<string[]>(row.requirements, `the requirements of environment ${row.name}`),
    state: (ENVIRONMENT_STATES as readonly string[]).includes(row.state)
      ? (row.state as EnvironmentState)
      : 'failed',
    generation: Number(row.generation),
    lastBuildId: row.last_build_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The SET clause and values of an update (`placeholder(n)`: `?` or `$n`), updatedAt last. */
export function environmentUpdate(
  change: EnvironmentChange,
  updatedAt: string,
  placeholder: (n: number) => string,
): { sql: string; values: (string | number | null)[] } {
  const pairs: [string, string | number | null][] = [];
  if (change.interpreter !== undefined) pairs.push(['interpreter', change.interpreter]);
  if (change.requirements !== undefined) pairs.push(['requirements', JSON.stringify(change.requirements)]);
  if (change.state !== undefined) pairs.push(['state', change.state]);
  if (change.generation !== undefined) pairs.push(['generation', change.generation]);
  if (change.lastBuildId !== undefined) pairs.push(['last_build_id', change.lastBuildId]);
  pairs.push(['updated_at', updatedAt]);
  return {
    sql: pairs.map(([column], i) => `${column} = ${placeholder(i + 1)}`).join(', '),
    values: pairs.map(([, value]) => value),
  };
}

/** The stored settings document back as settings; fields it lacks (an older version) are empty. */
export function settingsFromDocument(document: string | undefined): WorkspaceSettings {
  if (document === undefined) return EMPTY_SETTINGS;
  return { ...EMPTY_SETTINGS, ...parse<Partial<WorkspaceSettings>>(document, 'the settings') };
}

export const nameTaken = (name: string, cause: unknown): StepflowError =>
  new StepflowError(ERROR_CODES.CONFLICT, `an environment named ${JSON.stringify(name)} already exists`, {
    cause,
  });

function parse<T>(text: string, what: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new StepflowError(ERROR_CODES.UNREADABLE, `${what} cannot be read`, { cause: error });
  }
}
