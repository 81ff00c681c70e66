import type { AnnotationLevel } from '../statuses.js';
import type { Marker } from './marker.js';

/** A `::name props::data` line split into its parts, as the GitHub runner reads it. */
interface GithubCommand {
  /** Lower-cased: the runner matches command names case-insensitively. */
  name: string;
  props: string;
  data: string;
}

/** Commands that are markers. A stop token may not be one of these (the runner refuses them too). */
const KNOWN = new Set(['group', 'endgroup', 'error', 'warning', 'notice', 'add-mask', 'stop-commands']);

/**
 * Splits a GitHub workflow command. `body` starts with `::` (leading whitespace, ANSI codes and the
 * trailing CR already removed). Returns null when there is no closing `::`.
 */
export function readGithubCommand(body: string): GithubCommand | null {
  const close = body.indexOf('::', 2);
  if (close === -1) return null;
  const space = body.indexOf(' ', 2);
  const hasProps = space !== -1 && space < close;
  return {
    name: body.slice(2, hasProps ? space : close).toLowerCase(),
    props: hasProps ? body.slice(space + 1, close) : '',
    data: body.slice(close + 2),
  };
}

/** Maps a workflow command to a marker; null for commands StepFlow ignores and malformed ones. */
export function githubMarker(command: GithubCommand): Marker | null {
  switch (command.name) {
    case 'group': {
      const name = unescapeGithub(command.data, false).trim();
      return name === '' ? null : { kind: 'step-start', name, source: 'github' };
    }
    case 'endgroup':
      return { kind: 'step-end', name: null, source: 'github' };
    case 'error':
    case 'warning':
    case 'notice':
      return annotation(command.name, command);
    case 'add-mask': {
      const value = unescapeGithub(command.data, false);
      return value.trim() === '' ? null : { kind: 'add-mask', value };
    }
    case 'stop-commands': {
      const token = command.data.trim();
      if (token === '' || KNOWN.has(token.toLowerCase()) || token.toLowerCase() === 'pause-logging')
        return null;
      return { kind: 'stop-commands', token };
    }
    default:
      return null;
  }
}

function annotation(level: AnnotationLevel, command: GithubCommand): Marker | null {
  const message = unescapeGithub(command.data, false).trim();
  if (message === '') return null;
  const marker = {
    kind: 'annotation' as const,
    level,
    message,
    title: null as string | null,
    file: null as string | null,
    line: null as number | null,
    col: null as number | null,
    endLine: null as number | null,
    endCol: null as number | null,
  };
  // Like the runner: `k=v` pairs split on ',', pairs without a key or a value are ignored, keys
  // are case-insensitive, unknown keys are ignored.
  for (const pair of command.props.split(',')) {
    const eq = pair.indexOf('=');
    if (eq === -1) continue;
    const key = pair.slice(0, eq).trim().toLowerCase();
    const value = unescapeGithub(pair.slice(eq + 1).trim(), true);
    if (key === '' || value === '') continue;
    switch (key) {
      case 'title':
        marker.title = value;
        break;
      case 'file':
        marker.file = value;
        break;
      case 'line':
        marker.line = positiveInt(value);
        break;
      case 'col':
        marker.col = positiveInt(value);
        break;
      case 'endline':
        marker.endLine = positiveInt(value);
        break;
      case 'endcolumn':
        marker.endCol = positiveInt(value);
        break;
    }
  }
  return marker;
}

function positiveInt(value: string): number | null {
  if (!/^\d{1,9}$/.test(value)) return null;
  const n = Number(value);
  return n > 0 ? n : null;
}

/**
 * Reverses GitHub's escaping in one pass (so `%253A` becomes `%3A`, not `:`): data escapes `%25`
 * `%0D` `%0A`; properties also `%3A` `%2C`. Unknown `%XX` sequences are left alone.
 */
function unescapeGithub(text: string, property: boolean): string {
  let pct = text.indexOf('%');
  if (pct === -1) return text;
  let out = '';
  let from = 0;
  while (pct !== -1 && pct + 2 < text.length) {
    const code = text.slice(pct + 1, pct + 3);
    const replacement =
      code === '25'
        ? '%'
        : code === '0D'
          ? '\r'
          : code === '0A'
            ? '\n'
            : property && code === '3A'
              ? ':'
              : property && code === '2C'
                ? ','
                : null;
    if (replacement === null) {
      pct = text.indexOf('%', pct + 1);
      continue;
    }
    out += text.slice(from, pct) + replacement;
    from = pct + 3;
    pct = text.indexOf('%', from);
  }
  return out + text.slice(from);
}
