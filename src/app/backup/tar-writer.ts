import { createHash } from 'node:crypto';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

const BLOCK = 512;
/** The largest size a ustar header holds (11 octal digits); larger sizes go in a PAX record. */
const MAX_USTAR_SIZE = 0o77777777777;

/**
 * Writes a gzipped POSIX tar (ustar, with PAX records for names over 100 bytes or not ASCII and
 * for sizes from 8 GiB), readable by GNU and BSD tar. Regular files only: a backup has nothing else.
 * Written here rather than taken from a package: none of ours writes tar, and this is 100 lines.
 */
export interface TarWriter {
  /** Adds a file of exactly `size` bytes read from `content`; resolves to its SHA-256 (hex). */
  add(name: string, size: number, content: AsyncIterable<Buffer> | Iterable<Buffer>): Promise<string>;
  /** Ends the archive and waits until `output` has taken all of it. */
  finish(): Promise<void>;
}

export function createTarWriter(output: Writable, { mtime = new Date() }: { mtime?: Date } = {}): TarWriter {
  const gzip = createGzip({ level: 6 });
  const piped = pipeline(gzip, output);
  // Surfaced by finish() (or the next write); kept from being an unhandled rejection meanwhile.
  piped.catch(() => undefined);
  const seconds = Math.floor(mtime.getTime() / 1000);

  const write = async (chunk: Buffer): Promise<void> => {
    if (!gzip.write(chunk)) await Promise.race([once(gzip, 'drain'), piped]);
  };

  return {
    async add(name, size, content) {
      const pax: Record<string, string> = {};
      if (Buffer.byteLength(name) > 100 || !/^[\x20-\x7e]*$/.test(name)) pax.path = name;
      if (size > MAX_USTAR_SIZE) pax.size = String(size);
      if (Object.keys(pax).length > 0) {
        const records = Buffer.from(
          Object.entries(pax)
            .map(([key, value]) => paxRecord(key, value))
            .join(''),
        );
        await write(header(`PaxHeader/${asciiName(name)}`, records.length, seconds, 'x'));
        await write(padded(records));
      }
      await write(header(asciiName(name), size > MAX_USTAR_SIZE ? 0 : size, seconds, '0'));
      const hash = createHash('sha256');
      let written = 0;
      for await (const chunk of content) {
        written += chunk.length;
        if (written > size) throw new Error(`${name} grew while it was archived`);
        hash.update(chunk);
        await write(chunk);
      }
      if (written !== size)
        throw new Error(`${name} shrank while it was archived (${written} of ${size} bytes)`);
      const rest = size % BLOCK;
      if (rest !== 0) await write(Buffer.alloc(BLOCK - rest));
      return hash.digest('hex');
    },
    async finish() {
      gzip.end(Buffer.alloc(BLOCK * 2));
      await piped;
    },
  };
}

/** The ustar name field: the name cut to 100 ASCII bytes (the PAX `path` record holds the whole). */
function asciiName(name: string): string {
  return name.replace(/[^\x20-\x7e]/g, '_').slice(0, 100);
}

function header(name: string, size: number, mtime: number, type: '0' | 'x'): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(name, 0, 100, 'ascii');
  octal(block, 100, 8, 0o644);
  octal(block, 108, 8, 0);
  octal(block, 116, 8, 0);
  octal(block, 124, 12, size);
  octal(block, 136, 12, mtime);
  block.fill(' ', 148, 156); // the checksum is summed with its own field as spaces
  block.write(type, 156, 1, 'ascii');
  block.write('ustar\0', 257, 6, 'ascii');
  block.write('00', 263, 2, 'ascii');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  return block;
}

function octal(block: Buffer, offset: number, length: number, value: number): void {
  block.write(`${value.toString(8).padStart(length - 1, '0')}\0`, offset, length, 'ascii');
}

/** `<length> <key>=<value>\n`, where the length counts its own digits. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body) + 1;
  while (String(length).length + Buffer.byteLength(body) !== length) length++;
  return `${length}${body}`;
}

function padded(data: Buffer): Buffer {
  const rest = data.length % BLOCK;
  return rest === 0 ? data : Buffer.concat([data, Buffer.alloc(BLOCK - rest)]);
}
