import { maskForms } from './mask-forms.js';
import { hasHidden, matchView } from './match-view.js';
import { createMultiSearch } from './multi-search.js';
import type { MultiSearch } from './multi-search.js';

/** Replaces registered secret values with `***`, as `::add-mask::` asks. */
export interface Masker {
  /**
   * Registers a secret: the value, each of its lines trimmed, and its base64 and hex forms (see
   * mask-forms.ts). Blank values are ignored.
   */
  add(value: string): void;
  /** `text` with every occurrence of every form replaced by `***`; `text` itself when none occurs. */
  apply(text: string): string;
  /**
   * As {@link apply}, for a marker line: also finds a secret written with GitHub's escapes
   * (`::error::s3c%0Ar3t`, `title=a%3Ab`), which the parsed marker shows unescaped.
   */
  applyToMarkerLine(text: string): string;
  /**
   * The ranges of `text` to hide, merged and in order, as `[start0, end0, start1, end1, …]`; null
   * when there is none. Occurrences interrupted by ANSI escape sequences, CR or LF count (the
   * range then covers those too). `maskedPrefix`: that many leading characters are hidden too.
   */
  ranges(text: string, maskedPrefix?: number): number[] | null;
  /**
   * The earliest index of `text` at which an occurrence may start that more text appended to
   * `text` could complete; `text.length` when none could. What a caller holds back of an
   * unfinished line so that a secret cut in two is still found.
   */
  incompleteFrom(text: string): number;
  /** True once a value is registered: callers skip masking entirely before that. */
  readonly active: boolean;
}

const MASK = '***';

/** Characters of escape sequences (and line breaks) {@link Masker.incompleteFrom} looks past. */
const MAX_HIDDEN_HELD = 65_536;

export function createMasker(): Masker {
  const forms = new Set<string>();
  const registered = new Set<string>();
  // Rebuilt lazily after add(): a run registers its masks early and then masks millions of lines.
  let search: MultiSearch | null = null;

  const searcher = (): MultiSearch => (search ??= createMultiSearch([...forms]));

  const ranges = (text: string, maskedPrefix: number, githubEscapes = false): number[] | null => {
    const found: number[] = maskedPrefix > 0 ? [0, maskedPrefix] : [];
    const s = searcher();
    s.find(text, found);
    if (hasHidden(text) || (githubEscapes && text.includes('%'))) {
      // Also look through escape sequences and line breaks; the literal search above still runs,
      // since a sequence may swallow a visible character (`ESC s3cr3t`).
      const view = matchView(text, { githubEscapes });
      const inView: number[] = [];
      s.find(view.text, inView);
      for (let k = 0; k < inView.length; k += 2) {
        found.push(view.start[inView[k]!]!, view.end[inView[k + 1]! - 1]!);
      }
    }
    return found.length === 0 ? null : merge(found);
  };

  return {
    add(value) {
      if (registered.has(value)) return;
      registered.add(value);
      const before = forms.size;
      for (const form of maskForms(value)) forms.add(form);
      if (forms.size !== before) search = null;
    },
    apply(text) {
      if (forms.size === 0) return text;
      const found = ranges(text, 0);
      return found === null ? text : replaceRanges(text, found);
    },
    applyToMarkerLine(text) {
      if (forms.size === 0) return text;
      const found = ranges(text, 0, true);
      return found === null ? text : replaceRanges(text, found);
    },
    ranges(text, maskedPrefix = 0) {
      if (forms.size > 0) return ranges(text, maskedPrefix);
      return maskedPrefix > 0 ? [0, maskedPrefix] : null;
    },
    incompleteFrom(text) {
      const keep = searcher().longest - 1;
      if (keep <= 0) return text.length;
      const literal = Math.max(0, text.length - keep);
      if (!hasHidden(text)) return literal;
      // An occurrence seen through the escape sequences is complete once it lies before the last
      // `keep` visible characters. Not more than MAX_HIDDEN_HELD further back, though: a line of
      // nothing but escape sequences must not be held back without bound.
      const view = matchView(text);
      const visible = Math.max(0, view.text.length - keep);
      return Math.min(literal, Math.max(view.start[visible]!, literal - MAX_HIDDEN_HELD));
    },
    get active() {
      return forms.size > 0;
    },
  };
}

/** Sorts `[start, end]` pairs and merges overlapping and touching ones. */
function merge(pairs: number[]): number[] {
  if (pairs.length === 2) return pairs;
  const order: [number, number][] = [];
  for (let k = 0; k < pairs.length; k += 2) order.push([pairs[k]!, pairs[k + 1]!]);
  order.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  const out: number[] = [];
  let [start, end] = order[0]!;
  for (let k = 1; k < order.length; k++) {
    const [s, e] = order[k]!;
    if (s <= end) {
      if (e > end) end = e;
      continue;
    }
    out.push(start, end);
    start = s;
    end = e;
  }
  out.push(start, end);
  return out;
}

/** `text` with each of the merged `ranges` replaced by {@link MASK}. */
export function replaceRanges(text: string, ranges: readonly number[]): string {
  let out = '';
  let from = 0;
  for (let k = 0; k < ranges.length; k += 2) {
    out += text.slice(from, ranges[k]) + MASK;
    from = ranges[k + 1]!;
  }
  return out + text.slice(from);
}
