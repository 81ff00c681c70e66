import { hasHidden, matchView } from './match-view.js';

/**
 * The strings to look for when a value is masked: the value as text, and the encodings a script
 * commonly prints a secret in. Forms hold no CR, LF or escape sequence: the masker also
 * matches against text with those removed (see match-view.ts).
 */

/**
 * An encoded form stands for at least this many bytes of the value, or it is not registered: a
 * 1–2 byte value's base64 (`YQ`) or hex (`61`) would mask unrelated text all over the log, while
 * the value itself is masked whatever its length (as GitHub does).
 */
const MIN_ENCODED_BYTES = 3;

const LINE_BREAK = /\r\n|\r|\n/;

/**
 * Every form of `value` to mask, deduplicated; empty for a blank value. As GitHub's runner does
 * for `::add-mask::`: the value, and each of its lines trimmed (a value declared with padding or
 * over several lines is found however it is printed). Then, as the runner's value encoders do, the
 * base64 of the value and of the value without its first one and two bytes (a secret inside a
 * longer encoded string, such as `base64("user:" + password)`, starts at any of three byte
 * alignments), each also without its trailing characters that depend on the bytes that follow
 * (`base64(secret + "\n")`, what `echo "$SECRET" | base64` prints, does not end like
 * `base64(secret)`); and the hex of the value, lower and upper case.
 */
export function maskForms(value: string): string[] {
  if (value.trim() === '') return [];
  const forms = new Set<string>();
  const text = (form: string): void => {
    const matchable = hasHidden(form) ? matchView(form).text : form;
    if (matchable.trim() !== '') forms.add(matchable);
  };
  const bases = new Set<string>([value]);
  for (const line of value.split(LINE_BREAK)) {
    const trimmed = line.trim();
    if (trimmed !== '') bases.add(trimmed);
  }
  for (const base of bases) {
    text(base);
    for (const encoded of encodedForms(base)) forms.add(encoded);
  }
  return [...forms];
}

function encodedForms(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const out: string[] = [];
  if (bytes.length < MIN_ENCODED_BYTES) return out;
  const hex = bytes.toString('hex');
  out.push(hex, hex.toUpperCase());
  const whole = bytes.toString('base64');
  out.push(whole);
  for (let skip = 0; skip <= 2; skip++) {
    const rest = bytes.subarray(skip);
    if (rest.length < MIN_ENCODED_BYTES) break;
    out.push(alignedBase64(rest));
  }
  return out;
}

/**
 * Base64 of `bytes` without padding and without a last character that only partly comes from
 * them: the characters that are the same wherever the bytes sit in a longer string encoded from
 * a multiple of 3 bytes before them.
 */
function alignedBase64(bytes: Uint8Array): string {
  const full = Math.floor((bytes.length * 8) / 6);
  return Buffer.from(bytes).toString('base64').slice(0, full);
}
