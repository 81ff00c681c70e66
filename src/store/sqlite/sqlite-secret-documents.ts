import type Database from 'better-sqlite3';
import type { SecretDocumentCounts, SecretDocumentKind, SecretDocuments } from '../secret-documents.js';
import { guarded } from './sqlite-errors.js';

/**
 * Run specs that may hold a secret: a non-empty `env` or `secretEnv` object (JSON.stringify
 * writes `"env":{"…`). The rest (most runs of a CLI, every `{}`) is never read.
 */
const RUNS_WITH_ENV = `instr(run_spec, 'nv":{"') > 0`;

/** {@link SecretDocuments} on the execution store's connection. */
export class SqliteSecretDocuments implements SecretDocuments {
  constructor(
    private readonly db: Database.Database,
    private readonly now: () => Date,
  ) {}

  async keyId(): Promise<string | null> {
    return guarded(this.db, 'cannot read the secret key id', () => {
      const row = this.db
        .prepare<[], { key_id: string }>('SELECT key_id FROM secret_keys WHERE id = 1')
        .get();
      return row?.key_id ?? null;
    });
  }

  async rewrite(
    keyId: string | null,
    rewrite: (json: string, kind: SecretDocumentKind) => string | undefined,
  ): Promise<SecretDocumentCounts> {
    return guarded(this.db, 'cannot rewrite the stored secrets', () => {
      // What a rewrite replaces (clear text, values under the old key) is zeroed, not left in
      // free space; the checkpoint then writes the new pages over the old and empties the WAL.
      const secureDelete = this.db.pragma('secure_delete', { simple: true }) as number;
      this.db.pragma('secure_delete = ON');
      try {
        const counts = this.rewriteAll(keyId, rewrite);
        this.db.pragma('wal_checkpoint(TRUNCATE)');
        return counts;
      } finally {
        // 2 reads back for FAST, which only the word sets again.
        this.db.pragma(`secure_delete = ${secureDelete === 2 ? 'FAST' : secureDelete}`);
      }
    });
  }

  private rewriteAll(
    keyId: string | null,
    rewrite: (json: string, kind: SecretDocumentKind) => string | undefined,
  ): SecretDocumentCounts {
    return this.db
      .transaction((): SecretDocumentCounts => {
        const counts = { jobs: 0, runs: 0, settings: 0 };
        const jobs = this.db
          .prepare<[], { id: string; definition: string }>('SELECT id, definition FROM jobs')
          .all();
        const updateJob = this.db.prepare<[string, string]>('UPDATE jobs SET definition = ? WHERE id = ?');
        for (const { id, definition } of jobs) {
          const next = rewrite(definition, 'job');
          if (next === undefined || next === definition) continue;
          updateJob.run(next, id);
          counts.jobs++;
        }
        const updateRun = this.db.prepare<[string, string]>(
          'UPDATE executions SET run_spec = ? WHERE id = ?',
        );
        const runs = this.db
          .prepare<[], { id: string; run_spec: string }>(
            `SELECT id, run_spec FROM executions WHERE ${RUNS_WITH_ENV}`,
          )
          .iterate();
        // Collected first: better-sqlite3 refuses a write while a read statement iterates.
        const changed: [string, string][] = [];
        for (const { id, run_spec } of runs) {
          const next = rewrite(run_spec, 'run');
          if (next !== undefined && next !== run_spec) changed.push([next, id]);
        }
        for (const [next, id] of changed) updateRun.run(next, id);
        counts.runs = changed.length;
        const settings = this.db
          .prepare<[], { document: string }>('SELECT document FROM settings WHERE id = 1')
          .get();
        const nextSettings = settings === undefined ? undefined : rewrite(settings.document, 'settings');
        if (nextSettings !== undefined && nextSettings !== settings?.document) {
          this.db.prepare<[string]>('UPDATE settings SET document = ? WHERE id = 1').run(nextSettings);
          counts.settings = 1;
        }
        if (keyId !== null)
          this.db
            .prepare<[string, string]>(
              `INSERT INTO secret_keys (id, key_id, sealed_at) VALUES (1, ?, ?)
               ON CONFLICT (id) DO UPDATE SET key_id = excluded.key_id, sealed_at = excluded.sealed_at`,
            )
            .run(keyId, this.now().toISOString());
        return counts;
      })
      .immediate();
  }

  async countContaining(text: string): Promise<SecretDocumentCounts> {
    return guarded(this.db, 'cannot count the stored secrets', () => ({
      jobs:
        this.db
          .prepare<[string], number>('SELECT count(*) FROM jobs WHERE instr(definition, ?) > 0')
          .pluck()
          .get(text) ?? 0,
      runs:
        this.db
          .prepare<[string], number>(
            `SELECT count(*) FROM executions WHERE ${RUNS_WITH_ENV} AND instr(run_spec, ?) > 0`,
          )
          .pluck()
          .get(text) ?? 0,
      settings:
        this.db
          .prepare<[string], number>('SELECT count(*) FROM settings WHERE instr(document, ?) > 0')
          .pluck()
          .get(text) ?? 0,
    }));
  }
}
