const ESC = 0x1b;
const BEL = 0x07;
const BACKSLASH = 0x5c;

/**
 * Index just past the escape sequence that starts at `start` (which must hold an ESC). Handles CSI
 * (`ESC [ … final`), string sequences OSC/DCS/SOS/PM/APC (ended by BEL or `ESC \`, or by the end of
 * the text when unterminated) and the other two-character-ish ESC sequences (`ESC (B`, `ESC 7`…).
 * A cut-off sequence ends where it stops being valid, so no visible text is ever swallowed.
 */
export function escapeSequenceEnd(text: string, start: number): number {
  const n = text.length;
  let i = start + 1;
  if (i >= n) return n;
  const kind = text.charCodeAt(i);
  if (kind === 0x5b /* [ */) {
    i++;
    // Parameter bytes 0x30–0x3F, then intermediate bytes 0x20–0x2F, then one final byte 0x40–0x7E.
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c < 0x30 || c > 0x3f) break;
      i++;
    }
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c < 0x20 || c > 0x2f) break;
      i++;
    }
    if (i < n) {
      const c = text.charCodeAt(i);
      if (c >= 0x40 && c <= 0x7e) i++;
    }
    return i;
  }
  if (
    kind === 0x5d /* ] OSC */ ||
    kind === 0x50 /* P DCS */ ||
    kind === 0x58 /* X SOS */ ||
    kind === 0x5e /* ^ PM */ ||
    kind === 0x5f /* _ APC */
  ) {
    i++;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === BEL) return i + 1;
      if (c === ESC) return text.charCodeAt(i + 1) === BACKSLASH ? i + 2 : i;
      i++;
    }
    return n;
  }
  // nF sequences: intermediates 0x20–0x2F then a final 0x30–0x7E; Fp/Fe/Fs: just the final byte.
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x2f) break;
    i++;
  }
  if (i < n) {
    const c = text.charCodeAt(i);
    if (c >= 0x30 && c <= 0x7e) i++;
  }
  return i;
}

/**
 * Removes ANSI escape sequences: CSI (colours, cursor moves, `\e[0K`…), OSC and the other string
 * sequences (BEL or ST terminated), and short ESC sequences. Returns `text` itself when it holds no
 * ESC, so callers pay nothing for plain text.
 */
export function stripAnsi(text: string): string {
  let esc = text.indexOf('\x1b');
  if (esc === -1) return text;
  let out = '';
  let from = 0;
  while (esc !== -1) {
    out += text.slice(from, esc);
    from = escapeSequenceEnd(text, esc);
    esc = text.indexOf('\x1b', from);
  }
  return out + text.slice(from);
}
