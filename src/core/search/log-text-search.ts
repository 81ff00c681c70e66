import { stripAnsi } from '../markers/ansi.js';

/**
 * The log search's one definition of a match, shared by the store and anything that counts:
 * case-insensitive (JavaScript's `toLowerCase`, so non-ASCII letters fold too) plain-text search
 * in the line as a person sees it (ANSI escapes removed), counting non-overlapping occurrences
 * from the left, as editors do.
 */

/** The needle to pass to the functions below: the query folded once. */
export function searchNeedle(query: string): string {
  return query.toLowerCase();
}

/** Non-overlapping occurrences of `needle` (non-empty) in `haystack`. */
export function countOccurrences(haystack: string, needle: string): number {
  let count = 0;
  let from = haystack.indexOf(needle);
  while (from !== -1) {
    count++;
    from = haystack.indexOf(needle, from + needle.length);
  }
  return count;
}

/** Occurrences of `needle` in one raw log line. */
export function countLineMatches(rawLine: string, needle: string): number {
  return countOccurrences(stripAnsi(rawLine).toLowerCase(), needle);
}

/**
 * Calls `onLine(index, count)`, in order, for every line of `text` (`lineCount` lines joined by
 * `\n`, as a log chunk stores them) that holds `needle`. Plain chunks are folded and scanned whole,
 * which is several times faster than splitting them; chunks with escapes are stripped line by line
 * because an unterminated OSC sequence would otherwise swallow the lines after it.
 */
export function searchLines(
  text: string,
  lineCount: number,
  needle: string,
  onLine: (index: number, count: number) => void,
): void {
  if (needle === '') return;
  if (lineCount === 1) {
    const count = countLineMatches(text, needle);
    if (count > 0) onLine(0, count);
    return;
  }
  if (text.includes('\x1b') || needle.includes('\n')) {
    const lines = text.split('\n');
    for (let index = 0; index < lines.length; index++) {
      const count = countLineMatches(lines[index] as string, needle);
      if (count > 0) onLine(index, count);
    }
    return;
  }
  if (ASCII_ONLY.test(needle) && searchAsciiNeedle(text, needle, onLine)) return;
  // No escapes and a needle without '\n': a match never spans lines, so scan the folded chunk and
  // map each hit to its line by counting the newlines passed ('\n' folds to itself, nothing folds to it).
  const folded = text.toLowerCase();
  let hit = folded.indexOf(needle);
  let lineIndex = 0;
  let lineEnd = folded.indexOf('\n');
  let count = 0;
  while (hit !== -1) {
    while (lineEnd !== -1 && lineEnd < hit) {
      if (count > 0) onLine(lineIndex, count);
      count = 0;
      lineIndex++;
      lineEnd = folded.indexOf('\n', lineEnd + 1);
    }
    count++;
    hit = folded.indexOf(needle, hit + needle.length);
  }
  if (count > 0) onLine(lineIndex, count);
}

// eslint-disable-next-line no-control-regex
const ASCII_ONLY = /^[\x00-\x7f]*$/;
/** The only characters `toLowerCase` turns into ASCII letters: KELVIN SIGN (→ k), İ (→ i + U+0307). */
const FOLDS_TO_ASCII = '\u212a\u0130';
const asciiPatterns = new Map<string, RegExp>();

/**
 * `searchLines`' plain-chunk scan for an ASCII needle without folding the chunk (folding a chunk
 * that holds any non-ASCII character measured ~9× slower than this): a case-insensitive RegExp
 * matches an ASCII needle exactly where the folded text holds it, as its `i` flag never maps a
 * non-ASCII character to ASCII — except for the two `toLowerCase` does map there, so a chunk
 * holding one of them is left to the folding scan (returns false, having reported nothing).
 */
function searchAsciiNeedle(
  text: string,
  needle: string,
  onLine: (index: number, count: number) => void,
): boolean {
  let pattern = asciiPatterns.get(needle);
  if (pattern === undefined) {
    if (asciiPatterns.size >= 64) asciiPatterns.clear();
    const literal = needle.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
    pattern = new RegExp(`${literal}|[${FOLDS_TO_ASCII}]`, 'gi');
    asciiPatterns.set(needle, pattern);
  }
  pattern.lastIndex = 0;
  const hits: number[] = [];
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    // Anything but the needle itself (one of those two characters) sends the chunk to the folding scan.
    if (match[0].toLowerCase() !== needle) return false;
    hits.push(match.index);
  }
  let lineIndex = 0;
  let lineEnd = text.indexOf('\n');
  let count = 0;
  for (const hit of hits) {
    while (lineEnd !== -1 && lineEnd < hit) {
      if (count > 0) onLine(lineIndex, count);
      count = 0;
      lineIndex++;
      lineEnd = text.indexOf('\n', lineEnd + 1);
    }
    count++;
  }
  if (count > 0) onLine(lineIndex, count);
  return true;
}
