import { mkdir, realpath, rm, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { lookup } from 'mime-types';
import { ERROR_CODES, isStepflowError } from '../core/errors.js';
import type { Artifact } from '../core/model.js';
import { copyDirectoryHashed } from './copy-directory-hashed.js';
import { copyFileHashed, notRegularFile } from './copy-file-hashed.js';
import type { HashedCopy } from './copy-file-hashed.js';
import { describeFsError, isErrnoException } from './describe-fs-error.js';
import { expandArtifactPattern } from './expand-artifact-pattern.js';
import { openInsideRoots } from './open-inside-roots.js';
import type { OpenedEntry } from './open-inside-roots.js';
import { createRootGuard, isInside } from './root-guard.js';
import type { RootGuard } from './root-guard.js';
import { ARTIFACT_STORE_DIR, storedArtifactPath } from './stored-artifact-path.js';

export interface CollectArtifactsOptions {
  /** StepFlow's data directory; copies go to `<dataDir>/artifacts/<executionId>/<artifactId>/`. */
  dataDir: string;
  executionId: string;
  /** Working directory of the script; relative paths resolve against it and it is always allowed. */
  cwd: string;
  /** Extra directories artifacts may come from, besides `cwd`. */
  allowedRoots?: string[];
  /** As printed after `ARTIFACT:`: a path (file or directory) or a glob such as `reports/*.xml`. */
  pattern: string;
  description: string;
  stepId: number | null;
  /** Allocates artifact ids (1-based per execution); called once per artifact returned. */
  nextId: () => number;
  now?: () => Date;
}

const DIRECTORY_MEDIA_TYPE = 'inode/directory';
const FALLBACK_MEDIA_TYPE = 'application/octet-stream';

/**
 * Copies what an `ARTIFACT:` marker names into the data dir right away, so the script deleting it
 * later loses nothing. Returns one artifact per file or directory matched, in path order.
 *
 * Never throws for user errors: a missing, unreadable or out-of-bounds path, or a glob matching
 * nothing, becomes an artifact with status `failed` and a one-line `error`; the caller shows it.
 * `path` is relative to `cwd` when inside it, else absolute; `storedPath` is relative to `dataDir`.
 */
export async function collectArtifacts({
  dataDir,
  executionId,
  cwd: givenCwd,
  allowedRoots = [],
  pattern,
  description,
  stepId,
  nextId,
  now = () => new Date(),
}: CollectArtifactsOptions): Promise<Artifact[]> {
  const cwd = path.resolve(givenCwd);
  const createdAt = now().toISOString();
  const guard = await createRootGuard(cwd, allowedRoots);
  const blank = {
    stepId,
    description,
    createdAt,
    kind: null,
    size: null,
    sha256: null,
    mediaType: null,
    storedPath: null,
  };
  const failed = (id: number, shownPath: string, reason: string): Artifact => ({
    ...blank,
    id,
    path: shownPath,
    status: 'failed',
    error: reason,
  });

  const expansion = await expandArtifactPattern(pattern, cwd, guard);
  if (expansion.error !== undefined) return [failed(nextId(), pattern, expansion.error)];

  const artifacts: Artifact[] = [];
  // One at a time: a wide glob must not open hundreds of files at once.
  for (const absolutePath of expansion.paths) {
    const id = nextId();
    const shownPath = displayPath(cwd, absolutePath);
    const stored = await storeOne({ dataDir, executionId, id, absolutePath, guard });
    artifacts.push(
      'reason' in stored
        ? failed(id, shownPath, stored.reason)
        : { ...blank, ...stored, id, path: shownPath, status: 'stored', error: null },
    );
  }
  return artifacts;
}

type StoreOutcome =
  { reason: string } | Pick<Artifact, 'kind' | 'size' | 'sha256' | 'mediaType' | 'storedPath'>;

async function storeOne({
  dataDir,
  executionId,
  id,
  absolutePath,
  guard,
}: {
  dataDir: string;
  executionId: string;
  id: number;
  absolutePath: string;
  guard: RootGuard;
}): Promise<StoreOutcome> {
  const source = await openSource(absolutePath, guard);
  if ('reason' in source) return source;
  try {
    let store: string;
    try {
      await mkdir(path.join(dataDir, ARTIFACT_STORE_DIR, executionId), { recursive: true });
      store = await realpath(path.join(dataDir, ARTIFACT_STORE_DIR));
    } catch (error) {
      return { reason: `could not store the copy: ${reasonFor(error)}` };
    }
    // Copying the store into itself would never end (the copy grows under the walk).
    if (isInside(store, source.realPath)) return { reason: "path is inside StepFlow's own artifact store" };
    // Named after the path as written, so a link `latest.log` is stored as `latest.log`.
    const storedPath = storedArtifactPath(executionId, id, path.basename(absolutePath));
    return await copyInto(
      dataDir,
      storedPath,
      source,
      (entry) => guard.reallyInside(entry) && !isInside(store, entry),
    );
  } finally {
    await source.handle.close();
  }
}

/** Opens what an artifact path names, once every check passed, or says why it is refused. */
async function openSource(absolutePath: string, guard: RootGuard): Promise<OpenedEntry | { reason: string }> {
  // Checked on the text first so nothing outside the roots is even looked at.
  if (!guard.lexicallyInside(absolutePath)) {
    return { reason: 'path is outside the working directory and the allowed roots' };
  }
  let source: OpenedEntry;
  try {
    const real = await realpath(absolutePath);
    if (!guard.reallyInside(real)) {
      return {
        reason:
          'path leads through a symbolic link to a place outside the working directory and the allowed roots',
      };
    }
    // Devices are refused before the open, which alone can have effects (a tape rewinds).
    const info = await stat(real);
    if (!info.isFile() && !info.isDirectory()) return { reason: notRegularFile(info).message };
    // Opened by the path just checked; openInsideRoots checks again where the open really landed,
    // as a directory on the way may have been swapped for a symlink since.
    source = await openInsideRoots(real, guard.reallyInside);
  } catch (error) {
    return { reason: reasonFor(error) };
  }
  // Again on what was opened: a file swapped for a FIFO since the stat is refused all the same.
  if (source.info.isFile() || source.info.isDirectory()) return source;
  await source.handle.close();
  return { reason: notRegularFile(source.info).message };
}

async function copyInto(
  dataDir: string,
  storedPath: string,
  source: OpenedEntry,
  include: (realPath: string) => boolean,
): Promise<StoreOutcome> {
  const destination = path.join(dataDir, ...storedPath.split('/'));
  const artifactDir = path.dirname(destination);
  let created = false;
  try {
    // Not recursive: an existing directory means a reused id, and its content is not ours to touch.
    await mkdir(artifactDir);
    created = true;
    const isDirectory = source.info.isDirectory();
    const copy: HashedCopy = isDirectory
      ? await copyDirectoryHashed(source, destination, include)
      : await copyFileHashed(source, destination);
    return {
      kind: isDirectory ? 'directory' : 'file',
      size: copy.size,
      sha256: copy.sha256,
      mediaType: isDirectory ? DIRECTORY_MEDIA_TYPE : lookup(destination) || FALLBACK_MEDIA_TYPE,
      storedPath,
    };
  } catch (error) {
    // A half-written copy must not outlive the failed record that would explain it.
    if (created) await rm(artifactDir, { recursive: true, force: true });
    return { reason: created ? reasonFor(error) : `could not store the copy: ${reasonFor(error)}` };
  }
}

/** The one-line reason for an expected failure; anything else is a bug and is re-thrown. */
function reasonFor(error: unknown): string {
  if (isStepflowError(error) && error.code === ERROR_CODES.ARTIFACT_REJECTED) return error.message;
  if (isErrnoException(error)) return describeFsError(error);
  throw error;
}

function displayPath(cwd: string, absolutePath: string): string {
  if (!isInside(cwd, absolutePath)) return absolutePath;
  return path.relative(cwd, absolutePath) || '.';
}
