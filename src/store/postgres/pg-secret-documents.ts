import type pg from 'pg';
import type { SecretDocumentCounts, SecretDocumentKind, SecretDocuments } from '../secret-documents.js';
import { toStoreError } from './pg-errors.js';
import { onClient } from './write-transaction.js';

/** Run specs that may hold a secret: a non-empty `env` or `secretEnv` (as in the SQLite backend). */
const RUNS_WITH_ENV = `strpos(run_spec, 'nv":{"') > 0`;

/** {@link SecretDocuments} on the PostgreSQL backend's pool. */
export class PostgresSecretDocuments implements SecretDocuments {
  constructor(
    private readonly pool: pg.Pool,
    private readonly now: () => Date,
  ) {}

  async keyId(): Promise<string | null> {
    return this.guard('cannot read the secret key id', async () => {
      const { rows } = await this.pool.query<{ key_id: string }>(
        'SELECT key_id FROM secret_keys WHERE id = 1',
      );
      return rows[0]?.key_id ?? null;
    });
  }

  async rewrite(
    keyId: string | null,
    rewrite: (json: string, kind: SecretDocumentKind) => string | undefined,
  ): Promise<SecretDocumentCounts> {
    return this.guard('cannot rewrite the stored secrets', () =>
      onClient(this.pool, async (client) => {
        await client.query('BEGIN');
        try {
          // A check (no key id to record) reads only; a rewrite locks first, so a second rotation
          // (another host) waits here, then finds the new key id.
          const forUpdate = keyId === null ? '' : ' FOR UPDATE';
          if (keyId !== null) await client.query('LOCK TABLE secret_keys IN EXCLUSIVE MODE');
          const counts = { jobs: 0, runs: 0, settings: 0 };
          const jobs = await client.query<{ id: string; definition: string }>(
            `SELECT id, definition FROM jobs${forUpdate}`,
          );
          for (const { id, definition } of jobs.rows) {
            const next = rewrite(definition, 'job');
            if (next === undefined || next === definition) continue;
            await client.query('UPDATE jobs SET definition = $1 WHERE id = $2', [next, id]);
            counts.jobs++;
          }
          const runs = await client.query<{ id: string; run_spec: string }>(
            `SELECT id, run_spec FROM executions WHERE ${RUNS_WITH_ENV}${forUpdate}`,
          );
          for (const { id, run_spec } of runs.rows) {
            const next = rewrite(run_spec, 'run');
            if (next === undefined || next === run_spec) continue;
            await client.query('UPDATE executions SET run_spec = $1 WHERE id = $2', [next, id]);
            counts.runs++;
          }
          const settings = await client.query<{ document: string }>(
            `SELECT document FROM settings WHERE id = 1${forUpdate}`,
          );
          const stored = settings.rows[0]?.document;
          const nextSettings = stored === undefined ? undefined : rewrite(stored, 'settings');
          if (nextSettings !== undefined && nextSettings !== stored) {
            await client.query('UPDATE settings SET document = $1 WHERE id = 1', [nextSettings]);
            counts.settings = 1;
          }
          if (keyId !== null)
            await client.query(
              `INSERT INTO secret_keys (id, key_id, sealed_at) VALUES (1, $1, $2)
             ON CONFLICT (id) DO UPDATE SET key_id = excluded.key_id, sealed_at = excluded.sealed_at`,
              [keyId, this.now().toISOString()],
            );
          await client.query('COMMIT');
          return counts;
        } catch (error) {
          // The original error is what the caller needs.
          await client.query('ROLLBACK').catch(() => undefined);
          throw error;
        }
      }),
    );
  }

  async countContaining(text: string): Promise<SecretDocumentCounts> {
    return this.guard('cannot count the stored secrets', async () => {
      const { rows } = await this.pool.query<{ jobs: number; runs: number; settings: number }>(
        `SELECT (SELECT count(*) FROM jobs WHERE strpos(definition, $1) > 0)::integer AS jobs,
                (SELECT count(*) FROM executions WHERE ${RUNS_WITH_ENV} AND strpos(run_spec, $1) > 0)::integer AS runs,
                (SELECT count(*) FROM settings WHERE strpos(document, $1) > 0)::integer AS settings`,
        [text],
      );
      return { jobs: rows[0]?.jobs ?? 0, runs: rows[0]?.runs ?? 0, settings: rows[0]?.settings ?? 0 };
    });
  }

  private async guard<T>(context: string, operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw toStoreError(error, context);
    }
  }
}
