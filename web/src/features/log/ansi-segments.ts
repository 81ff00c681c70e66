import Anser from 'anser';

/**
 * A log line's text as styled segments, escapes removed. The 16 colours are CSS classes (themed in
 * log-viewer.css); 256-colour and true-colour values become inline colours. Segments are rendered
 * as text nodes by React, so markup in a line is never interpreted.
 */
export interface AnsiSegment {
  text: string;
  className: string;
  color?: string;
  background?: string;
}

const DECORATIONS: Record<string, string> = {
  bold: 'ansi-bold',
  dim: 'ansi-dim',
  italic: 'ansi-italic',
  underline: 'ansi-underline',
  strikethrough: 'ansi-strike',
};

/** xterm's 256-colour palette from index 16 on (the first 16 are the themed classes). */
export function paletteColor(index: number): string {
  if (index >= 232) {
    const level = 8 + (index - 232) * 10;
    return `rgb(${level}, ${level}, ${level})`;
  }
  const cube = index - 16;
  const level = (n: number) => (n === 0 ? 0 : 55 + n * 40);
  return `rgb(${level(Math.floor(cube / 36))}, ${level(Math.floor(cube / 6) % 6)}, ${level(cube % 6)})`;
}

const BASIC = ['black', 'red', 'green', 'yellow', 'blue', 'magenta', 'cyan', 'white'];

/** One of anser's colour names to a class or an inline colour. */
function colour(
  name: string | null,
  truecolor: string | null,
  kind: 'fg' | 'bg',
): { cls?: string; css?: string } {
  if (!name) return {};
  if (name === 'ansi-truecolor') return truecolor ? { css: `rgb(${truecolor})` } : {};
  const palette = /^ansi-palette-(\d+)$/.exec(name);
  if (palette) {
    const index = Number(palette[1]);
    if (index < 8) return { cls: `ansi-${BASIC[index]}-${kind}` };
    if (index < 16) return { cls: `ansi-bright-${BASIC[index - 8]}-${kind}` };
    return index < 256 ? { css: paletteColor(index) } : {};
  }
  return { cls: `${name}-${kind}` };
}

const cache = new Map<string, AnsiSegment[]>();
const CACHE_LIMIT = 2000;

/** Parses a line (memoized for the few thousand most recent texts: rows re-render on scroll). */
export function ansiSegments(text: string): AnsiSegment[] {
  const cached = cache.get(text);
  if (cached) return cached;
  let segments: AnsiSegment[];
  if (!text.includes('\x1b')) {
    segments = [{ text, className: '' }];
  } else {
    segments = Anser.ansiToJson(text, { remove_empty: true, use_classes: true }).map((entry) => {
      const fg = colour(entry.fg, entry.fg_truecolor, 'fg');
      const bg = colour(entry.bg, entry.bg_truecolor, 'bg');
      const classes = [fg.cls, bg.cls, ...entry.decorations.map((d) => DECORATIONS[d])].filter(Boolean);
      const segment: AnsiSegment = { text: entry.content, className: classes.join(' ') };
      if (fg.css) segment.color = fg.css;
      if (bg.css) segment.background = bg.css;
      return segment;
    });
  }
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(text, segments);
  return segments;
}

/** The text a person sees (what search matches against). */
export function visibleText(segments: readonly AnsiSegment[]): string {
  return segments.length === 1 ? (segments[0] as AnsiSegment).text : segments.map((s) => s.text).join('');
}

/**
 * Start offsets of the non-overlapping, case-insensitive occurrences of `needle` (already lower
 * case) in `text`, as the server counts them. Empty when folding changes the text's length (a few
 * exotic letters), where offsets could not be mapped back.
 */
export function matchOffsets(text: string, needle: string): number[] {
  if (needle === '') return [];
  const folded = text.toLowerCase();
  if (folded.length !== text.length) return [];
  const offsets: number[] = [];
  for (let at = folded.indexOf(needle); at !== -1; at = folded.indexOf(needle, at + needle.length))
    offsets.push(at);
  return offsets;
}

export interface RenderPiece extends AnsiSegment {
  /** -1: not a match; else the index of the occurrence within the line. */
  match: number;
}

/** Cuts the segments at match boundaries so each piece is wholly inside or outside a match. */
export function splitAtMatches(
  segments: readonly AnsiSegment[],
  offsets: readonly number[],
  length: number,
): RenderPiece[] {
  if (offsets.length === 0) return segments.map((s) => ({ ...s, match: -1 }));
  const pieces: RenderPiece[] = [];
  let position = 0;
  let m = 0;
  for (const segment of segments) {
    let from = 0;
    while (from < segment.text.length) {
      const absolute = position + from;
      while (m < offsets.length && (offsets[m] as number) + length <= absolute) m++;
      const start = offsets[m];
      let to: number;
      let match = -1;
      if (start !== undefined && start <= absolute) {
        match = m;
        to = Math.min(segment.text.length, start + length - position);
      } else {
        to = start === undefined ? segment.text.length : Math.min(segment.text.length, start - position);
      }
      pieces.push({ ...segment, text: segment.text.slice(from, to), match });
      from = to;
    }
    position += segment.text.length;
  }
  return pieces;
}
