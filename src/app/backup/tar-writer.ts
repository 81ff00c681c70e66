import { createHash } from 'node:crypto';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Header, Pack, ReadEntry } from 'tar';

/**
 * Writes a gzipped POSIX tar with node-tar (npm's own tar): PAX records for long or non-ASCII
 * names and sizes from 8 GiB, readable by GNU and BSD tar. Regular files only: a backup has
 * nothing else. Members are given as name, size and bytes (the database snapshot is a temp file
 * whose member name is not its path), hashed as they are written.
 */
export interface TarWriter {
  /** Adds a file of exactly `size` bytes read from `content`; resolves to its SHA-256 (hex). */
  add(
    name: string,
    size: number,
    content: AsyncIterable<Buffer> | Iterable<Buffer>,
    options?: { executable?: boolean },
  ): Promise<string>;
  /** Ends the archive and waits until `output` has taken all of it. */
  finish(): Promise<void>;
}

export function createTarWriter(output: Writable, { mtime = new Date() }: { mtime?: Date } = {}): TarWriter {
  // portable: no owner names, uids or atimes of this host in the archive.
  const pack = new Pack({ gzip: { level: 6 }, portable: true });
  const piped = pipeline(pack, output);
  // Surfaced by finish() (or the next write); kept from being an unhandled rejection meanwhile.
  piped.catch(() => undefined);

  return {
    async add(name, size, content, { executable = false } = {}) {
      const header = new Header({ path: name, mode: executable ? 0o755 : 0o644, size, mtime, type: 'File' });
      header.encode();
      const entry = new ReadEntry(header);
      pack.add(entry);
      const hash = createHash('sha256');
      let written = 0;
      for await (const chunk of content) {
        written += chunk.length;
        if (written > size) throw new Error(`${name} grew while it was archived`);
        hash.update(chunk);
        if (!entry.write(chunk)) await Promise.race([once(entry, 'drain'), piped]);
      }
      if (written !== size)
        throw new Error(`${name} shrank while it was archived (${written} of ${size} bytes)`);
      entry.end();
      return hash.digest('hex');
    },
    async finish() {
      pack.end();
      await piped;
    },
  };
}
