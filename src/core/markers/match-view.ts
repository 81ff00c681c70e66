import { escapeSequenceEnd } from './ansi.js';

const ESC = 0x1b;
const CR = 0x0d;
const LF = 0x0a;
const PERCENT = 0x25;

/** Text as the masker matches it: without ANSI escape sequences, CR and LF. */
export interface MatchView {
  text: string;
  /**
   * `start[i]`/`end[i]`: where the character `text[i]` comes from in the original text, so a
   * match `[s, e)` covers `[start[s], end[e - 1])` of it. `start[text.length]` is the original
   * length.
   */
  start: Int32Array;
  end: Int32Array;
}

/** True when `text` holds something {@link matchView} removes. Three native scans, no allocation. */
export function hasHidden(text: string): boolean {
  return text.indexOf('\x1b') !== -1 || text.indexOf('\r') !== -1 || text.indexOf('\n') !== -1;
}

/** What GitHub's escapes in a workflow command stand for; `''` for the line breaks. */
const GITHUB_ESCAPES: Record<string, string> = {
  '25': '%',
  '0D': '',
  '0A': '',
  '3A': ':',
  '2C': ',',
  '3B': ';',
  '5D': ']',
};

/**
 * `text` as a terminal would show it, near enough for matching: a secret printed with a colour
 * change inside it (`s3\e[1mcr3t`) or split by a line break in an annotation is still found.
 * `githubEscapes`: also read `%25` `%3A` `%2C` `%3B` `%5D` as the characters they stand for and
 * drop `%0D` `%0A`, as in a workflow command line (`::error::s3c%0Ar3t`).
 */
export function matchView(text: string, { githubEscapes = false } = {}): MatchView {
  const n = text.length;
  const start = new Int32Array(n + 1);
  const end = new Int32Array(n + 1);
  let out = '';
  let kept = 0;
  let runStart = 0;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === ESC || c === CR || c === LF) {
      out += text.slice(runStart, i);
      i = c === ESC ? escapeSequenceEnd(text, i) : i + 1;
      runStart = i;
      continue;
    }
    const decoded = githubEscapes && c === PERCENT ? GITHUB_ESCAPES[text.slice(i + 1, i + 3)] : undefined;
    if (decoded !== undefined) {
      out += text.slice(runStart, i) + decoded;
      if (decoded !== '') {
        start[kept] = i;
        end[kept++] = i + 3;
      }
      i += 3;
      runStart = i;
      continue;
    }
    start[kept] = i;
    end[kept++] = ++i;
  }
  out += text.slice(runStart, n);
  start[kept] = n;
  return { text: out, start: start.subarray(0, kept + 1), end: end.subarray(0, kept) };
}
