/**
 * The Environment field's text → the list the API takes: one `NAME=value` per line, taken
 * literally (no quotes, no `$` expansion), spaces around a line dropped, blank lines and `#`
 * comments skipped. The server names a line that is not `NAME=value` (by its place in this list).
 */
export function parseEnv(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** How the Environment field reads, for its hint. */
export const ENV_FORMAT_HINT =
  'One NAME=value per line, taken literally (no quotes, no $ expansion); # starts a comment.';
