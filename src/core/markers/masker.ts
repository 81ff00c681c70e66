/** Replaces registered secret values with `***`, as `::add-mask::` asks. */
export interface Masker {
  /** Registers a value. Blank values are ignored; a multi-line value masks each of its lines. */
  add(value: string): void;
  /** `text` with every occurrence of every value replaced by `***`; `text` itself when none occurs. */
  apply(text: string): string;
  /** True once a value is registered: callers skip `apply` entirely before that. */
  readonly active: boolean;
}

const MASK = '***';

export function createMasker(): Masker {
  const values: string[] = [];

  const register = (value: string): void => {
    if (value.trim() === '' || values.includes(value)) return;
    values.push(value);
  };

  return {
    add(value) {
      register(value);
      // Lines are masked one by one, so a value spanning lines could never match as a whole.
      if (value.includes('\n')) for (const line of value.split('\n')) register(line.replace(/\r$/, ''));
    },
    apply(text) {
      if (values.length === 0) return text;
      // Collect every occurrence of every value, merge overlaps, then rebuild once: replacing value
      // by value would leave the tail of a secret visible when two secrets overlap.
      let ranges: [number, number][] | null = null;
      for (let v = 0; v < values.length; v++) {
        const value = values[v]!;
        let at = text.indexOf(value);
        while (at !== -1) {
          (ranges ??= []).push([at, at + value.length]);
          at = text.indexOf(value, at + 1);
        }
      }
      if (ranges === null) return text;
      ranges.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
      let out = '';
      let from = 0;
      let [start, end] = ranges[0]!;
      for (const [s, e] of ranges) {
        if (s <= end) {
          if (e > end) end = e;
          continue;
        }
        out += text.slice(from, start) + MASK;
        from = end;
        start = s;
        end = e;
      }
      return out + text.slice(from, start) + MASK + text.slice(end);
    },
    get active() {
      return values.length > 0;
    },
  };
}
