import { stripAnsi } from '../markers/ansi.js';

/** A matching line as a person reads it: escapes removed, cut around the match, matches marked. */
export interface LineExcerpt {
  /** The visible text, or a window of it around the first match. */
  text: string;
  /** `[start, end)` offsets in `text` of each occurrence (none when folding changed lengths). */
  highlights: [number, number][];
  /** Text was cut before / after the window. */
  clippedStart: boolean;
  clippedEnd: boolean;
}

/**
 * The excerpt of a raw log line holding `needle` (folded, see `log-text-search.ts`): at most
 * `maxChars` UTF-16 units, starting a little before the first match so it shows context. Offsets
 * are found in the folded text; when folding changed the length (a rare letter such as "İ"), they
 * would not map back, so the excerpt has none rather than wrong ones.
 */
export function lineExcerpt(
  rawLine: string,
  needle: string,
  { maxChars = 300, before = 60 } = {},
): LineExcerpt {
  const visible = stripAnsi(rawLine);
  const folded = visible.toLowerCase();
  const mappable = folded.length === visible.length && needle.length > 0;
  const first = mappable ? folded.indexOf(needle) : -1;
  let start = first > before ? first - before : 0;
  // The whole first match fits, even when `before` leaves too little room after it.
  if (first !== -1 && first + needle.length > start + maxChars) start = first + needle.length - maxChars;
  let end = Math.min(visible.length, start + maxChars);
  if (end === visible.length) start = Math.max(0, end - maxChars);
  // Never cut a surrogate pair in two.
  if (start > 0 && isLowSurrogate(visible.charCodeAt(start))) start++;
  if (end < visible.length && isLowSurrogate(visible.charCodeAt(end))) end--;
  const highlights: [number, number][] = [];
  if (mappable) {
    for (let hit = first; hit !== -1 && hit < end; hit = folded.indexOf(needle, hit + needle.length)) {
      const hitEnd = hit + needle.length;
      if (hitEnd > start) highlights.push([Math.max(hit, start) - start, Math.min(hitEnd, end) - start]);
    }
  }
  return {
    text: visible.slice(start, end),
    highlights,
    clippedStart: start > 0,
    clippedEnd: end < visible.length,
  };
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
