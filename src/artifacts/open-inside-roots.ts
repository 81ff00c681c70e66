import { constants, readlinkSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { ERROR_CODES, StepflowError } from '../core/errors.js';
import { isErrnoException } from './describe-fs-error.js';

/** An open file or directory, with where the kernel says it lies and what it is. */
export interface OpenedEntry {
  handle: FileHandle;
  /** The opened object's path as the kernel reports it (`/proc/self/fd/N`), not as asked for. */
  realPath: string;
  info: Stats;
}

// O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever (and hold a
// libuv thread). O_NOCTTY: a terminal must never become the server's controlling terminal.
// O_NOFOLLOW guards only the last component; the others are what the check after the open is for.
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY;
const OPENED_FILES = '/proc/self/fd';

export const PATH_CHANGED =
  'path changed while being collected: it now resolves outside the working directory and the allowed roots';

/**
 * Opens `target` read-only, then reads back where the open really landed and closes it again
 * unless `inside` accepts that place. This is the check that cannot be raced: checking the path
 * first and opening it afterwards lets a script swap a directory on the way for a symlink in
 * between, and O_NOFOLLOW does not see a link before the last component.
 *
 * Linux only, through `/proc/self/fd`; where that is missing the open is refused rather than
 * trusted. `followLink` lets the last component be a symlink (which the check then covers too).
 */
export async function openInsideRoots(
  target: string,
  inside: (realPath: string) => boolean,
  { followLink = false }: { followLink?: boolean } = {},
): Promise<OpenedEntry> {
  const handle = await open(target, OPEN_FLAGS | (followLink ? 0 : constants.O_NOFOLLOW));
  try {
    const realPath = openedPath(handle);
    // Not absolute: a pipe or socket (`pipe:[123]`), which no root holds.
    if (!path.isAbsolute(realPath) || !inside(realPath)) {
      throw new StepflowError(ERROR_CODES.ARTIFACT_REJECTED, PATH_CHANGED);
    }
    return { handle, realPath, info: await handle.stat() };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/**
 * A name for exactly what `handle` has open. Used as a directory (`<it>/<child>`), it works like
 * openat(2): the kernel starts from the open directory instead of walking its path again.
 */
export function openedHandlePath(handle: FileHandle): string {
  return `${OPENED_FILES}/${handle.fd}`;
}

function openedPath(handle: FileHandle): string {
  try {
    // Synchronous on purpose: this link lives in the kernel's memory and never waits for a disk,
    // so reading it costs a few µs, ten times less than a round trip through the thread pool.
    return readlinkSync(openedHandlePath(handle));
  } catch (error) {
    if (isErrnoException(error) && (error.code === 'ENOENT' || error.code === 'EINVAL')) {
      throw new StepflowError(
        ERROR_CODES.ARTIFACT_REJECTED,
        `cannot check where the opened file lies (${OPENED_FILES} is not available on this system), so it is not collected`,
        { cause: error },
      );
    }
    throw error;
  }
}
