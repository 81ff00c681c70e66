/**
 * Finds every occurrence of any of a set of strings in one pass, whatever the number of strings:
 * the masker may hold hundreds of forms (each secret with its base64 and hex encodings), and a
 * loop of `indexOf` per form, or one big RegExp alternation, costs time per form on every line.
 */
export interface MultiSearch {
  /**
   * Appends `[start, end)` of each occurrence to `out` as two numbers, in no particular order;
   * overlapping occurrences are all reported (the caller merges them).
   */
  find(text: string, out: number[]): void;
  /** Length of the longest string searched for (0 when there is none). */
  readonly longest: number;
}

/** Block size of the Wu–Manber shift table: pairs of UTF-16 units, hashed to 16 bits. */
const BLOCK = 2;
/** Strings shorter than this are searched with indexOf: they would shrink every shift. */
const SHORT = 4;
/** Longest window the shift table looks at: longer windows gain little and cost memory to build. */
const MAX_WINDOW = 255;

const pairHash = (a: number, b: number): number => ((a & 0xff) << 8) | (b & 0xff);

/**
 * Wu–Manber over the strings of at least {@link SHORT} units (one shift table on pairs of
 * characters, so a line with no candidate is skipped several characters at a time), `indexOf`
 * for the few shorter ones. `values` must be distinct and non-empty.
 */
export function createMultiSearch(values: readonly string[]): MultiSearch {
  const short: string[] = [];
  const long: string[] = [];
  let longest = 0;
  for (const value of values) {
    (value.length < SHORT ? short : long).push(value);
    if (value.length > longest) longest = value.length;
  }

  let window = MAX_WINDOW;
  for (const value of long) if (value.length < window) window = value.length;
  const shift = new Uint8Array(long.length === 0 ? 0 : 65_536).fill(window - BLOCK + 1);
  /** Strings whose window ends with the pair of that hash (shift 0): the candidates to verify. */
  const candidates = new Map<number, string[]>();
  for (const value of long) {
    for (let end = BLOCK; end <= window; end++) {
      const hash = pairHash(value.charCodeAt(end - 2), value.charCodeAt(end - 1));
      const distance = window - end;
      if (distance < shift[hash]!) shift[hash] = distance;
      if (distance === 0) {
        const list = candidates.get(hash);
        if (list === undefined) candidates.set(hash, [value]);
        else list.push(value);
      }
    }
  }

  return {
    longest,
    find(text, out) {
      for (let s = 0; s < short.length; s++) {
        const value = short[s]!;
        for (let at = text.indexOf(value); at !== -1; at = text.indexOf(value, at + 1)) {
          out.push(at, at + value.length);
        }
      }
      if (long.length === 0) return;
      const n = text.length;
      // `end` is the index just past the window under test, text[end - window, end).
      let end = window;
      while (end <= n) {
        const hash = pairHash(text.charCodeAt(end - 2), text.charCodeAt(end - 1));
        const distance = shift[hash]!;
        if (distance !== 0) {
          end += distance;
          continue;
        }
        const start = end - window;
        const list = candidates.get(hash)!;
        for (let c = 0; c < list.length; c++) {
          const value = list[c]!;
          if (text.startsWith(value, start)) out.push(start, start + value.length);
        }
        end++;
      }
    },
  };
}
