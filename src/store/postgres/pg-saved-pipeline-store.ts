import type pg from 'pg';
import type { SavedPipelineRecord, SavedPipelineStore } from '../saved-pipeline-store.js';
import { toStoreError } from './pg-errors.js';

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

/** {@link SavedPipelineStore} on the PostgreSQL backend's pool: each call one statement. */
export class PostgresSavedPipelineStore implements SavedPipelineStore {
  constructor(private readonly pool: pg.Pool) {}

  async listSavedPipelines(): Promise<SavedPipelineRecord[]> {
    const { rows } = await this.guard('cannot list the saved pipelines', () =>
      this.pool.query<Row>(`SELECT ${COLUMNS} FROM saved_pipelines ORDER BY name`),
    );
    return rows.map(fromRow);
  }

  async getSavedPipeline(name: string): Promise<SavedPipelineRecord | undefined> {
    const { rows } = await this.guard(`cannot read the saved pipeline ${name}`, () =>
      this.pool.query<Row>(`SELECT ${COLUMNS} FROM saved_pipelines WHERE name = $1`, [name]),
    );
    return rows[0] === undefined ? undefined : fromRow(rows[0]);
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
    const { rows } = await this.guard(`cannot save the pipeline ${name}`, () =>
      this.pool.query<Row>(
        `INSERT INTO saved_pipelines (${COLUMNS}) VALUES ($1, $2, $3, $3)
         ON CONFLICT (name) DO NOTHING RETURNING ${COLUMNS}`,
        [name, yaml, at],
      ),
    );
    return rows[0] === undefined ? undefined : fromRow(rows[0]);
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
    // One statement, so it is atomic; xmax is 0 on a row this statement inserted (not updated).
    const { rows } = await this.guard(`cannot save the pipeline ${name}`, () =>
      this.pool.query<Row & { created: boolean }>(
        `INSERT INTO saved_pipelines (${COLUMNS}) VALUES ($1, $2, $3, $3)
         ON CONFLICT (name) DO UPDATE SET yaml = excluded.yaml, updated_at = excluded.updated_at
         RETURNING ${COLUMNS}, (xmax = 0) AS created`,
        [name, yaml, at],
      ),
    );
    const row = rows[0];
    if (row === undefined) throw new Error('the saved pipeline was not written');
    return { pipeline: fromRow(row), created: row.created };
  }

  async deleteSavedPipeline(name: string): Promise<boolean> {
    const { rowCount } = await this.guard(`cannot delete the saved pipeline ${name}`, () =>
      this.pool.query('DELETE FROM saved_pipelines WHERE name = $1', [name]),
    );
    return (rowCount ?? 0) > 0;
  }

  private async guard<T>(context: string, operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw toStoreError(error, context);
    }
  }
}
