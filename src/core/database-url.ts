/**
 * A database URL as it may be shown (logs, errors, health): the password replaced by `***`. A URL
 * that does not parse is shown as `(unparsable database URL)`, since any part of it may be secret.
 */
export function redactDatabaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '(unparsable database URL)';
  }
  if (parsed.password !== '') parsed.password = '***';
  // A password may also ride in the query (libpq's `?password=`).
  if (parsed.searchParams.has('password')) parsed.searchParams.set('password', '***');
  return parsed.toString();
}

/** `host:port` of a database URL (port 5432 when absent), for messages about reaching it. */
export function databaseAddress(url: string): string {
  try {
    const parsed = new URL(url);
    const host = decodeURIComponent(parsed.hostname) || parsed.searchParams.get('host') || 'localhost';
    return `${host}:${parsed.port || '5432'}`;
  } catch {
    return '(unparsable database URL)';
  }
}
