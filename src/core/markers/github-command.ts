import type { AnnotationLevel } from '../statuses.js';
import type { Marker } from './marker.js';

/**
 * A GitHub workflow command split into its parts, as the GitHub runner reads it
 * (actions/runner `src/Runner.Common/ActionCommand.cs`, `TryParseV2` and the legacy `TryParse`).
 */
interface GithubCommand {
  /** Lower-cased: the runner matches command names case-insensitively. */
  name: string;
  /** Property values unescaped, by lower-cased key (the runner's keys are case-insensitive). */
  props: Map<string, string>;
  /** Unescaped. */
  data: string;
}

/**
 * Every command the runner registers: a stop token may not be one of them (nor empty, nor
 * `pause-logging`), or `::stop-commands::set-env` would suspend nothing the runner knows how to
 * resume.
 */
const RUNNER_COMMANDS = new Set([
  'add-mask',
  'add-matcher',
  'add-path',
  'debug',
  'echo',
  'endgroup',
  'error',
  'group',
  'notice',
  'remove-matcher',
  'save-state',
  'set-env',
  'set-output',
  'stop-commands',
  'warning',
]);

/** The runner masks a stop token longer than this for the rest of the run. */
const MASKED_TOKEN_LENGTH = 6;

/** What the escapes stand for: `%XX` codes, in command data and in property values. */
type Escapes = Readonly<Record<string, string>>;
const DATA_ESCAPES: Escapes = { '25': '%', '0D': '\r', '0A': '\n' };
const PROPERTY_ESCAPES: Escapes = { ...DATA_ESCAPES, '3A': ':', '2C': ',' };
const LEGACY_ESCAPES: Escapes = { ...DATA_ESCAPES, '3B': ';', '5D': ']' };

/**
 * Splits a workflow command, `::name k=v,k=v::data`. `body` starts with `::` (leading
 * whitespace, ANSI codes and the trailing CR already removed). Null when there is no closing `::`.
 */
export function readGithubCommand(body: string): GithubCommand | null {
  const close = body.indexOf('::', 2);
  if (close === -1) return null;
  const info = body.slice(2, close);
  const space = info.indexOf(' ');
  return {
    name: (space === -1 ? info : info.slice(0, space)).toLowerCase(),
    props: properties(space === -1 ? '' : info.slice(space + 1).trim(), ',', PROPERTY_ESCAPES),
    data: unescape(body.slice(close + 2), DATA_ESCAPES),
  };
}

/**
 * Splits a command in the runner's older form, `##[name k=v;k=v]data`. `body` starts with `##[`.
 * Null when there is no closing `]`.
 */
export function readLegacyCommand(body: string): GithubCommand | null {
  const close = body.indexOf(']', 3);
  if (close === -1) return null;
  const info = body.slice(3, close);
  const space = info.indexOf(' ');
  return {
    name: (space === -1 ? info : info.slice(0, space)).toLowerCase(),
    props: properties(space === -1 ? '' : info.slice(space + 1), ';', LEGACY_ESCAPES),
    data: unescape(body.slice(close + 1), LEGACY_ESCAPES),
  };
}

/**
 * `k=v` pairs as the runner reads them (.NET `Split(sep, RemoveEmptyEntries)`, then
 * `Split('=', 2, RemoveEmptyEntries)`): empty entries are skipped, a pair needs a key and a value,
 * `=` signs right after the first one are skipped, keys and values are not trimmed, and a key given
 * twice keeps its last value.
 */
function properties(text: string, separator: string, escapes: Escapes): Map<string, string> {
  const props = new Map<string, string>();
  for (const pair of text.split(separator)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    let from = eq + 1;
    while (pair.charCodeAt(from) === 0x3d /* = */) from++;
    if (from >= pair.length) continue;
    props.set(pair.slice(0, eq).toLowerCase(), unescape(pair.slice(from), escapes));
  }
  return props;
}

/** Maps a workflow command to a marker; null for commands StepFlow ignores and malformed ones. */
export function githubMarker(command: GithubCommand): Marker | null {
  switch (command.name) {
    case 'group': {
      const name = command.data.trim();
      return name === '' ? null : { kind: 'step-start', name, source: 'github' };
    }
    case 'endgroup':
      return { kind: 'step-end', name: null, source: 'github' };
    case 'error':
    case 'warning':
    case 'notice':
      return annotation(command.name, command);
    case 'add-mask':
      // The runner's own warning for a blank value (the line holds no secret, so it is kept).
      return command.data.trim() === ''
        ? runnerError('warning', "Can't add secret mask for empty string in ##[add-mask] command.")
        : { kind: 'add-mask', value: command.data };
    case 'set-output': {
      // The runner's SetOutputCommandExtension: the value is the data as it is, even empty.
      const name = command.props.get('name');
      return name === undefined
        ? runnerError('error', "Required field 'name' is missing in ##[set-output] command.")
        : { kind: 'set-output', name, value: command.data };
    }
    case 'stop-commands': {
      const token = command.data;
      if (
        token === '' ||
        token.toLowerCase() === 'pause-logging' ||
        RUNNER_COMMANDS.has(token.toLowerCase())
      ) {
        // The runner fails the step here; StepFlow says why and carries on.
        return runnerError(
          'error',
          `::stop-commands:: refused the token ${JSON.stringify(token)}: it may not be empty, ` +
            '"pause-logging" or a workflow command name, so commands were not suspended',
        );
      }
      return { kind: 'stop-commands', token, masked: token.length > MASKED_TOKEN_LENGTH };
    }
    default:
      return null;
  }
}

/** An annotation about a command the runner refuses. */
function runnerError(level: AnnotationLevel, message: string): Marker {
  return {
    kind: 'annotation',
    level,
    message,
    title: null,
    file: null,
    line: null,
    col: null,
    endLine: null,
    endCol: null,
  };
}

function annotation(level: AnnotationLevel, command: GithubCommand): Marker | null {
  const message = command.data.trim();
  if (message === '') return null;
  const { props } = command;
  return {
    kind: 'annotation',
    level,
    message,
    title: nonEmpty(props.get('title')),
    file: nonEmpty(props.get('file')),
    ...position(
      positiveInt(props.get('line')),
      positiveInt(props.get('endline')),
      positiveInt(props.get('col')),
      positiveInt(props.get('endcolumn')),
    ),
  };
}

/**
 * The runner's `IssueCommandExtension.ValidateLinesAndColumns`, rule by rule: an end without a
 * start stands for the start; columns need a line, and one line (a column range across lines is
 * dropped); a range that ends before it starts is dropped.
 */
function position(line: number | null, endLine: number | null, col: number | null, endCol: number | null) {
  const hasColumn = col !== null || endCol !== null;
  if (endLine !== null && line === null) line = endLine;
  if (endCol !== null && col === null) col = endCol;
  if (line === null && hasColumn) col = endCol = null;
  if (endLine !== null && line !== endLine && hasColumn) col = endCol = null;
  if (line !== null && endLine !== null && endLine < line) line = endLine = null;
  if (col !== null && endCol !== null && endCol < col) col = endCol = null;
  return { line, col, endLine, endCol };
}

function nonEmpty(value: string | undefined): string | null {
  return value === undefined || value === '' ? null : value;
}

/** A position: a positive whole number; anything else counts as not given. */
function positiveInt(value: string | undefined): number | null {
  if (value === undefined || !/^\d{1,9}$/.test(value)) return null;
  const n = Number(value);
  return n > 0 ? n : null;
}

/**
 * Reverses the escaping in one pass (so `%253A` becomes `%3A`, not `:`), as the runner's
 * replacements in sequence do. Codes are upper-case, as the runner's; unknown `%XX` stay.
 */
function unescape(text: string, escapes: Escapes): string {
  let pct = text.indexOf('%');
  if (pct === -1) return text;
  let out = '';
  let from = 0;
  while (pct !== -1 && pct + 2 < text.length) {
    const replacement = escapes[text.slice(pct + 1, pct + 3)];
    if (replacement === undefined) {
      pct = text.indexOf('%', pct + 1);
      continue;
    }
    out += text.slice(from, pct) + replacement;
    from = pct + 3;
    pct = text.indexOf('%', from);
  }
  return out + text.slice(from);
}
