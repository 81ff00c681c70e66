import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import type { Stats } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { ERROR_CODES, StepflowError } from '../core/errors.js';
import { describeFsError, isErrnoException } from './describe-fs-error.js';
import type { OpenedEntry } from './open-inside-roots.js';

export interface HashedCopy {
  size: number;
  sha256: string;
}

const CHUNK_BYTES = 1024 * 1024;

function fileKindName(info: Stats): string {
  if (info.isFile()) return 'file';
  if (info.isDirectory()) return 'directory';
  if (info.isFIFO()) return 'named pipe';
  if (info.isSocket()) return 'socket';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'device';
  if (info.isSymbolicLink()) return 'symbolic link';
  return 'special file';
}

export const notRegularFile = (info: Stats): StepflowError =>
  new StepflowError(
    ERROR_CODES.ARTIFACT_REJECTED,
    `not a regular file or directory (it is a ${fileKindName(info)})`,
  );

/**
 * Streams the opened `source` (see openInsideRoots) into a new file `destination` (which must not
 * exist), hashing on the way, so a file of any size costs one chunk of memory. The caller keeps
 * and closes the handle. Source errors are thrown as they come; destination errors become
 * `artifact_rejected` saying the copy could not be stored.
 */
export async function copyFileHashed(source: OpenedEntry, destination: string): Promise<HashedCopy> {
  // What was opened decides, not an earlier stat: a file swapped for a FIFO is still refused.
  if (!source.info.isFile()) throw notRegularFile(source.info);

  const hash = createHash('sha256');
  let size = 0;
  const input = source.handle.createReadStream({ highWaterMark: CHUNK_BYTES, autoClose: false });
  const output = createWriteStream(destination, { flags: 'wx' });
  // pipeline() destroys every stream with the first error, so only the first emitter tells the side.
  let firstFailure: 'source' | 'destination' | null = null;
  input.once('error', () => (firstFailure ??= 'source'));
  output.once('error', () => (firstFailure ??= 'destination'));
  try {
    await pipeline(
      input,
      async function* (chunks: AsyncIterable<Buffer>) {
        for await (const chunk of chunks) {
          hash.update(chunk);
          size += chunk.length;
          yield chunk;
        }
      },
      output,
    );
  } catch (error) {
    if (firstFailure === 'destination' && isErrnoException(error)) {
      throw new StepflowError(
        ERROR_CODES.ARTIFACT_REJECTED,
        `could not store the copy: ${describeFsError(error)}`,
        { cause: error },
      );
    }
    throw error;
  }
  return { size, sha256: hash.digest('hex') };
}
