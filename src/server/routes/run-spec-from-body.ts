import { stat } from 'node:fs/promises';
import path from 'node:path';
import { describeFsError, isErrnoException } from '../../artifacts/describe-fs-error.js';
import { validationError } from '../../core/errors.js';
import { normalizeLabels } from '../../core/workers.js';
import { MAX_ENV_NAME_LENGTH, MAX_TAG_KEY_LENGTH, MAX_TAG_VALUE_LENGTH } from '../../core/input-limits.js';
import type { RunSpec } from '../../core/model.js';
import type { CreateExecutionBody } from '../../protocol/api-schemas.js';

const invalid = (field: string, message: string) => validationError(`body.${field} ${message}`, { field });

/**
 * Turns a schema-valid `POST /api/executions` body into a run spec, checking what a schema cannot:
 * exactly one of command/argv, a working directory that exists, and no value the OS would refuse
 * (a NUL byte, `=` in an env name) so the engine never gets a spec it cannot start. Names and tags
 * refuse NUL too: they are shown in terminals and passed on in webhooks, where a NUL only hides text.
 */
export async function runSpecFromBody(body: CreateExecutionBody, serverCwd: string): Promise<RunSpec> {
  if ((body.command === undefined) === (body.argv === undefined)) {
    throw validationError('body must have exactly one of "command" (a shell string) and "argv" (a list)', {
      field: body.command === undefined ? 'command' : 'argv',
    });
  }
  if (body.command !== undefined) noNul('command', body.command);
  if (body.argv !== undefined) {
    if (body.argv[0] === '') throw invalid('argv', 'must start with a program name');
    body.argv.forEach((arg, i) => noNul(`argv.${i}`, arg));
  }
  const env = body.env === undefined ? undefined : checkedEnv('env', body.env);
  const secretEnv = body.secretEnv === undefined ? undefined : checkedEnv('secretEnv', body.secretEnv);
  for (const name of Object.keys(secretEnv ?? {})) {
    // Which value would the child get, and would it be masked? Neither answer is safe to guess.
    if (env !== undefined && Object.hasOwn(env, name))
      throw invalid('secretEnv', `sets ${name}, which env sets too`);
  }
  if (body.name !== undefined) noNul('name', body.name);
  const runsOn = body.runsOn === undefined ? [] : normalizeLabels(body.runsOn, 'body.runsOn');
  // A worker reports its log in batches that cannot carry gaps, so it applies no log limit: refuse
  // one rather than accept it and not enforce it.
  const { maxLines, maxLogBytes, logLimitPolicy } = body.limits ?? {};
  if (runsOn.length > 0 && (maxLines ?? maxLogBytes ?? logLimitPolicy) !== undefined)
    throw invalid(
      'limits',
      'maxLines, maxLogBytes and logLimitPolicy do not apply to a run with runsOn (workers keep the whole log)',
    );
  return {
    ...(body.command !== undefined ? { command: body.command } : { argv: body.argv }),
    ...(body.name !== undefined ? { name: body.name } : {}),
    // A worker's run: its directory is on the worker's host, which alone can check it.
    cwd: runsOn.length > 0 ? workerDirectory(body.cwd, serverCwd) : await directory(body.cwd, serverCwd),
    ...(runsOn.length > 0 ? { runsOn } : {}),
    ...(body.environment !== undefined ? { environment: body.environment } : {}),
    tags: tagsFrom(body.tags),
    ...(env !== undefined ? { env } : {}),
    ...(secretEnv !== undefined ? { secretEnv } : {}),
    ...(body.timeout !== undefined ? { timeoutSeconds: body.timeout } : {}),
    ...(body.lateAfterSeconds !== undefined ? { lateAfterSeconds: body.lateAfterSeconds } : {}),
    ...(body.limits !== undefined && Object.keys(body.limits).length > 0 ? { limits: body.limits } : {}),
  };
}

function noNul(field: string, value: string): void {
  if (value.includes('\0')) throw invalid(field, 'must not contain a NUL character');
}

function workerDirectory(cwd: string | undefined, serverCwd: string): string {
  if (cwd === undefined) return serverCwd;
  noNul('cwd', cwd);
  if (!path.isAbsolute(cwd)) throw invalid('cwd', 'must be an absolute path for a run with runsOn');
  return cwd;
}

async function directory(cwd: string | undefined, serverCwd: string): Promise<string> {
  if (cwd === undefined) return serverCwd;
  noNul('cwd', cwd);
  const resolved = path.resolve(serverCwd, cwd);
  const info = await stat(resolved).catch((error: unknown) => {
    // The client's path, so the client's problem: a 400 that says why, not a 500.
    if (isErrnoException(error))
      throw invalid('cwd', `${JSON.stringify(resolved)}: ${describeFsError(error)}`);
    throw error;
  });
  if (!info.isDirectory()) throw invalid('cwd', `${JSON.stringify(resolved)} is not a directory`);
  return resolved;
}

/** `env` or `secretEnv` as variables the OS accepts: no `=` in a name, no NUL anywhere. */
function checkedEnv(field: 'env' | 'secretEnv', input: EnvInput): Record<string, string> {
  const env = envFrom(field, input);
  for (const [key, value] of Object.entries(env)) {
    if (key === '' || key.includes('=') || key.length > MAX_ENV_NAME_LENGTH) {
      throw invalid(
        field,
        `has an invalid variable name ${JSON.stringify(key.slice(0, 100))} (1-${MAX_ENV_NAME_LENGTH} characters, no "=")`,
      );
    }
    noNul(`${field}.${key}`, key + value);
  }
  return env;
}

type EnvInput = NonNullable<CreateExecutionBody['env']>;

/** A map as is; a list of `NAME=value` (the value is everything after the first `=`), each name once. */
function envFrom(field: string, env: EnvInput): Record<string, string> {
  if (!Array.isArray(env)) return env;
  // A Map, not an object: a `__proto__` name must be a variable, not a prototype.
  const vars = new Map<string, string>();
  env.forEach((item, i) => {
    const eq = item.indexOf('=');
    if (eq <= 0) throw invalid(`${field}.${i}`, `${JSON.stringify(item)} is not NAME=value`);
    const name = item.slice(0, eq);
    if (vars.has(name)) throw invalid(`${field}.${i}`, `sets ${name} a second time`);
    vars.set(name, item.slice(eq + 1));
  });
  return Object.fromEntries(vars);
}

/** A map as is; a list of `key=value` or bare `key` (stored with an empty value), as the CLI's --tag. */
function tagsFrom(tags: CreateExecutionBody['tags']): Record<string, string> {
  if (tags === undefined) return {};
  const entries = Array.isArray(tags)
    ? tags.map((tag): [string, string] => {
        const eq = tag.indexOf('=');
        return eq < 0 ? [tag, ''] : [tag.slice(0, eq), tag.slice(eq + 1)];
      })
    : Object.entries(tags);
  for (const [key, value] of entries) {
    if (key.trim() === '') throw invalid('tags', 'has an empty key');
    if (key.length > MAX_TAG_KEY_LENGTH) {
      throw invalid('tags', `has a key longer than ${MAX_TAG_KEY_LENGTH} characters`);
    }
    if (value.length > MAX_TAG_VALUE_LENGTH) {
      throw invalid(`tags.${key}`, `is longer than ${MAX_TAG_VALUE_LENGTH} characters`);
    }
    noNul(`tags.${key}`, key + value);
  }
  return Object.fromEntries(entries);
}
