import type Database from 'better-sqlite3';
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
import { guarded } from './sqlite-errors.js';

/** {@link ProjectStore} on the execution store's connection (same database file). */
export class SqliteProjectStore implements ProjectStore {
  constructor(private readonly db: Database.Database) {}

  async createProject(project: { id: string; name: string }, first: NewProjectVersion): Promise<Project> {
    return this.guard('cannot create the project', () =>
      this.db
        .transaction(() => {
          try {
            this.db
              .prepare(`INSERT INTO projects (${PROJECT_COLUMNS}, next_version) VALUES (?, ?, 1, ?, ?, 2)`)
              .run(project.id, project.name, first.createdAt, first.createdAt);
          } catch (error) {
            if ((error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE')
              throw projectNameTaken(project.name, error);
            throw error;
          }
          this.insertVersion(project.id, 1, first);
          return this.byId(project.id) as Project;
        })
        .immediate(),
    );
  }

  async findProject(name: string): Promise<Project | null> {
    return this.guard('cannot read the project', () => {
      const row = this.db
        .prepare<[string], ProjectRow>(`SELECT ${PROJECT_COLUMNS} FROM projects WHERE name = ?`)
        .get(name);
      return row === undefined ? null : projectFromRow(row);
    });
  }

  async listProjects(): Promise<Project[]> {
    return this.guard('cannot list the projects', () =>
      this.db
        .prepare<[], ProjectRow>(`SELECT ${PROJECT_COLUMNS} FROM projects ORDER BY name`)
        .all()
        .map(projectFromRow),
    );
  }

  async addVersion(
    projectId: string,
    version: NewProjectVersion,
    keep: number,
  ): Promise<{ version: ProjectVersion; dropped: number[] }> {
    return this.guard('cannot add the version', () =>
      this.db
        .transaction(() => {
          const next = this.db
            .prepare<[string], { next_version: number }>('SELECT next_version FROM projects WHERE id = ?')
            .get(projectId)?.next_version;
          if (next === undefined) throw noProject(projectId);
          this.insertVersion(projectId, next, version);
          this.db
            .prepare('UPDATE projects SET current_version = ?, next_version = ?, updated_at = ? WHERE id = ?')
            .run(next, next + 1, version.createdAt, projectId);
          const numbers = this.db
            .prepare<[string], { version: number }>(
              'SELECT version FROM project_versions WHERE project_id = ?',
            )
            .all(projectId)
            .map((row) => row.version);
          const dropped = versionsToDrop(numbers, keep, next);
          const drop = this.db.prepare('DELETE FROM project_versions WHERE project_id = ? AND version = ?');
          for (const number of dropped) drop.run(projectId, number);
          return { version: { ...version, version: next }, dropped };
        })
        .immediate(),
    );
  }

  async listVersions(projectId: string): Promise<ProjectVersion[]> {
    return this.guard('cannot list the versions', () =>
      this.db
        .prepare<[string], VersionRow>(
          `SELECT ${VERSION_COLUMNS} FROM project_versions WHERE project_id = ? ORDER BY version DESC`,
        )
        .all(projectId)
        .map(versionFromRow),
    );
  }

  async setCurrentVersion(projectId: string, version: number, at: string): Promise<Project> {
    return this.guard('cannot change the current version', () =>
      this.db
        .transaction(() => {
          if (this.byId(projectId) === null) throw noProject(projectId);
          const kept = this.db
            .prepare('SELECT 1 FROM project_versions WHERE project_id = ? AND version = ?')
            .get(projectId, version);
          if (kept === undefined) throw noVersion(version);
          this.db
            .prepare('UPDATE projects SET current_version = ?, updated_at = ? WHERE id = ?')
            .run(version, at, projectId);
          return this.byId(projectId) as Project;
        })
        .immediate(),
    );
  }

  async deleteProject(projectId: string): Promise<boolean> {
    return this.guard('cannot delete the project', () =>
      this.db
        .transaction(() => {
          this.db.prepare('DELETE FROM project_versions WHERE project_id = ?').run(projectId);
          return this.db.prepare('DELETE FROM projects WHERE id = ?').run(projectId).changes > 0;
        })
        .immediate(),
    );
  }

  private byId(id: string): Project | null {
    const row = this.db
      .prepare<[string], ProjectRow>(`SELECT ${PROJECT_COLUMNS} FROM projects WHERE id = ?`)
      .get(id);
    return row === undefined ? null : projectFromRow(row);
  }

  private insertVersion(projectId: string, number: number, version: NewProjectVersion): void {
    this.db
      .prepare(
        `INSERT INTO project_versions (project_id, ${VERSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        projectId,
        number,
        version.createdAt,
        version.createdBy,
        version.source,
        version.note,
        version.files,
        version.bytes,
      );
  }

  private guard<T>(context: string, operation: () => T): T {
    return guarded(this.db, context, operation);
  }
}
