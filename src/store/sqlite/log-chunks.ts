import { ERROR_CODES, StepflowError } from '../../core/errors.js';
import type { LogLine } from '../../core/model.js';
import type { LogStream } from '../../core/statuses.js';

/**
 * A run of consecutive lines of one execution sharing stream and step, stored as one row. Per-line
 * timestamps and flags are stored only when they differ from the common case, so a chunk of plain
 * output written within one millisecond costs the text and a few integers.
 */
export interface LogChunk {
  seqStart: number;
  seqEnd: number;
  tsStart: number;
  stream: LogStream;
  stepId: number | null;
  /** Null when every line has `tsStart`; else the difference from the previous line's ts, per line after the first, comma-separated. */
  tsDeltas: string | null;
  /** Null when every line has flags 0; else `index:flags` pairs (index within the chunk), comma-separated. */
  flags: string | null;
  /** The lines joined by `\n`. */
  text: string;
}

export interface ChunkLimits {
  maxLines: number;
  /** UTF-16 code units, a cheap stand-in for bytes. */
  maxChars: number;
}

const DEFAULT_LIMITS: ChunkLimits = { maxLines: 1000, maxChars: 256 * 1024 };

/**
 * Groups lines (in seq order) into chunks, skipping every line whose seq is <= `afterSeq` or not
 * above the previous line's, so a retried batch is never stored twice. Returns the chunks and the
 * highest seq they hold.
 */
export function encodeLogChunks(
  lines: readonly LogLine[],
  afterSeq: number,
  limits: ChunkLimits = DEFAULT_LIMITS,
): { chunks: LogChunk[]; lastSeq: number } {
  const chunks: LogChunk[] = [];
  let lastSeq = afterSeq;
  const n = lines.length;
  let i = 0;
  while (i < n) {
    const first = lines[i] as LogLine;
    if (first.seq <= lastSeq) {
      i++;
      continue;
    }
    const start = i;
    let end = i + 1;
    let chars = first.text.length;
    let tsVaries = false;
    let flagged = first.flags !== 0;
    // A line holding '\n' (never produced by the line splitter, but possible) gets a chunk of its
    // own: a one-line chunk is never split on read.
    if (first.text.indexOf('\n') === -1) {
      const maxEnd = Math.min(n, start + limits.maxLines);
      let prevSeq = first.seq;
      while (end < maxEnd) {
        const line = lines[end] as LogLine;
        chars += line.text.length + 1;
        if (
          line.seq !== prevSeq + 1 ||
          line.stream !== first.stream ||
          line.stepId !== first.stepId ||
          chars > limits.maxChars ||
          line.text.indexOf('\n') !== -1
        ) {
          break;
        }
        if (line.ts !== first.ts) tsVaries = true;
        if (line.flags !== 0) flagged = true;
        prevSeq = line.seq;
        end++;
      }
    }
    chunks.push(buildChunk(lines, start, end, tsVaries, flagged));
    lastSeq = (lines[end - 1] as LogLine).seq;
    i = end;
  }
  return { chunks, lastSeq };
}

function buildChunk(
  lines: readonly LogLine[],
  start: number,
  end: number,
  tsVaries: boolean,
  flagged: boolean,
): LogChunk {
  const first = lines[start] as LogLine;
  const texts = new Array<string>(end - start);
  for (let k = start; k < end; k++) texts[k - start] = (lines[k] as LogLine).text;
  let tsDeltas: string | null = null;
  if (tsVaries) {
    const deltas = new Array<number>(end - start - 1);
    for (let k = start + 1; k < end; k++)
      deltas[k - start - 1] = (lines[k] as LogLine).ts - (lines[k - 1] as LogLine).ts;
    tsDeltas = deltas.join(',');
  }
  let flags: string | null = null;
  if (flagged) {
    const pairs: string[] = [];
    for (let k = start; k < end; k++) {
      const lineFlags = (lines[k] as LogLine).flags;
      if (lineFlags !== 0) pairs.push(`${k - start}:${lineFlags}`);
    }
    flags = pairs.join(',');
  }
  return {
    seqStart: first.seq,
    seqEnd: (lines[end - 1] as LogLine).seq,
    tsStart: first.ts,
    stream: first.stream,
    stepId: first.stepId,
    tsDeltas,
    flags,
    text: texts.join('\n'),
  };
}

/** Splits a chunk back into its lines. */
export function decodeLogChunk(chunk: LogChunk): LogLine[] {
  const count = chunk.seqEnd - chunk.seqStart + 1;
  const texts = count === 1 ? [chunk.text] : chunk.text.split('\n');
  if (texts.length !== count) {
    throw new StepflowError(
      ERROR_CODES.STORE_CORRUPT,
      `log chunk at seq ${chunk.seqStart} holds ${texts.length} lines, expected ${count}`,
    );
  }
  const lines = new Array<LogLine>(count);
  const deltas = chunk.tsDeltas === null ? null : chunk.tsDeltas.split(',');
  let ts = chunk.tsStart;
  for (let k = 0; k < count; k++) {
    if (deltas !== null && k > 0) ts += Number(deltas[k - 1]);
    lines[k] = {
      seq: chunk.seqStart + k,
      ts,
      stream: chunk.stream,
      stepId: chunk.stepId,
      text: texts[k] as string,
      flags: 0,
    };
  }
  if (chunk.flags !== null && chunk.flags !== '') {
    for (const pair of chunk.flags.split(',')) {
      const colon = pair.indexOf(':');
      const line = lines[Number(pair.slice(0, colon))];
      if (line) line.flags = Number(pair.slice(colon + 1));
    }
  }
  return lines;
}
