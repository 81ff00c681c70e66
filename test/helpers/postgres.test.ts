import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { usePostgres } from './postgres.js';

describe('the tests’ own PostgreSQL server', () => {
  const server = usePostgres();

  it('gives each caller an empty database of its own', async () => {
    const [a, b] = [await server().createDatabase(), await server().createDatabase()];
    expect(a).not.toBe(b);
    const client = new pg.Client({ connectionString: a });
    await client.connect();
    try {
      await client.query('CREATE TABLE t (x int)');
      const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
      expect(Number.parseInt(rows[0]!.server_version, 10)).toBeGreaterThanOrEqual(15);
    } finally {
      await client.end();
    }
    const other = new pg.Client({ connectionString: b });
    await other.connect();
    try {
      const { rows } = await other.query("SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 't'");
      expect(rows[0].n).toBe(0);
    } finally {
      await other.end();
    }
  });
});
