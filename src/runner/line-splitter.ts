import { validationError } from '../core/errors.js';

const NEWLINE = 0x0a;

/** Receives what a {@link createLineSplitter} cuts out of a byte stream, in stream order. */
export interface LineSplitterSink {
  /** Complete lines, without their `\n` (a `\r` before it is kept). Never called with an empty array. */
  lines(lines: string[]): void;
  /** A piece of a line longer than `maxLineBytes`; `continues` is false on the line's last piece. */
  piece(text: string, continues: boolean): void;
}

export interface LineSplitterOptions {
  sink: LineSplitterSink;
  /** Longest line emitted whole, and the most bytes of an unterminated line ever held. */
  maxLineBytes?: number;
}

export interface LineSplitter {
  write(chunk: Buffer): void;
  /** Emits a final line that had no `\n`. Idempotent. */
  end(): void;
  /** Bytes of the current unterminated line held in memory (never more than `maxLineBytes`). */
  readonly bufferedBytes: number;
}

/**
 * Splits a byte stream into UTF-8 lines. Complete lines of a chunk are decoded with one `toString`
 * and one `split('\n')`: a `\n` byte never occurs inside a multi-byte UTF-8 sequence, so that is
 * safe, and it is what makes millions of lines per second possible. Invalid UTF-8 becomes U+FFFD.
 */
export function createLineSplitter({ sink, maxLineBytes = 65_536 }: LineSplitterOptions): LineSplitter {
  // Below 4 bytes a single UTF-8 character might not fit in a piece.
  if (!Number.isInteger(maxLineBytes) || maxLineBytes < 4) {
    throw validationError(`maxLineBytes must be an integer >= 4, got ${maxLineBytes}`);
  }
  // A line of this many UTF-16 units or fewer cannot exceed maxLineBytes (at most 3 bytes per unit).
  const safeUnits = Math.floor(maxLineBytes / 3);

  // Parts of the unterminated line, concatenated lazily so byte-at-a-time writers stay linear.
  let held: Buffer[] = [];
  let heldBytes = 0;
  // Pieces of the current line were already emitted.
  let inLongLine = false;

  function takeHeld(extra?: Buffer): Buffer {
    if (extra !== undefined && extra.length > 0) held.push(extra);
    const whole = held.length === 1 ? held[0]! : Buffer.concat(held);
    held = [];
    heldBytes = 0;
    return whole;
  }

  /** Emits pieces of `bytes` until at most maxLineBytes remain; returns where the rest starts. */
  function emitPieces(bytes: Buffer): number {
    let start = 0;
    while (bytes.length - start > maxLineBytes) {
      const end = utf8Cut(bytes, start, start + maxLineBytes);
      sink.piece(bytes.toString('utf8', start, end), true);
      start = end;
    }
    return start;
  }

  function hold(part: Buffer): void {
    held.push(part);
    heldBytes += part.length;
    if (heldBytes <= maxLineBytes) return;
    const bytes = takeHeld();
    const rest = emitPieces(bytes);
    inLongLine = true;
    // Copy so the remainder does not pin a whole chunk (or the concatenation) in memory.
    held = [Buffer.from(bytes.subarray(rest))];
    heldBytes = held[0]!.length;
  }

  /** Completes the held line with `tail`; returns it when it is short, else emits it as pieces. */
  function completeHeld(tail: Buffer): string | undefined {
    if (!inLongLine && heldBytes + tail.length <= maxLineBytes) return takeHeld(tail).toString('utf8');
    const bytes = takeHeld(tail);
    const rest = emitPieces(bytes);
    sink.piece(bytes.toString('utf8', rest), false);
    inLongLine = false;
    return undefined;
  }

  /** Emits decoded complete lines, turning any that are too long into pieces. */
  function emitLines(lines: string[], mayBeLong: boolean): void {
    if (!mayBeLong) {
      sink.lines(lines);
      return;
    }
    let from = 0;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (line.length <= safeUnits || Buffer.byteLength(line) <= maxLineBytes) continue;
      if (i > from) sink.lines(lines.slice(from, i));
      const bytes = Buffer.from(line);
      const rest = emitPieces(bytes);
      sink.piece(bytes.toString('utf8', rest), false);
      from = i + 1;
    }
    if (from === 0) sink.lines(lines);
    else if (from < lines.length) sink.lines(lines.slice(from));
  }

  return {
    write(chunk: Buffer): void {
      const first = chunk.indexOf(NEWLINE);
      if (first === -1) {
        if (chunk.length > 0) hold(chunk);
        return;
      }
      let start = 0;
      let head: string | undefined;
      if (heldBytes > 0 || inLongLine) {
        head = completeHeld(chunk.subarray(0, first));
        start = first + 1;
      }
      const last = chunk.lastIndexOf(NEWLINE);
      if (last >= start) {
        const lines = chunk.toString('utf8', start, last).split('\n');
        if (head !== undefined) lines.unshift(head);
        emitLines(lines, last - start > maxLineBytes);
      } else if (head !== undefined) {
        sink.lines([head]);
      }
      // Copy: a short tail must not pin the whole chunk while the line is incomplete.
      if (last + 1 < chunk.length) hold(Buffer.from(chunk.subarray(last + 1)));
    },

    end(): void {
      if (heldBytes === 0 && !inLongLine) return;
      const text = takeHeld().toString('utf8');
      if (inLongLine) sink.piece(text, false);
      else sink.lines([text]);
      inLongLine = false;
    },

    get bufferedBytes(): number {
      return heldBytes;
    },
  };
}

/** Largest cut point <= `limit` that does not split a UTF-8 character (in valid UTF-8). */
function utf8Cut(bytes: Buffer, start: number, limit: number): number {
  let cut = limit;
  while (cut > limit - 3 && cut > start + 1 && isContinuationByte(bytes[cut]!)) cut--;
  // Still inside a sequence: the bytes are not valid UTF-8 here, so any cut is as good.
  return isContinuationByte(bytes[cut]!) ? limit : cut;
}

function isContinuationByte(byte: number): boolean {
  return (byte & 0xc0) === 0x80;
}
