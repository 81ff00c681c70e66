import { ApiError } from '../../api/client.js';

/**
 * Where a jobs-API error belongs in the form. The job routes name the field in `details.field`
 * (`body.triggers.0.cron`, `retry.maxAttempts`, `cwd`), or, for schema errors, only in the
 * message (`body.triggers.0.intervalSeconds must be number`), so both are read, as a dotted path
 * without `body.`: `triggers.0.cron`.
 */
export function errorPath(error: unknown): string | undefined {
  if (!(error instanceof ApiError)) return undefined;
  const details = error.details as { field?: unknown } | undefined;
  const named = typeof details?.field === 'string' ? details.field : undefined;
  const path = named ?? /^body\.([\w.]+)/.exec(error.message)?.[1];
  return path?.replace(/^body\./, '').replace(/\.$/, '');
}

/**
 * The form field, among `fields`, that shows an error about `path`: the longest one equal to it or
 * containing it (`retry.onExitCodes.1` → `retry.onExitCodes`). `argv` errors belong to the command.
 */
export function fieldForPath(path: string | undefined, fields: readonly string[]): string | undefined {
  if (path === undefined) return undefined;
  const wanted = path === 'argv' || path.startsWith('argv.') ? 'command' : path;
  return fields
    .filter((field) => wanted === field || wanted.startsWith(`${field}.`))
    .sort((a, b) => b.length - a.length)[0];
}

/** `body.triggers.0.cron: invalid cron…` next to the cron field reads `Invalid cron…`. */
export function messageWithoutField(message: string): string {
  const rest = message.replace(/^(?:body|query)(?:\.[\w.]+)?[:\s]+/, '');
  return rest.charAt(0).toUpperCase() + rest.slice(1);
}
