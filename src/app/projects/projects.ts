import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { StepflowEventListener } from '../../core/events.js';
import type { Execution, ProjectRef } from '../../core/model.js';
import { ERROR_CODES, StepflowError, notFound, validationError } from '../../core/errors.js';
import {
  checkProjectName,
  checkProjectPath,
  type ArchiveLimits,
  type Project,
  type ProjectVersion,
  type ProjectVersionSource,
} from '../../core/projects.js';
import type { ProjectStore } from '../../store/project-store.js';
import {
  copyTree,
  fileEtag,
  listTree,
  measureTree,
  ProjectFolders,
  type TreeEntry,
} from './project-folders.js';

/** The archive kinds an upload may be (by its Content-Type: docs/WORKSPACE.md). */
export type ArchiveKind = 'zip' | 'tar.gz';

/** Who asks: recorded on the versions they make. */
interface By {
  createdBy?: string;
}

/** A file's bytes where they are, and its entity tag. */
interface ProjectFile {
  file: string;
  etag: string;
  size: number;
}

/**
 * The projects' use cases (docs/WORKSPACE.md). Versions are immutable folders: an upload makes the
 * next version from the archive, an edit (write, delete, move a file) makes the next one from a
 * copy of the current version with the change; a rollback makes an older kept version current.
 * A run in a project works in a copy of the current version of its own, removed when it ends.
 */
export interface Projects {
  list(): Promise<Project[]>;
  get(name: string): Promise<Project>;
  versions(name: string): Promise<ProjectVersion[]>;
  /** A new project whose version 1 is empty. */
  create(name: string, by?: By): Promise<Project>;
  /**
   * The archive `content` (kept in a file first: at most `maxUploadBytes`, else `payload_too_large`)
   * as the next version, checked entry by entry: a refused one is an `archive_rejected` error.
   */
  upload(
    name: string,
    archive: { content: AsyncIterable<Buffer>; kind: ArchiveKind },
    by?: By,
  ): Promise<ProjectVersion>;
  rollback(name: string, version: number): Promise<Project>;
  remove(name: string): Promise<void>;
  tree(name: string, version?: number): Promise<{ version: number; entries: TreeEntry[] }>;
  /** The folder of a version (the current one by default), for a download. */
  folder(name: string, version?: number): Promise<{ project: Project; version: number; dir: string }>;
  readFile(name: string, file: string, version?: number): Promise<ProjectFile & { version: number }>;
  /**
   * Writes a file into the next version. Overwriting needs `ifMatch` equal to the file's etag; a
   * new file needs none. Otherwise a `precondition_failed` error with the current etag (null: no file).
   */
  writeFile(
    name: string,
    file: string,
    content: Buffer,
    options: By & { ifMatch?: string },
  ): Promise<{ version: ProjectVersion; etag: string }>;
  deleteFile(name: string, file: string, options: By & { ifMatch?: string }): Promise<ProjectVersion>;
  moveFile(name: string, from: string, to: string, by?: By): Promise<ProjectVersion>;
  /**
   * Starts a run in a copy of the project's current version made for it (removed when it ends:
   * {@link Projects.onEvent}, or at once when `start` throws). `cwd`: a relative path inside the
   * project (default its root). A run for a worker (see {@link Projects.place}) gets no copy here.
   */
  runIn(
    name: string,
    cwd: string | undefined,
    start: (place: RunPlace) => Promise<Execution>,
    options?: { runsOn?: readonly string[] },
  ): Promise<Execution>;
  /**
   * Where a run in the project works, for a caller that starts the run itself (the scheduler).
   * A run this server runs: a copy of the current version, `cwd` inside it. A run for a worker
   * (`runsOn` labels, or a server that runs nothing itself): no copy here; `cwd` relative to the
   * project's root and `project.id` set, so the worker fetches that version (docs/WORKSPACE.md).
   */
  place(name: string, cwd: string | undefined, runsOn?: readonly string[]): Promise<RunPlace>;
  /**
   * A kept version's folder by the project's id (what a worker downloads: ids are never reused, so
   * an id and a number name the same files forever).
   */
  versionById(id: string, version: number): Promise<{ project: Project; version: number; dir: string }>;
  /** Removes a run's copy once its run has finished: subscribe it to the event stream. */
  onEvent: StepflowEventListener;
}

/** Where a run in a project works: see {@link Projects.place}. */
interface RunPlace {
  cwd: string;
  project: ProjectRef;
  /** Removes the copy when the run could not start (nothing to remove for a worker's run). */
  release(): Promise<void>;
}

export function createProjects({
  store,
  dataDir,
  limits,
  keep,
  maxUploadBytes,
  runsLocally = true,
  now = () => new Date(),
  onError = (error) => console.error(`projects: ${error instanceof Error ? error.message : String(error)}`),
}: {
  store: ProjectStore;
  dataDir: string;
  limits: ArchiveLimits;
  /** Versions kept per project (`STEPFLOW_PROJECT_KEEP_VERSIONS`). */
  keep: number;
  /** The largest archive accepted, compressed (`STEPFLOW_PROJECT_MAX_UPLOAD_BYTES`). */
  maxUploadBytes: number;
  /** False for `stepflow server --no-runner`: every run goes to a worker, so none gets a copy here. */
  runsLocally?: boolean;
  now?: () => Date;
  onError?: (error: unknown) => void;
}): Projects {
  const folders = new ProjectFolders(dataDir);
  // Edits of one project one after another in this process: each starts from the version the
  // previous one made, so none is lost (across replicas, the last edit wins: docs/WORKSPACE.md).
  const queues = new Map<string, Promise<unknown>>();
  const serially = <T>(id: string, work: () => Promise<T>): Promise<T> => {
    const result = (queues.get(id) ?? Promise.resolve()).then(work, work);
    const settled = result.catch(() => undefined);
    queues.set(id, settled);
    void settled.then(() => {
      if (queues.get(id) === settled) queues.delete(id);
    });
    return result;
  };

  const find = async (name: string): Promise<Project> => {
    const project = await store.findProject(checkProjectName(name));
    if (project === null) throw notFound('project', name);
    return project;
  };

  const keptVersion = async (project: Project, version: number | undefined): Promise<number> => {
    if (version === undefined || version === project.currentVersion) return project.currentVersion;
    const kept = await store.listVersions(project.id);
    if (!kept.some((v) => v.version === version))
      throw notFound(`version ${version} of project`, project.name);
    return version;
  };

  /** Records a staged folder as the next version and moves it into place; drops old versions' files. */
  const commit = async (
    project: Project,
    staged: string,
    source: ProjectVersionSource,
    note: string | null,
    by: By,
  ): Promise<ProjectVersion> => {
    const sizes = await measureTree(staged);
    const { version, dropped } = await store.addVersion(
      project.id,
      { createdAt: now().toISOString(), createdBy: by.createdBy ?? null, source, note, ...sizes },
      keep,
    );
    await folders.publish(staged, project.id, version.version);
    for (const number of dropped) await folders.remove(folders.version(project.id, number));
    return version;
  };

  /** Builds the next version from a copy of the current one, changed by `change`. */
  const edit = (
    name: string,
    note: (project: Project) => string,
    by: By,
    change: (staged: string, project: Project) => Promise<void>,
  ): Promise<ProjectVersion> =>
    find(name).then((found) =>
      serially(found.id, async () => {
        const project = await find(name);
        const staged = await folders.staging(project.id);
        try {
          await rm(staged, { recursive: true });
          await copyTree(folders.version(project.id, project.currentVersion), staged);
          await change(staged, project);
          return await commit(project, staged, 'edit', note(project), by);
        } finally {
          await folders.remove(staged);
        }
      }),
    );

  const existingEtag = async (file: string): Promise<string | null> => {
    const info = await stat(file).catch(() => null);
    if (info === null) return null;
    if (!info.isFile()) throw new StepflowError(ERROR_CODES.CONFLICT, 'that path is a folder, not a file');
    return fileEtag(file);
  };

  const precondition = (path: string, current: string | null, message: string): StepflowError =>
    new StepflowError(ERROR_CODES.PRECONDITION_FAILED, `${path}: ${message}`, { details: { etag: current } });

  const place: Projects['place'] = async (name, cwd, runsOn = []) => {
    const relative = cwd === undefined || cwd === '.' || cwd === '' ? '' : checkProjectPath(cwd, 'body.cwd');
    const project = await find(name);
    const version = folders.version(project.id, project.currentVersion);
    if (!runsLocally || runsOn.length > 0) {
      // The same check a copy gets at its start, made here where the version is: a worker would
      // only find out after downloading it.
      const info = await stat(path.join(version, relative)).catch(() => null);
      if (info === null || !info.isDirectory())
        throw validationError(
          `body.cwd ${JSON.stringify(relative)} is not a folder of project ${project.name} (version ${project.currentVersion})`,
          { field: 'cwd' },
        );
      return {
        // `.` for its root: a run's cwd is never empty.
        cwd: relative === '' ? '.' : relative,
        project: { id: project.id, name: project.name, version: project.currentVersion },
        release: async () => undefined,
      };
    }
    const dir = await folders.runCopy(project.id, version);
    return {
      cwd: path.join(dir, relative),
      project: { name: project.name, version: project.currentVersion },
      release: () => folders.remove(dir),
    };
  };

  return {
    list: () => store.listProjects(),
    get: find,
    versions: async (name) => store.listVersions((await find(name)).id),

    async create(name, by = {}) {
      const id = randomUUID();
      const project = await store.createProject(
        { id, name: checkProjectName(name) },
        {
          createdAt: now().toISOString(),
          createdBy: by.createdBy ?? null,
          source: 'empty',
          note: null,
          files: 0,
          bytes: 0,
        },
      );
      await mkdir(folders.version(id, 1), { recursive: true });
      return project;
    },

    async upload(name, archive, by = {}) {
      const project = await find(name);
      return serially(project.id, async () => {
        const staged = await folders.staging(project.id);
        const received = `${staged}.upload`;
        try {
          await receive(archive.content, received, maxUploadBytes);
          // Loaded here: `tar` and `yauzl` are worth their start-up only to the process that unpacks.
          const extract =
            archive.kind === 'zip'
              ? (await import('./extract-zip.js')).extractZip
              : (await import('./extract-tar-gz.js')).extractTarGz;
          await extract(received, staged, limits);
          return await commit(project, staged, 'upload', null, by);
        } finally {
          // A refused archive leaves nothing behind; a published one was moved away already.
          await folders.remove(staged);
          await folders.remove(received);
        }
      });
    },

    async rollback(name, version) {
      const project = await find(name);
      return store.setCurrentVersion(project.id, version, now().toISOString());
    },

    async remove(name) {
      const project = await find(name);
      await store.deleteProject(project.id);
      await folders.remove(folders.project(project.id));
    },

    async tree(name, version) {
      const project = await find(name);
      const number = await keptVersion(project, version);
      return { version: number, entries: await listTree(folders.version(project.id, number)) };
    },

    async folder(name, version) {
      const project = await find(name);
      const number = await keptVersion(project, version);
      return { project, version: number, dir: folders.version(project.id, number) };
    },

    async readFile(name, file, version) {
      const relative = checkProjectPath(file);
      const project = await find(name);
      const number = await keptVersion(project, version);
      const location = path.join(folders.version(project.id, number), relative);
      const info = await stat(location).catch(() => null);
      if (info === null || !info.isFile()) throw notFound(`file of project ${project.name}`, relative);
      return { file: location, etag: await fileEtag(location), size: info.size, version: number };
    },

    async writeFile(name, file, content, options) {
      const relative = checkProjectPath(file);
      let etag = '';
      const version = await edit(
        name,
        () => `write ${relative}`,
        options,
        async (staged) => {
          const target = path.join(staged, relative);
          const current = await existingEtag(target);
          if (current !== null && options.ifMatch === undefined)
            throw precondition(relative, current, 'exists: send If-Match with its etag to change it');
          if (options.ifMatch !== undefined && options.ifMatch !== current)
            throw precondition(
              relative,
              current,
              current === null ? 'does not exist' : 'changed since it was read',
            );
          await mkdir(path.dirname(target), { recursive: true }).catch((error: unknown) => {
            throw new StepflowError(ERROR_CODES.CONFLICT, `${relative}: a part of its folder is a file`, {
              cause: error,
            });
          });
          // Replace, never write through: the staged file may share blocks with the version's.
          const temporary = `${target}.stepflow-${randomUUID()}`;
          await writeFile(temporary, content, { flag: 'wx' });
          await rename(temporary, target);
          etag = await fileEtag(target);
        },
      );
      return { version, etag };
    },

    deleteFile(name, file, options) {
      const relative = checkProjectPath(file);
      return edit(
        name,
        () => `delete ${relative}`,
        options,
        async (staged) => {
          const target = path.join(staged, relative);
          const current = await existingEtag(target);
          if (current === null) throw notFound('file', relative);
          if (options.ifMatch !== undefined && options.ifMatch !== current)
            throw precondition(relative, current, 'changed since it was read');
          await rm(target);
        },
      );
    },

    moveFile(name, from, to, by = {}) {
      const source = checkProjectPath(from, 'from');
      const target = checkProjectPath(to, 'to');
      return edit(
        name,
        () => `move ${source} → ${target}`,
        by,
        async (staged) => {
          if ((await stat(path.join(staged, source)).catch(() => null)) === null)
            throw notFound('file', source);
          if ((await stat(path.join(staged, target)).catch(() => null)) !== null)
            throw new StepflowError(ERROR_CODES.CONFLICT, `${target} exists already`, {
              details: { field: 'to' },
            });
          await mkdir(path.dirname(path.join(staged, target)), { recursive: true });
          await rename(path.join(staged, source), path.join(staged, target));
        },
      );
    },

    place,

    async versionById(id, version) {
      // Projects are few (a list of names), so no lookup by id in the store port for this one use.
      const project = (await store.listProjects()).find((candidate) => candidate.id === id);
      if (project === undefined) throw notFound('project with id', id);
      return { project, version: await keptVersion(project, version), dir: folders.version(id, version) };
    },

    async runIn(name, cwd, start, options = {}) {
      const made = await place(name, cwd, options.runsOn);
      try {
        return await start(made);
      } catch (error) {
        // Nothing started in it: the copy goes now (a run that did start removes it when it ends).
        await made.release();
        throw error;
      }
    },

    onEvent(event) {
      if (event.type !== 'execution.finished') return;
      const copy = folders.runCopyOf(event.execution.cwd);
      if (copy !== null) folders.remove(copy).catch(onError);
    },
  };
}

/** Writes an upload to `file`, refusing it past `maxBytes` (a 413) while it streams. */
async function receive(content: AsyncIterable<Buffer>, file: string, maxBytes: number): Promise<void> {
  let bytes = 0;
  const limit = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      if (bytes > maxBytes)
        return done(
          new StepflowError(
            ERROR_CODES.PAYLOAD_TOO_LARGE,
            `the archive is larger than ${maxBytes} bytes (STEPFLOW_PROJECT_MAX_UPLOAD_BYTES)`,
          ),
        );
      done(null, chunk);
    },
  });
  await pipeline(content, limit, createWriteStream(file, { flags: 'wx' }));
}
