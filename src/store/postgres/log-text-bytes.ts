const ANY_SURROGATE = /[\ud800-\udfff]/;
/** A surrogate code unit without its other half (a JavaScript string need not be valid UTF-16). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * The bytes a chunk's text is stored as: UTF-8, and a lone surrogate as its three-byte form
 * (WTF-8), which is what SQLite receives from better-sqlite3 for the same string. Read back as
 * UTF-8, both stores then give the same text: each such byte becomes U+FFFD. One call per chunk;
 * text without surrogates (nearly all) takes the plain encoder.
 */
export function encodeLogText(text: string): Buffer {
  if (!ANY_SURROGATE.test(text)) return Buffer.from(text, 'utf8');
  const parts: Buffer[] = [];
  let from = 0;
  for (const match of text.matchAll(LONE_SURROGATE)) {
    const unit = match[0].charCodeAt(0);
    parts.push(
      Buffer.from(text.slice(from, match.index), 'utf8'),
      Buffer.from([0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)]),
    );
    from = match.index + 1;
  }
  parts.push(Buffer.from(text.slice(from), 'utf8'));
  return Buffer.concat(parts);
}
