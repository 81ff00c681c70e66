import type pg from 'pg';

/** A pool or one of its clients (inside a transaction): what the query modules run on. */
export type Queryable = pg.Pool | pg.PoolClient;

/** PostgreSQL takes at most 65,535 parameters per statement; stay well below. */
const MAX_PARAMS = 30_000;

/**
 * Runs `head VALUES (…), (…) tail` for `rows` (each `width` values, in column order): one statement
 * for a whole batch of rows (several only past the parameter limit), never one per row.
 */
export async function insertValues(
  db: Queryable,
  head: string,
  width: number,
  rows: readonly unknown[][],
  tail = '',
): Promise<void> {
  const perStatement = Math.max(1, Math.floor(MAX_PARAMS / width));
  for (let start = 0; start < rows.length; start += perStatement) {
    const slice = rows.slice(start, start + perStatement);
    const params: unknown[] = [];
    const tuples = slice.map((row) => {
      const first = params.length;
      for (const value of row) params.push(textValue(value));
      return `(${row.map((_, i) => `$${first + i + 1}`).join(', ')})`;
    });
    await db.query(`${head} VALUES ${tuples.join(', ')} ${tail}`, params);
  }
}

/**
 * The rows keyed by `key`, the last one of each key kept, in first-seen order: `ON CONFLICT DO
 * UPDATE` refuses to touch a row twice in one statement, and a batch may carry an upsert twice.
 */
export function lastByKey<T>(items: readonly T[], key: (item: T) => string): T[] {
  const byKey = new Map<string, T>();
  for (const item of items) byKey.set(key(item), item);
  return [...byKey.values()];
}

/**
 * PostgreSQL text cannot hold NUL, and a statement with one fails whole: a step name, annotation or
 * summary holding one (printed by a script) would make the store refuse the batch and its lines.
 * Such a NUL is stored as U+FFFD instead (log text is bytes and keeps it; SQLite keeps it too).
 */
function textValue(value: unknown): unknown {
  return typeof value === 'string' && value.includes('\0') ? value.replaceAll('\0', '\ufffd') : value;
}
