import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';

/**
 * A chunk's text shorter than this (UTF-16 code units) stays as is: a line or two gains little and
 * costs a compressor set-up each.
 */
export const PACK_FROM_CHARS = 512;

/**
 * Brotli at quality 0: on compiler/test/service output it keeps 27 % of the text at ~220 MB/s on
 * one core, where zlib's deflate at level 1 keeps 24 % at ~130 MB/s (docs/PERFORMANCE.md, "Storage
 * per line"). Its time is paid back by SQLite writing a quarter of the pages.
 */
const PACK_OPTIONS = { params: { [constants.BROTLI_PARAM_QUALITY]: 0 } };

/** A chunk's text packed, and the size of its UTF-8 bytes. */
export interface PackedText {
  packed: Buffer;
  textBytes: number;
}

/** A chunk's text packed (Brotli), or null when that is not smaller. */
export function packText(text: string): PackedText | null {
  const utf8 = Buffer.from(text, 'utf8');
  const packed = brotliCompressSync(utf8, {
    params: { ...PACK_OPTIONS.params, [constants.BROTLI_PARAM_SIZE_HINT]: utf8.length },
  });
  return packed.length < utf8.length ? { packed, textBytes: utf8.length } : null;
}

/** A stored chunk's text as UTF-8 bytes: `text`'s, or `text_z` unpacked (no string made). */
export function chunkBytes(text: Buffer | null, packed: Buffer | null): Buffer {
  return packed === null ? (text ?? Buffer.alloc(0)) : brotliDecompressSync(packed);
}

/** A stored chunk's text: `text` as is, or `text_z` unpacked when the row holds it packed. */
export function chunkText(text: string, packed: Buffer | null): string {
  return packed === null ? text : brotliDecompressSync(packed).toString('utf8');
}
