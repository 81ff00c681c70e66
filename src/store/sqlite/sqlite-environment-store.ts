import type Database from 'better-sqlite3';
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
import { guarded } from './sqlite-errors.js';

/** {@link EnvironmentStore} on the execution store's connection (same database file). */
export class SqliteEnvironmentStore implements EnvironmentStore {
  constructor(private readonly db: Database.Database) {}

  async readSettings(): Promise<WorkspaceSettings> {
    return guarded(this.db, 'cannot read the settings', () => {
      const row = this.db
        .prepare<[], { document: string }>('SELECT document FROM settings WHERE id = 1')
        .get();
      return settingsFromDocument(row?.document);
    });
  }

  async writeSettings(settings: WorkspaceSettings): Promise<void> {
    guarded(this.db, 'cannot save the settings', () =>
      this.db
        .prepare(
          'INSERT INTO settings (id, document) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET document = excluded.document',
        )
        .run(JSON.stringify(settings)),
    );
  }

  async listEnvironments(): Promise<PythonEnvironment[]> {
    return guarded(this.db, 'cannot read the environments', () =>
      this.db
        .prepare<[], EnvironmentRow>(`SELECT ${ENVIRONMENT_COLUMNS} FROM environments ORDER BY name`)
        .all()
        .map(environmentFromRow),
    );
  }

  async getEnvironment(name: string): Promise<PythonEnvironment | undefined> {
    return guarded(this.db, 'cannot read the environment', () => {
      const row = this.db
        .prepare<[string], EnvironmentRow>(`SELECT ${ENVIRONMENT_COLUMNS} FROM environments WHERE name = ?`)
        .get(name);
      return row === undefined ? undefined : environmentFromRow(row);
    });
  }

  async createEnvironment(environment: PythonEnvironment): Promise<void> {
    guarded(this.db, 'cannot save the environment', () => {
      try {
        this.db
          .prepare(`INSERT INTO environments (${ENVIRONMENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
          .run(...environmentValues(environment));
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE') {
          throw nameTaken(environment.name, error);
        }
        throw error;
      }
    });
  }

  async updateEnvironment(
    name: string,
    change: EnvironmentChange,
    updatedAt: string,
  ): Promise<PythonEnvironment | undefined> {
    const update = environmentUpdate(change, updatedAt, () => '?');
    return guarded(this.db, 'cannot save the environment', () => {
      const row = this.db
        .prepare<(string | number | null)[], EnvironmentRow>(
          `UPDATE environments SET ${update.sql} WHERE name = ? RETURNING ${ENVIRONMENT_COLUMNS}`,
        )
        .get(...update.values, name);
      return row === undefined ? undefined : environmentFromRow(row);
    });
  }

  async finishBuild(
    name: string,
    buildId: string,
    state: EnvironmentState,
    updatedAt: string,
  ): Promise<boolean> {
    return guarded(
      this.db,
      'cannot save the environment',
      () =>
        this.db
          .prepare(
            `UPDATE environments SET state = ?, updated_at = ?
             WHERE name = ? AND last_build_id = ? AND state = 'building'`,
          )
          .run(state, updatedAt, name, buildId).changes === 1,
    );
  }

  async deleteEnvironment(name: string): Promise<boolean> {
    return guarded(
      this.db,
      'cannot delete the environment',
      () => this.db.prepare('DELETE FROM environments WHERE name = ?').run(name).changes === 1,
    );
  }
}
