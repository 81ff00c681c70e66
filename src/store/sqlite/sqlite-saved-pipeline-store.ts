import type Database from 'better-sqlite3';
import type { SavedPipelineRecord, SavedPipelineStore } from '../saved-pipeline-store.js';
import { guarded } from './sqlite-errors.js';

interface Row {
  name: string;
  yaml: string;
  created_at: string;
  updated_at: string;
}

const COLUMNS = 'name, yaml, created_at, updated_at';
const fromRow = (row: Row): SavedPipelineRecord => ({
  name: row.name,
  yaml: row.yaml,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

/** {@link SavedPipelineStore} on the execution store's connection (same database file). */
export class SqliteSavedPipelineStore implements SavedPipelineStore {
  constructor(private readonly db: Database.Database) {}

  async listSavedPipelines(): Promise<SavedPipelineRecord[]> {
    return guarded(this.db, 'cannot list the saved pipelines', () =>
      this.db.prepare<[], Row>(`SELECT ${COLUMNS} FROM saved_pipelines ORDER BY name`).all().map(fromRow),
    );
  }

  async getSavedPipeline(name: string): Promise<SavedPipelineRecord | undefined> {
    return guarded(this.db, `cannot read the saved pipeline ${name}`, () => this.read(name));
  }

  async createSavedPipeline({
    name,
    yaml,
    at,
  }: {
    name: string;
    yaml: string;
    at: string;
  }): Promise<SavedPipelineRecord | undefined> {
    return guarded(this.db, `cannot save the pipeline ${name}`, () => {
      const row = this.db
        .prepare<[string, string, string, string], Row>(
          `INSERT INTO saved_pipelines (${COLUMNS}) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING RETURNING ${COLUMNS}`,
        )
        .get(name, yaml, at, at);
      return row === undefined ? undefined : fromRow(row);
    });
  }

  async putSavedPipeline({
    name,
    yaml,
    at,
  }: {
    name: string;
    yaml: string;
    at: string;
  }): Promise<{ pipeline: SavedPipelineRecord; created: boolean }> {
    return guarded(this.db, `cannot save the pipeline ${name}`, () =>
      this.db
        .transaction(() => {
          const created = this.read(name) === undefined;
          this.db
            .prepare(
              `INSERT INTO saved_pipelines (${COLUMNS}) VALUES (?, ?, ?, ?)
             ON CONFLICT (name) DO UPDATE SET yaml = excluded.yaml, updated_at = excluded.updated_at`,
            )
            .run(name, yaml, at, at);
          const pipeline = this.read(name);
          if (pipeline === undefined) throw new Error('the saved pipeline was not written');
          return { pipeline, created };
        })
        .immediate(),
    );
  }

  async deleteSavedPipeline(name: string): Promise<boolean> {
    return guarded(
      this.db,
      `cannot delete the saved pipeline ${name}`,
      () => this.db.prepare('DELETE FROM saved_pipelines WHERE name = ?').run(name).changes > 0,
    );
  }

  private read(name: string): SavedPipelineRecord | undefined {
    const row = this.db
      .prepare<[string], Row>(`SELECT ${COLUMNS} FROM saved_pipelines WHERE name = ?`)
      .get(name);
    return row === undefined ? undefined : fromRow(row);
  }
}
