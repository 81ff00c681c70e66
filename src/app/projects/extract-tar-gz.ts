import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Parser, type ReadEntry } from 'tar';
import type { ArchiveLimits } from '../../core/projects.js';
import { archiveRejected, ArchiveWriter, RATIO_FLOOR_BYTES } from './archive-writer.js';

/**
 * Extracts a gzipped tar into `root` (a fresh folder), entry by entry as the stream comes: each
 * header is checked (name; only files and folders: a symlink, hard link, device or FIFO is refused)
 * before any of its bytes are written. Entries are not compressed one by one in a tar.gz, so the
 * ratio is the whole stream's: the bytes unpacked so far against the compressed bytes read.
 */
export async function extractTarGz(
  file: string,
  root: string,
  limits: ArchiveLimits,
): Promise<{ files: number; bytes: number }> {
  const writer = new ArchiveWriter(root, limits);
  const input = createReadStream(file);
  let compressed = 0;
  input.on('data', (chunk) => (compressed += chunk.length));
  const parser = new Parser({ strict: true });
  let failure: unknown;
  // Entries come one after another; writing each is awaited before the next is looked at.
  let writing: Promise<void> = Promise.resolve();
  const fail = (error: unknown): void => {
    failure ??= error;
    input.destroy();
  };
  parser.on('entry', (entry: ReadEntry) => {
    if (failure !== undefined) return entry.resume();
    entry.pause();
    writing = writing.then(async () => {
      if (failure !== undefined) return entry.resume();
      try {
        await writeEntry(entry);
      } catch (error) {
        entry.resume();
        fail(error);
      }
    });
  });
  const writeEntry = async (entry: ReadEntry): Promise<void> => {
    const name = entry.path;
    const relative = writer.check(name);
    if (entry.type === 'Directory') {
      entry.resume();
      return writer.directory(relative);
    }
    if (entry.type === 'SymbolicLink' || entry.type === 'Link')
      throw archiveRejected(name, 'link', 'links are not accepted');
    if (entry.type !== 'File' && entry.type !== 'OldFile' && entry.type !== 'ContiguousFile')
      throw archiveRejected(
        name,
        'special-file',
        `only files and folders are accepted (this is ${entry.type})`,
      );
    const size = entry.size ?? 0;
    writer.declare(name, size);
    const unpacked = writer.bytes + size;
    if (unpacked > RATIO_FLOOR_BYTES && unpacked > limits.maxRatio * Math.max(compressed, 1))
      throw archiveRejected(
        name,
        'ratio',
        `${compressed} compressed bytes unpack to more than ${unpacked} (more than ${limits.maxRatio} times)`,
      );
    await writer.file(name, relative, entry, {
      declared: size,
      executable: ((entry.mode ?? 0) & 0o111) !== 0,
    });
  };
  let ended = false;
  parser.on('end', () => (ended = true));
  try {
    await pipeline(input, parser);
    await writing;
  } catch (error) {
    await writing.catch(() => undefined);
    if (failure !== undefined) throw failure;
    throw archiveRejected(null, 'damaged', `not a readable tar.gz: ${(error as Error).message}`);
  }
  if (failure !== undefined) throw failure;
  if (!ended) throw archiveRejected(null, 'damaged', 'the archive is truncated');
  return { files: writer.files, bytes: writer.bytes };
}
