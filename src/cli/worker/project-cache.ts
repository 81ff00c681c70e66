import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { checkProjectPath, type ArchiveLimits } from '../../core/projects.js';
import { extractZip } from '../../app/projects/extract-zip.js';
import { copyTree } from '../../app/projects/project-folders.js';

/** A version as a claimed run names it (docs/WORKSPACE.md, scaled mode). */
interface ProjectVersionRef {
  id: string;
  name: string;
  version: number;
}

/** A run's own copy of a version: `cwd` inside it; `release` removes it once the run has ended. */
export interface ProjectCheckout {
  cwd: string;
  release(): Promise<void>;
}

export interface ProjectCache {
  /**
   * A fresh copy of `project`'s version for one run, fetched from the server first when this host
   * has not kept it; `cwd` is relative to the project's root. Throws an Error saying why not.
   */
  checkout(project: ProjectVersionRef, cwd: string, signal?: AbortSignal): Promise<ProjectCheckout>;
}

/** Versions kept when `STEPFLOW_WORKER_PROJECT_CACHE_VERSIONS` does not say. */
export const DEFAULT_CACHED_VERSIONS = 20;
const DOWNLOAD_TIMEOUT_MS = 10 * 60_000;
const PROJECT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The worker's copies of project versions (docs/WORKSPACE.md): `<dir>/<project id>/<n>/`, each
 * fetched once as the server's ZIP (`GET /api/projects/ID/versions/N/archive`) into `<dir>/.staging/`,
 * extracted with the same entry checks as an upload — this host trusts the server's archive no more
 * than the server trusts an upload — and renamed into place only once complete. Versions never
 * change, so a kept one is good forever; the `keep` most recently used are kept (a folder's mtime
 * says when it was last used, so the order survives a restart). Each run works in its own copy
 * under `<dir>/.runs/`, as on the server, so a script may write beside its files.
 */
export function createProjectCache({
  dir,
  serverUrl,
  token,
  limits,
  maxDownloadBytes,
  keep = DEFAULT_CACHED_VERSIONS,
  onError,
}: {
  dir: string;
  serverUrl: string;
  token?: string | undefined;
  limits: ArchiveLimits;
  /** The largest archive taken (the upload limit, `STEPFLOW_PROJECT_MAX_UPLOAD_BYTES`). */
  maxDownloadBytes: number;
  keep?: number;
  /** Told of what goes wrong without failing a run (removing old versions). */
  onError: (message: string) => void;
}): ProjectCache {
  /** Fetches in flight, by folder: two runs of one version wait for one download. */
  const fetching = new Map<string, Promise<void>>();
  /** Versions some run is being copied from: never evicted under it. */
  const inUse = new Map<string, number>();

  const fetchVersion = async (
    project: ProjectVersionRef,
    target: string,
    signal: AbortSignal | undefined,
  ): Promise<void> => {
    const staging = path.join(dir, '.staging', randomUUID());
    const archive = `${staging}.zip`;
    await mkdir(staging, { recursive: true });
    try {
      await download(
        `${serverUrl}/api/projects/${project.id}/versions/${project.version}/archive`,
        archive,
        signal,
      );
      await extractZip(archive, staging, limits);
      await mkdir(path.dirname(target), { recursive: true });
      await rename(staging, target).catch(async (error: unknown) => {
        // Another worker on this data dir put it there first: the same bytes (versions never change).
        if (await isDirectory(target)) return;
        throw error;
      });
    } finally {
      await rm(staging, { recursive: true, force: true });
      await rm(archive, { force: true });
    }
  };

  const download = async (url: string, file: string, signal: AbortSignal | undefined): Promise<void> => {
    const timeout = AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS);
    const response = await fetch(url, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
    });
    if (!response.ok || response.body === null) {
      const text = await response.text().catch(() => '');
      let message = text.slice(0, 300) || `HTTP ${response.status}`;
      try {
        message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? message;
      } catch {
        // Not our error shape (a proxy's page): its start says enough.
      }
      throw new Error(`HTTP ${response.status}: ${message}`);
    }
    let bytes = 0;
    const limit = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        bytes += chunk.length;
        if (bytes > maxDownloadBytes)
          return done(
            new Error(
              `the archive is larger than ${maxDownloadBytes} bytes (STEPFLOW_PROJECT_MAX_UPLOAD_BYTES)`,
            ),
          );
        done(null, chunk);
      },
    });
    await pipeline(
      Readable.fromWeb(response.body as WebReadableStream<Uint8Array>),
      limit,
      createWriteStream(file, { flags: 'wx' }),
    );
  };

  /** Removes the least recently used versions beyond `keep`, except those in use. */
  const evict = async (): Promise<void> => {
    const kept: { folder: string; usedAt: number }[] = [];
    for (const id of await readdir(dir)) {
      if (id.startsWith('.')) continue;
      for (const version of await readdir(path.join(dir, id)).catch(() => [])) {
        const folder = path.join(dir, id, version);
        const info = await stat(folder).catch(() => null);
        if (info !== null) kept.push({ folder, usedAt: info.mtimeMs });
      }
    }
    kept.sort((a, b) => b.usedAt - a.usedAt);
    for (const { folder } of kept.slice(keep)) {
      if (!inUse.has(folder)) await rm(folder, { recursive: true, force: true });
    }
  };

  return {
    async checkout(project, cwd, signal) {
      const where = `project ${project.name} version ${project.version}`;
      const relative = cwd === '' || cwd === '.' ? '' : checkProjectPath(cwd, 'cwd');
      // From the server, but a path part here: only what an id looks like.
      if (!PROJECT_ID.test(project.id) || !Number.isSafeInteger(project.version) || project.version < 1)
        throw new Error(`${where}: the claim names it by a malformed id or version`);
      const folder = path.join(dir, project.id, String(project.version));
      inUse.set(folder, (inUse.get(folder) ?? 0) + 1);
      try {
        if (!(await isDirectory(folder))) {
          let pending = fetching.get(folder);
          if (pending === undefined) {
            pending = fetchVersion(project, folder, signal).finally(() => fetching.delete(folder));
            fetching.set(folder, pending);
          }
          try {
            await pending;
          } catch (error) {
            throw new Error(
              `${where}: could not fetch it from ${serverUrl}: ${error instanceof Error ? error.message : String(error)}`,
              { cause: error },
            );
          }
          // Old versions that stay are only disk used: this run has what it needs.
          await evict().catch((error: unknown) =>
            onError(`could not remove old project versions: ${(error as Error).message}`),
          );
        } else {
          // Most recently used now: what eviction orders by.
          const now = new Date();
          await utimes(folder, now, now);
        }
        const copy = path.join(dir, '.runs', randomUUID());
        await mkdir(path.dirname(copy), { recursive: true });
        await copyTree(folder, copy);
        const release = () => rm(copy, { recursive: true, force: true });
        const runCwd = path.join(copy, relative);
        if (!(await isDirectory(runCwd))) {
          await release();
          throw new Error(`${where}: ${JSON.stringify(relative)} is not a folder of it`);
        }
        return { cwd: runCwd, release };
      } finally {
        const left = (inUse.get(folder) ?? 1) - 1;
        if (left === 0) inUse.delete(folder);
        else inUse.set(folder, left);
      }
    },
  };
}

async function isDirectory(folder: string): Promise<boolean> {
  return (await stat(folder).catch(() => null))?.isDirectory() ?? false;
}
