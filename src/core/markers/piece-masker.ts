import type { Masker } from './masker.js';
import { replaceRanges } from './masker.js';

/**
 * Masks one stream's over-long line piece by piece. The line splitter cuts such a line every
 * 64 KiB wherever the bytes fall, so a secret may straddle two pieces; masking each piece alone
 * would store both halves readable. Each piece's tail that might begin a secret is held back and
 * stored at the front of the next piece instead, so pieces shift by a few characters.
 */
export interface PieceMasker {
  /**
   * The masked text to store for this piece, or null when all of it is held back (a piece shorter
   * than the longest secret). On the last piece (`continues` false) everything held comes out.
   */
  push(text: string, continues: boolean): string | null;
  /** What is still held back, masked, to end the line with when the stream stops mid-line. */
  flush(): string | null;
}

export function createPieceMasker(masker: Masker): PieceMasker {
  let held = '';
  /** The first `heldMasked` characters of `held` belong to a secret found in an earlier piece. */
  let heldMasked = 0;

  return {
    push(piece, continues) {
      const text = held + piece;
      const ranges = masker.ranges(text, heldMasked) ?? [];
      if (!continues) {
        held = '';
        heldMasked = 0;
        return replaceRanges(text, ranges);
      }
      let cut = masker.incompleteFrom(text);
      // Never between the two halves of a surrogate pair: each piece is stored as UTF-8.
      if (cut > 0 && cut < text.length && isHighSurrogate(text.charCodeAt(cut - 1))) cut--;
      if (cut === 0) {
        held = text;
        return null;
      }
      // A secret found across the cut is stored masked on both sides of it.
      const clipped: number[] = [];
      heldMasked = 0;
      for (let k = 0; k < ranges.length; k += 2) {
        const start = ranges[k]!;
        const end = ranges[k + 1]!;
        if (start >= cut) break;
        clipped.push(start, Math.min(end, cut));
        if (end > cut) heldMasked = end - cut;
      }
      held = text.slice(cut);
      return replaceRanges(text.slice(0, cut), clipped);
    },
    flush() {
      if (held === '') return null;
      const text = replaceRanges(held, masker.ranges(held, heldMasked) ?? []);
      held = '';
      heldMasked = 0;
      return text;
    },
  };
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
