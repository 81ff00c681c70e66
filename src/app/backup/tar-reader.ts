import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

const BLOCK = 512;

/** Where the reader puts one member's bytes. */
export interface TarSink {
  write(chunk: Buffer): void;
  end(): void;
}

/**
 * Reads a gzipped tar as {@link createTarWriter} writes it (ustar, PAX `path` and `size`), handing
 * each regular file to `open(name, size)`. Any other kind of member (link, device, directory) is
 * refused by `open` never being asked: the reader throws, naming it. A truncated archive throws.
 */
export async function readTarGz(
  input: Readable,
  open: (name: string, size: number) => TarSink,
): Promise<void> {
  let pending: Buffer = Buffer.alloc(0);
  let body: { sink: TarSink; remaining: number; padding: number } | undefined;
  let pax: Record<string, string> | undefined;
  let paxBody: { remaining: number; parts: Buffer[]; padding: number } | undefined;
  let ended = false;

  for await (const chunk of input.pipe(createGunzip()) as AsyncIterable<Buffer>) {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    for (;;) {
      if (ended) break;
      if (body) {
        const take = Math.min(body.remaining, pending.length);
        if (take > 0) body.sink.write(pending.subarray(0, take));
        body.remaining -= take;
        pending = pending.subarray(take);
        if (body.remaining > 0) break;
        const skip = Math.min(body.padding, pending.length);
        body.padding -= skip;
        pending = pending.subarray(skip);
        if (body.padding > 0) break;
        body.sink.end();
        body = undefined;
        continue;
      }
      if (paxBody) {
        const take = Math.min(paxBody.remaining + paxBody.padding, pending.length);
        paxBody.parts.push(pending.subarray(0, take));
        pending = pending.subarray(take);
        const got = paxBody.parts.reduce((n, part) => n + part.length, 0);
        if (got < paxBody.remaining + paxBody.padding) break;
        pax = parsePax(Buffer.concat(paxBody.parts).subarray(0, paxBody.remaining));
        paxBody = undefined;
        continue;
      }
      if (pending.length < BLOCK) break;
      const block = pending.subarray(0, BLOCK);
      pending = pending.subarray(BLOCK);
      if (block.every((byte) => byte === 0)) {
        ended = true;
        break;
      }
      const type = String.fromCharCode(block[156] ?? 0);
      const size = pax?.size === undefined ? readOctal(block, 124, 12) : Number(pax.size);
      const name = pax?.path ?? readString(block, 0, 100);
      const padding = (BLOCK - (size % BLOCK)) % BLOCK;
      if (type === 'x') {
        paxBody = { remaining: size, parts: [], padding };
        continue;
      }
      pax = undefined;
      if (type !== '0' && type !== '\0')
        throw new Error(`member ${JSON.stringify(name)} is not a regular file`);
      body = { sink: open(name, size), remaining: size, padding };
    }
  }
  if (!ended || body || paxBody) throw new Error('the archive is truncated');
}

function readString(block: Buffer, offset: number, length: number): string {
  const field = block.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? length : end).toString('utf8');
}

function readOctal(block: Buffer, offset: number, length: number): number {
  const text = readString(block, offset, length).trim();
  if (!/^[0-7]+$/.test(text)) throw new Error('not a tar archive (a header has no valid size)');
  return parseInt(text, 8);
}

function parsePax(data: Buffer): Record<string, string> {
  const records: Record<string, string> = {};
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    const length = Number(data.subarray(at, space).toString('ascii'));
    if (space === -1 || !Number.isSafeInteger(length) || length <= 0)
      throw new Error('a PAX header is damaged');
    const record = data.subarray(space + 1, at + length - 1).toString('utf8');
    const equals = record.indexOf('=');
    records[record.slice(0, equals)] = record.slice(equals + 1);
    at += length;
  }
  return records;
}
