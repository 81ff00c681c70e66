/**
 * `env=prod, nightly` → `['env=prod', 'nightly']`: the list form the API takes (a bare key is a tag
 * with an empty value). Commas and new lines separate; blanks are dropped.
 */
export function parseTags(text: string): string[] {
  return text
    .split(/[,\n]/)
    .map((tag) => tag.trim())
    .filter((tag) => tag !== '');
}
