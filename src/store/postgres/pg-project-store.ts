import type pg from 'pg';
import type { Project, ProjectVersion } from '../../core/projects.js';
import type { NewProjectVersion, ProjectStore } from '../project-store.js';
import {
  noProject,
  noVersion,
  PROJECT_COLUMNS,
  projectFromRow,
  projectNameTaken,
  VERSION_COLUMNS,
  versionFromRow,
  versionsToDrop,
  type ProjectRow,
  type VersionRow,
} from '../project-row.js';
import { toStoreError } from './pg-errors.js';

const UNIQUE_VIOLATION = '23505';

/** {@link ProjectStore} on the PostgreSQL backend's pool; a change is one transaction holding the project's row. */
export class PostgresProjectStore implements ProjectStore {
  constructor(private readonly pool: pg.Pool) {}

  async createProject(project: { id: string; name: string }, first: NewProjectVersion): Promise<Project> {
    return this.transaction('cannot create the project', async (db) => {
      try {
        await db.query(
          `INSERT INTO projects (${PROJECT_COLUMNS}, next_version) VALUES ($1, $2, 1, $3, $3, 2)`,
          [project.id, project.name, first.createdAt],
        );
      } catch (error) {
        if ((error as { code?: unknown }).code === UNIQUE_VIOLATION)
          throw projectNameTaken(project.name, error);
        throw error;
      }
      await insertVersion(db, project.id, 1, first);
      return (await lockedById(db, project.id)) as Project;
    });
  }

  async findProject(name: string): Promise<Project | null> {
    const { rows } = await this.guard('cannot read the project', () =>
      this.pool.query<ProjectRow>(`SELECT ${PROJECT_COLUMNS} FROM projects WHERE name = $1`, [name]),
    );
    return rows[0] === undefined ? null : projectFromRow(rows[0]);
  }

  async listProjects(): Promise<Project[]> {
    const { rows } = await this.guard('cannot list the projects', () =>
      this.pool.query<ProjectRow>(`SELECT ${PROJECT_COLUMNS} FROM projects ORDER BY name`),
    );
    return rows.map(projectFromRow);
  }

  async addVersion(
    projectId: string,
    version: NewProjectVersion,
    keep: number,
  ): Promise<{ version: ProjectVersion; dropped: number[] }> {
    return this.transaction('cannot add the version', async (db) => {
      const { rows } = await db.query<{ next_version: number }>(
        'SELECT next_version FROM projects WHERE id = $1 FOR UPDATE',
        [projectId],
      );
      const next = rows[0]?.next_version;
      if (next === undefined) throw noProject(projectId);
      await insertVersion(db, projectId, next, version);
      await db.query(
        'UPDATE projects SET current_version = $1, next_version = $2, updated_at = $3 WHERE id = $4',
        [next, next + 1, version.createdAt, projectId],
      );
      const numbers = await db.query<{ version: number }>(
        'SELECT version FROM project_versions WHERE project_id = $1',
        [projectId],
      );
      const dropped = versionsToDrop(
        numbers.rows.map((row) => row.version),
        keep,
        next,
      );
      if (dropped.length > 0)
        await db.query('DELETE FROM project_versions WHERE project_id = $1 AND version = ANY($2)', [
          projectId,
          dropped,
        ]);
      return { version: { ...version, version: next }, dropped };
    });
  }

  async listVersions(projectId: string): Promise<ProjectVersion[]> {
    const { rows } = await this.guard('cannot list the versions', () =>
      this.pool.query<VersionRow>(
        `SELECT ${VERSION_COLUMNS} FROM project_versions WHERE project_id = $1 ORDER BY version DESC`,
        [projectId],
      ),
    );
    return rows.map(versionFromRow);
  }

  async setCurrentVersion(projectId: string, version: number, at: string): Promise<Project> {
    return this.transaction('cannot change the current version', async (db) => {
      if ((await lockedById(db, projectId)) === null) throw noProject(projectId);
      const kept = await db.query('SELECT 1 FROM project_versions WHERE project_id = $1 AND version = $2', [
        projectId,
        version,
      ]);
      if (kept.rowCount === 0) throw noVersion(version);
      await db.query('UPDATE projects SET current_version = $1, updated_at = $2 WHERE id = $3', [
        version,
        at,
        projectId,
      ]);
      return (await lockedById(db, projectId)) as Project;
    });
  }

  async deleteProject(projectId: string): Promise<boolean> {
    return this.transaction('cannot delete the project', async (db) => {
      await db.query('DELETE FROM project_versions WHERE project_id = $1', [projectId]);
      const { rowCount } = await db.query('DELETE FROM projects WHERE id = $1', [projectId]);
      return (rowCount ?? 0) > 0;
    });
  }

  private async transaction<T>(context: string, work: (db: pg.PoolClient) => Promise<T>): Promise<T> {
    return this.guard(context, async () => {
      const client = await this.pool.connect();
      try {
        await client.query('BEGIN');
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        // Undo the partial change, then report the original error.
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
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

async function lockedById(db: pg.PoolClient, id: string): Promise<Project | null> {
  const { rows } = await db.query<ProjectRow>(
    `SELECT ${PROJECT_COLUMNS} FROM projects WHERE id = $1 FOR UPDATE`,
    [id],
  );
  return rows[0] === undefined ? null : projectFromRow(rows[0]);
}

async function insertVersion(
  db: pg.PoolClient,
  projectId: string,
  number: number,
  version: NewProjectVersion,
): Promise<void> {
  await db.query(
    `INSERT INTO project_versions (project_id, ${VERSION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      projectId,
      number,
      version.createdAt,
      version.createdBy,
      version.source,
      version.note,
      version.files,
      version.bytes,
    ],
  );
}
