import { createHash } from 'node:crypto';
import { mkdir, readdir, realpath, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { ERROR_CODES, StepflowError, isStepflowError } from '../core/errors.js';
import { copyFileHashed } from './copy-file-hashed.js';
import type { HashedCopy } from './copy-file-hashed.js';
import { describeFsError, isErrnoException } from './describe-fs-error.js';
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
 * Copies the tree at `sourceDir` (a real path) into `destinationDir`, which must not exist.
 *
 * - Every entry's real path must pass `include`, else it is skipped: symlinks are followed only
 *   when their target passes, and the caller can keep out a directory (its own artifact store).
 *   Links to a directory that holds one being copied (a cycle) and dangling links are skipped.
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
  sourceDir: string,
  destinationDir: string,
  include: (realPath: string) => boolean,
): Promise<HashedCopy> {
  const walk: Walk = { include, entries: [], size: 0 };
  await storing(() => mkdir(destinationDir));
  await copyTree(walk, sourceDir, destinationDir, '', new Set([sourceDir]));
  walk.entries.sort((a, b) =>
    a.relativePath < b.relativePath ? -1 : a.relativePath > b.relativePath ? 1 : 0,
  );
  const manifest = createHash('sha256');
  for (const entry of walk.entries) manifest.update(`${entry.sha256}  ${entry.relativePath}\n`);
  return { size: walk.size, sha256: manifest.digest('hex') };
}

async function copyTree(
  walk: Walk,
  realDir: string,
  destinationDir: string,
  relativeDir: string,
  ancestors: ReadonlySet<string>,
): Promise<void> {
  const children = await reading(relativeDir === '' ? '.' : relativeDir, () =>
    readdir(realDir, { withFileTypes: true }),
  );
  for (const child of children) {
    const relativePath = relativeDir === '' ? child.name : `${relativeDir}/${child.name}`;
    let source = path.join(realDir, child.name);
    let isDirectory = child.isDirectory();
    let isFile = child.isFile();
    if (child.isSymbolicLink()) {
      const target = await reading(relativePath, () => resolveLink(source));
      if (target === null) continue;
      const info = await reading(relativePath, () => stat(target));
      source = target;
      isDirectory = info.isDirectory();
      isFile = info.isFile();
    }
    if (!walk.include(source)) continue;
    const destination = path.join(destinationDir, child.name);
    if (isDirectory) {
      // A target holding any directory on the way here would make the walk endless.
      if ([...ancestors].some((ancestor) => isInside(source, ancestor))) continue;
      await storing(() => mkdir(destination));
      await copyTree(walk, source, destination, relativePath, new Set([...ancestors, source]));
    } else if (isFile) {
      const copy = await copyEntry(source, destination, relativePath);
      walk.entries.push({ relativePath, sha256: copy.sha256 });
      walk.size += copy.size;
    }
  }
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

async function copyEntry(source: string, destination: string, relativePath: string): Promise<HashedCopy> {
  try {
    return await copyFileHashed(source, destination);
  } catch (error) {
    // Name the file inside the directory, otherwise the reason cannot be acted on.
    if (isStepflowError(error)) {
      throw new StepflowError(error.code, `${relativePath}: ${error.message}`, { cause: error });
    }
    throw asReadFailure(relativePath, error);
  }
}

async function reading<T>(relativePath: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    throw asReadFailure(relativePath, error);
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

/** File-system errors become a reason naming the entry; anything else is a bug and passes through. */
function asReadFailure(relativePath: string, error: unknown): unknown {
  return isErrnoException(error)
    ? rejected(`cannot read ${relativePath}: ${describeFsError(error)}`, error)
    : error;
}

function rejected(message: string, cause: unknown): StepflowError {
  return new StepflowError(ERROR_CODES.ARTIFACT_REJECTED, message, { cause });
}
