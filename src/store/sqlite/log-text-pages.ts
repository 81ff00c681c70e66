import { validationError } from '../../core/errors.js';
import { renderLogText } from '../../core/log-text.js';
import { LineFlag } from '../../core/model.js';
import type { LogTextPage } from '../store.js';
import { decodeLogChunk, type LogChunk } from './log-chunks.js';

/** A stored chunk with its text still the UTF-8 bytes on disk (both backends read it so). */
export interface ChunkBytes extends Omit<LogChunk, 'text'> {
  bytes: Buffer;
}

/** A log page's default and largest line count, for `readLog` and `readLogText` alike. */
export const DEFAULT_PAGE_LINES = 1000;
const MAX_PAGE_LINES = 10_000;
const NEWLINE = Buffer.from('\n');
/** A page stops at the chunk that takes it past this many bytes, whatever its line count. */
const PAGE_BYTES = 1 << 20;

/** Checks a log page's `after` and `limit` (both backends, both log reads). */
export function validatePageBounds(after: number, limit: number): void {
  if (!Number.isInteger(after) || after < 0) {
    throw validationError(`after must be a non-negative integer, got ${String(after)}`);
  }
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_LINES) {
    throw validationError(`limit must be an integer from 1 to ${MAX_PAGE_LINES}, got ${String(limit)}`);
  }
}

/**
 * Collects a text page chunk by chunk. A chunk wholly after `after` with no continued line is its
 * stored bytes plus '\n' (its lines are joined by '\n'): nothing decoded. Other chunks (the first
 * of a page that starts inside one, or one holding a piece of a long line) go through their lines.
 */
export class TextPageBuilder {
  private readonly parts: Buffer[] = [];
  private lastSeq: number;
  /** Lines added so far. */
  private lines = 0;
  private bytes = 0;

  constructor(private readonly after: number) {
    this.lastSeq = after;
  }

  add(chunk: ChunkBytes): void {
    if (chunk.seqEnd <= this.after) return;
    if (chunk.seqStart > this.after && !hasContinued(chunk.flags)) {
      this.parts.push(chunk.bytes, NEWLINE);
      this.lines += chunk.seqEnd - chunk.seqStart + 1;
      this.bytes += chunk.bytes.length + 1;
    } else {
      const lines = decodeLogChunk({ ...chunk, text: chunk.bytes.toString('utf8') }).filter(
        (line) => line.seq > this.after,
      );
      const text = Buffer.from(renderLogText(lines), 'utf8');
      this.parts.push(text);
      this.lines += lines.length;
      this.bytes += text.length;
    }
    this.lastSeq = chunk.seqEnd;
  }

  /** Whether the page has enough: `limit` lines, or about a MiB of text. */
  full(limit: number): boolean {
    return this.lines >= limit || this.bytes >= PAGE_BYTES;
  }

  page(hasMore: boolean): LogTextPage {
    return { text: Buffer.concat(this.parts), nextAfter: this.lastSeq, hasMore };
  }
}

/** Whether a chunk's `index:flags` list marks any line Continued. */
function hasContinued(flags: string | null): boolean {
  if (flags === null) return false;
  for (const pair of flags.split(',')) {
    if (Number(pair.slice(pair.indexOf(':') + 1)) & LineFlag.Continued) return true;
  }
  return false;
}
