import type pg from 'pg';
import type { EnvironmentState, PythonEnvironment, WorkspaceSettings } from '../../core/environments.js';
import type { EnvironmentChange, EnvironmentStore } from '../environment-store.js';
import {
  ENVIRONMENT_COLUMNS,
  environmentFromRow,
  environmentUpdate,
  environmentValues,
  nameTaken,
  settingsFromDocument,
  type EnvironmentRow,
} from '../environment-row.js';
import { toStoreError } from './pg-errors.js';

const UNIQUE_VIOLATION = '23505';

/** {@link EnvironmentStore} on the PostgreSQL backend's pool. */
export class PostgresEnvironmentStore implements EnvironmentStore {
  constructor(private readonly pool: pg.Pool) {}

  async readSettings(): Promise<WorkspaceSettings> {
    const { rows } = await this.guard('cannot read the settings', () =>
      this.pool.query<{ document: string }>('SELECT document FROM settings WHERE id = 1'),
    );
    return settingsFromDocument(rows[0]?.document);
  }

  async writeSettings(settings: WorkspaceSettings): Promise<void> {
    await this.guard('cannot save the settings', () =>
      this.pool.query(
        'INSERT INTO settings (id, document) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET document = excluded.document',
        [JSON.stringify(settings)],
      ),
    );
  }

  async listEnvironments(): Promise<PythonEnvironment[]> {
    const { rows } = await this.guard('cannot read the environments', () =>
      this.pool.query<EnvironmentRow>(`SELECT ${ENVIRONMENT_COLUMNS} FROM environments ORDER BY name`),
    );
    return rows.map(environmentFromRow);
  }

  async getEnvironment(name: string): Promise<PythonEnvironment | undefined> {
    const { rows } = await this.guard('cannot read the environment', () =>
      this.pool.query<EnvironmentRow>(`SELECT ${ENVIRONMENT_COLUMNS} FROM environments WHERE name = $1`, [
        name,
      ]),
    );
    return rows[0] === undefined ? undefined : environmentFromRow(rows[0]);
  }

  async createEnvironment(environment: PythonEnvironment): Promise<void> {
    await this.guard('cannot save the environment', async () => {
      try {
        await this.pool.query(
          `INSERT INTO environments (${ENVIRONMENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
          environmentValues(environment),
        );
      } catch (error) {
        if ((error as { code?: unknown }).code === UNIQUE_VIOLATION) throw nameTaken(environment.name, error);
        throw error;
      }
    });
  }

  async updateEnvironment(
    name: string,
    change: EnvironmentChange,
    updatedAt: string,
  ): Promise<PythonEnvironment | undefined> {
    const update = environmentUpdate(change, updatedAt, (n) => `$${n}`);
    const { rows } = await this.guard('cannot save the environment', () =>
      this.pool.query<EnvironmentRow>(
        `UPDATE environments SET ${update.sql} WHERE name = $${update.values.length + 1} RETURNING ${ENVIRONMENT_COLUMNS}`,
        [...update.values, name],
      ),
    );
    return rows[0] === undefined ? undefined : environmentFromRow(rows[0]);
  }

  async finishBuild(
    name: string,
    buildId: string,
    state: EnvironmentState,
    updatedAt: string,
  ): Promise<boolean> {
    const { rowCount } = await this.guard('cannot save the environment', () =>
      this.pool.query(
        `UPDATE environments SET state = $1, updated_at = $2
         WHERE name = $3 AND last_build_id = $4 AND state = 'building'`,
        [state, updatedAt, name, buildId],
      ),
    );
    return rowCount === 1;
  }

  async deleteEnvironment(name: string): Promise<boolean> {
    const { rowCount } = await this.guard('cannot delete the environment', () =>
      this.pool.query('DELETE FROM environments WHERE name = $1', [name]),
    );
    return rowCount === 1;
  }

  private async guard<T>(context: string, operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw toStoreError(error, context);
    }
  }
}
