import type { LogLine } from '../../core/model.js';
import type { LiveServerMessage } from '../../protocol/live-messages.js';

/**
 * A serialized message, ready for any number of sockets: ws writes the same Buffer to each of
 * them (no masking server-side, no compression), so a batch is encoded once for all subscribers.
 */
export type Frame = Buffer;

export function toFrame(message: LiveServerMessage): Frame {
  return Buffer.from(JSON.stringify(message));
}

/** A gapless run of lines serialized as one `lines` message. */
export interface LinesFrame {
  /** Seq just before the first line of the frame: a client that has exactly up to it is in sync. */
  after: number;
  /** Seq of the last line in the frame. */
  last: number;
  frame: Frame;
}

/** JSON around a line's text, roughly; only used for size estimates. */
export const LINE_OVERHEAD = 72;

/**
 * Serializes lines with `seq > after` into `lines` frames of about `maxFrameBytes` at most (so no
 * single write is huge), each a gapless run
 * (a seq jump starts a new frame, so a gap is visible to whoever checks `after`). Built by hand:
 * one string per frame, no intermediate objects (this runs once per batch per execution, on the
 * hot path).
 */
export function linesFrames(
  executionId: string,
  batches: readonly LogLine[][],
  after: number,
  maxFrameBytes: number,
): LinesFrame[] {
  const head = `{"type":"lines","executionId":${JSON.stringify(executionId)},"lines":[`;
  const frames: LinesFrame[] = [];
  let parts: string[] = [];
  let size = 0;
  let first = after;
  let last = after;
  const cut = (): void => {
    if (parts.length === 0) return;
    frames.push({ after: first, last, frame: Buffer.from(`${head}${parts.join(',')}]}`) });
    parts = [];
    size = 0;
    first = last;
  };
  for (const batch of batches) {
    for (const line of batch) {
      if (line.seq <= last) continue;
      if (line.seq !== last + 1) {
        cut();
        first = line.seq - 1;
      }
      parts.push(lineJson(line));
      last = line.seq;
      size += line.text.length + LINE_OVERHEAD;
      if (size >= maxFrameBytes) cut();
    }
  }
  cut();
  return frames;
}

function lineJson(line: LogLine): string {
  const flags = line.flags === 0 ? '' : `,"flags":${line.flags}`;
  return `{"seq":${line.seq},"ts":${line.ts},"stream":"${line.stream}","stepId":${line.stepId},"text":${JSON.stringify(line.text)}${flags}}`;
}

/** Rough byte size of line batches, for the per-client accounting of held lines. */
export function estimateLineBytes(lines: readonly LogLine[]): number {
  let bytes = 0;
  for (const line of lines) bytes += line.text.length + LINE_OVERHEAD;
  return bytes;
}
