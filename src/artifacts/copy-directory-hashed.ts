import { createHash } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { mkdir, readdir, realpath, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { ERROR_CODES, StepflowError, isStepflowError } from '../core/errors.js';
import { copyFileHashed } from './copy-file-hashed.js';
import type { HashedCopy } from './copy-file-hashed.js';
import { describeFsError, isErrnoException } from './describe-fs-error.js';
import { openInsideRoots, openedHandlePath } from './open-inside-roots.js';
import type { OpenedEntry } from './open-inside-roots.js';
import { isInside } from './root-guard.js';

interface ManifestEntry {
  relativePath: string;
  sha256: string;
}

interface Walk {
  include: (realPath: string) => boolean;
  entries: ManifestEntry[];
  size: number;
}

/**
 * Copies the opened directory `source` (see openInsideRoots) into `destinationDir`, which must not
 * exist. The caller keeps and closes the handle.
 *
 * - The walk never goes by path: each directory is listed and each entry opened through its
 *   parent's open handle, and every opened entry's real place must pass `include`. So a directory
 *   swapped for a symlink during the walk cannot lead it outside; when that happens the copy fails
 *   with the reason rather than silently missing a part.
 * - A symlink is followed only when its target passes `include`, else it is skipped, as the
 *   caller's own artifact store is. Links to a directory that holds one being copied (a cycle)
 *   and dangling links are skipped.
 * - Named pipes, sockets and devices have no content to keep and are skipped.
 * - A file that cannot be read fails the whole copy: a partial directory would look complete.
 *
 * `size` is the total bytes of the files copied. `sha256` is the SHA-256 of a manifest with one
 * line per file, `<file sha256 hex><two spaces><path relative to the directory, '/'-separated>\n`
 * (the `sha256sum` format), lines ordered by path compared as UTF-16 code units. So the digest
 * changes with any file's name or content and does not depend on the order the disk lists them.
 * Empty directories are copied but do not appear in the manifest.
 */
export async function copyDirectoryHashed(
  source: OpenedEntry,
  destinationDir: string,
  include: (realPath: string) => boolean,
): Promise<HashedCopy> {
  const walk: Walk = { include, entries: [], size: 0 };
  await storing(() => mkdir(destinationDir));
  await copyTree(walk, source, destinationDir, '', new Set([source.realPath]));
  walk.entries.sort((a, b) =>
    a.relativePath < b.relativePath ? -1 : a.relativePath > b.relativePath ? 1 : 0,
  );
  const manifest = createHash('sha256');
  for (const entry of walk.entries) manifest.update(`${entry.sha256}  ${entry.relativePath}\n`);
  return { size: walk.size, sha256: manifest.digest('hex') };
}

async function copyTree(
  walk: Walk,
  dir: OpenedEntry,
  destinationDir: string,
  relativeDir: string,
  ancestors: ReadonlySet<string>,
): Promise<void> {
  const children = await naming(relativeDir === '' ? '.' : relativeDir, () =>
    readdir(openedHandlePath(dir.handle), { withFileTypes: true }),
  );
  for (const child of children) {
    const relativePath = relativeDir === '' ? child.name : `${relativeDir}/${child.name}`;
    const entry = await naming(relativePath, () => openChild(walk, dir, child));
    if (entry === null) continue;
    try {
      const destination = path.join(destinationDir, child.name);
      if (entry.info.isDirectory()) {
        // A target holding any directory on the way here would make the walk endless.
        if ([...ancestors].some((ancestor) => isInside(entry.realPath, ancestor))) continue;
        await storing(() => mkdir(destination));
        await copyTree(walk, entry, destination, relativePath, new Set([...ancestors, entry.realPath]));
      } else if (entry.info.isFile()) {
        const copy = await naming(relativePath, () => copyFileHashed(entry, destination));
        walk.entries.push({ relativePath, sha256: copy.sha256 });
        walk.size += copy.size;
      }
    } finally {
      await entry.handle.close();
    }
  }
}

/** Opens one listed entry through its parent's handle, or answers null for one that is skipped. */
async function openChild(walk: Walk, dir: OpenedEntry, child: Dirent): Promise<OpenedEntry | null> {
  const throughParent = `${openedHandlePath(dir.handle)}/${child.name}`;
  if (child.isSymbolicLink()) {
    // Looked at by path first so that nothing outside is even opened; the open is checked again.
    const target = await resolveLink(path.join(dir.realPath, child.name));
    if (target === null || !walk.include(target)) return null;
    const info = await stat(target);
    if (!info.isFile() && !info.isDirectory()) return null;
    return openInsideRoots(throughParent, walk.include, { followLink: true });
  }
  if (!child.isFile() && !child.isDirectory()) return null;
  if (!walk.include(path.join(dir.realPath, child.name))) return null;
  return openInsideRoots(throughParent, walk.include);
}

async function resolveLink(linkPath: string): Promise<string | null> {
  try {
    return await realpath(linkPath);
  } catch (error) {
    // A dangling or looping link has no content to copy; anything else is a real failure.
    if (isErrnoException(error) && (error.code === 'ENOENT' || error.code === 'ELOOP')) return null;
    throw error;
  }
}

/** Names the entry in a failure's reason, otherwise it cannot be acted on. */
async function naming<T>(relativePath: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (isStepflowError(error)) {
      throw new StepflowError(error.code, `${relativePath}: ${error.message}`, { cause: error });
    }
    // File-system errors become a reason; anything else is a bug and passes through.
    if (!isErrnoException(error)) throw error;
    throw rejected(`cannot read ${relativePath}: ${describeFsError(error)}`, error);
  }
}

async function storing<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (!isErrnoException(error)) throw error;
    throw rejected(`could not store the copy: ${describeFsError(error)}`, error);
  }
}

function rejected(message: string, cause: unknown): StepflowError {
  return new StepflowError(ERROR_CODES.ARTIFACT_REJECTED, message, { cause });
}
