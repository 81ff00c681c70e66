import { escapeSequenceEnd, stripAnsi } from './ansi.js';
import { githubMarker, readGithubCommand, readLegacyCommand } from './github-command.js';
import type { Marker } from './marker.js';

/** Recognises marker lines. Stateful only for GitHub's `::stop-commands::`. */
export interface MarkerParser {
  /**
   * The marker `line` carries, or null for ordinary output (and for malformed markers, which are
   * ordinary output too). `line` is one complete line without its '\n'; it may end with '\r'.
   */
  parse(line: string): Marker | null;
}

const ESC = 0x1b;
const CR = 0x0d;
const HASH = 0x23;
const COLON = 0x3a;

/**
 * A marker's first three visible characters: S T E (STEP_), A R T (ARTIFACT:), M E T (META:), O U T
 * (OUTPUT:),
 * s e c (section_), `::` (GitHub), `---` `+++` `~~~` (Buildkite), `^^^`, and `#` + digit (BuildKit
 * prefix). Checking them on the raw line rejects ordinary output without allocating; 0 = any.
 */
const FIRST = new Uint8Array(128);
const SECOND = new Uint8Array(128);
const THIRD = new Uint8Array(128);
for (const prefix of ['STE', 'ART', 'MET', 'OUT', 'sec', '::', '---', '+++', '~~~', '^^^', '#']) {
  const c = prefix.charCodeAt(0);
  FIRST[c] = 1;
  SECOND[c] = prefix.charCodeAt(1) || 0;
  THIRD[c] = prefix.charCodeAt(2) || 0;
}

/** Go test results and unified-diff headers look like Buildkite headers but are not. */
const NOT_BUILDKITE = [
  '--- PASS: ',
  '--- FAIL: ',
  '--- SKIP: ',
  '--- a/',
  '+++ b/',
  '--- /dev/null',
  '+++ /dev/null',
];

/** Creates a parser; use one per execution, since `::stop-commands::` state spans lines. */
export function createMarkerParser(): MarkerParser {
  let stopToken: string | null = null;

  return {
    parse(line) {
      // Fast path: find the first visible character without allocating and reject the line unless
      // a marker can start with it. Whitespace here is any C0 control or space except ESC.
      const n = line.length;
      let i = 0;
      let c = 0;
      while (i < n) {
        c = line.charCodeAt(i);
        if (c === ESC) i = escapeSequenceEnd(line, i);
        else if (c <= 0x20) i++;
        else break;
      }
      if (i >= n || c >= 128 || FIRST[c] !== 1) return null;
      const c2 = line.charCodeAt(i + 1);
      // An ESC right after the first character is odd but legal: leave that line to the full check.
      if (c2 !== ESC) {
        if (c === HASH) {
          if ((c2 < 0x30 || c2 > 0x39) && c2 !== HASH) return null;
        } else if (c2 !== SECOND[c]) {
          return null;
        } else {
          const third = THIRD[c]!;
          if (third !== 0 && line.charCodeAt(i + 2) !== third && line.charCodeAt(i + 2) !== ESC) return null;
        }
      }
      return parseCandidate(line.indexOf('\x1b') === -1 ? line : stripAnsi(line));
    },
  };

  function parseCandidate(text: string): Marker | null {
    let end = text.length;
    if (end > 0 && text.charCodeAt(end - 1) === CR) end--;
    let i = skipSpace(text, 0, end);
    if (text.charCodeAt(i) === HASH && !text.startsWith('##[', i)) {
      const after = buildkitPrefixEnd(text, i, end);
      if (after === -1) return null;
      i = skipSpace(text, after, end);
    }
    if (i >= end) return null;
    if (stopToken !== null) return resumes(text, i, end) ? resume() : null;
    return parseBody(text, i, end);
  }

  /** A GitHub command, in either form, at `i`; null for anything else. */
  function githubCommand(text: string, i: number, end: number) {
    if (text.startsWith('::', i)) return readGithubCommand(text.slice(i, end));
    if (text.startsWith('##[', i)) return readLegacyCommand(text.slice(i, end));
    return null;
  }

  function resumes(text: string, i: number, end: number): boolean {
    return githubCommand(text, i, end)?.name === stopToken;
  }

  function github(text: string, i: number, end: number): Marker | null {
    const command = githubCommand(text, i, end);
    if (command === null) return null;
    const marker = githubMarker(command);
    if (marker?.kind === 'stop-commands') stopToken = marker.token.toLowerCase();
    return marker;
  }

  function resume(): Marker {
    stopToken = null;
    return { kind: 'resume-commands' };
  }

  function parseBody(text: string, i: number, end: number): Marker | null {
    switch (text.charCodeAt(i)) {
      case 0x53 /* S */:
        if (!text.startsWith('STEP_', i)) return null;
        if (text.startsWith('STEP_START:', i)) {
          const name = text.slice(i + 11, end).trim();
          return name === '' ? null : { kind: 'step-start', name, source: 'stepflow' };
        }
        if (text.startsWith('STEP_COMPLETE:', i)) {
          const name = text.slice(i + 14, end).trim();
          return { kind: 'step-end', name: name === '' ? null : name, source: 'stepflow' };
        }
        if (text.startsWith('STEP_ERROR:', i)) {
          return { kind: 'step-error', message: text.slice(i + 11, end).trim() };
        }
        return null;
      case 0x41 /* A */:
        return text.startsWith('ARTIFACT:', i) ? artifact(text.slice(i + 9, end)) : null;
      case 0x4d /* M */:
        return text.startsWith('META:', i) ? meta(text.slice(i + 5, end)) : null;
      case 0x4f /* O */:
        return text.startsWith('OUTPUT:', i) ? output(text.slice(i + 7, end)) : null;
      case COLON:
      case HASH:
        return github(text, i, end);
      case 0x73 /* s */:
        if (text.startsWith('section_start:', i)) return gitlabStart(text.slice(i + 14, end));
        if (text.startsWith('section_end:', i)) return gitlabEnd(text.slice(i + 12, end));
        return null;
      case 0x2d /* - */:
      case 0x2b /* + */:
      case 0x7e /* ~ */:
        return buildkiteHeader(text, i, end);
      case 0x5e /* ^ */:
        return text.startsWith('^^^ +++', i) && text.slice(i + 7, end).trim() === ''
          ? { kind: 'reopen-previous' }
          : null;
      default:
        return null;
    }
  }
}

function skipSpace(text: string, i: number, end: number): number {
  while (i < end && text.charCodeAt(i) <= 0x20) i++;
  return i;
}

/**
 * Index after BuildKit's plain-progress prefix for a command's output, `#<step> <seconds> `
 * (`#12 0.314 `), or -1. Its other lines (`#5 [2/4] RUN …`, `#5 DONE 0.3s`) are never markers.
 */
function buildkitPrefixEnd(text: string, i: number, end: number): number {
  let j = digitsEnd(text, i + 1, end);
  if (j === i + 1 || text.charCodeAt(j) !== 0x20) return -1;
  const seconds = j + 1;
  j = digitsEnd(text, seconds, end);
  if (j === seconds || text.charCodeAt(j) !== 0x2e /* . */) return -1;
  const fraction = j + 1;
  j = digitsEnd(text, fraction, end);
  if (j === fraction || text.charCodeAt(j) !== 0x20) return -1;
  return j + 1;
}

function digitsEnd(text: string, i: number, end: number): number {
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) break;
    i++;
  }
  return i;
}

/** `path[:description]`; a drive letter (`C:\…`, `C:/…`) belongs to the path. */
function artifact(rest: string): Marker | null {
  const body = rest.trimStart();
  let colon = body.indexOf(':');
  if (colon === 1 && isAsciiLetter(body.charCodeAt(0))) {
    const next = body.charCodeAt(2);
    if (next === 0x5c /* \ */ || next === 0x2f /* / */) colon = body.indexOf(':', 2);
  }
  const path = (colon === -1 ? body : body.slice(0, colon)).trim();
  if (path === '') return null;
  return { kind: 'artifact', path, description: colon === -1 ? '' : body.slice(colon + 1).trim() };
}

function isAsciiLetter(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

function meta(rest: string): Marker | null {
  const colon = rest.indexOf(':');
  if (colon === -1) return null;
  const key = rest.slice(0, colon).trim();
  return key === '' ? null : { kind: 'meta', key, value: rest.slice(colon + 1).trim() };
}

/**
 * `OUTPUT:key=value`: an output of the run, as `::set-output` (a pipeline's later nodes read it as
 * `STEPFLOW_NEEDS_<NODE>_<KEY>`). The key is trimmed and must not be empty; the value is kept as
 * printed (it may be empty or contain `=`).
 */
function output(rest: string): Marker | null {
  const equals = rest.indexOf('=');
  if (equals === -1) return null;
  const name = rest.slice(0, equals).trim();
  return name === '' ? null : { kind: 'set-output', name, value: rest.slice(equals + 1) };
}

/** `<unix ts>:<name>[options]` then optionally '\r' and a header that becomes the display name. */
function gitlabStart(rest: string): Marker | null {
  const nameStart = gitlabNameStart(rest);
  if (nameStart === -1) return null;
  const cr = rest.indexOf('\r', nameStart);
  let section = cr === -1 ? rest.slice(nameStart) : rest.slice(nameStart, cr);
  const options = section.indexOf('[');
  if (options !== -1) section = section.slice(0, options);
  const key = section.trim();
  if (key === '') return null;
  const header = cr === -1 ? '' : rest.slice(cr + 1).trim();
  return { kind: 'step-start', name: header === '' ? key : header, source: 'gitlab', key };
}

function gitlabEnd(rest: string): Marker | null {
  const nameStart = gitlabNameStart(rest);
  if (nameStart === -1) return null;
  const cr = rest.indexOf('\r', nameStart);
  const key = (cr === -1 ? rest.slice(nameStart) : rest.slice(nameStart, cr)).trim();
  return key === '' ? null : { kind: 'step-end', name: key, source: 'gitlab', key };
}

/** Index after `<digits>:`, or -1. */
function gitlabNameStart(rest: string): number {
  const end = digitsEnd(rest, 0, rest.length);
  return end === 0 || rest.charCodeAt(end) !== COLON ? -1 : end + 1;
}

/** `--- name`, `+++ name`, `~~~ name`: three identical characters, a space or tab, a name. */
function buildkiteHeader(text: string, i: number, end: number): Marker | null {
  const c = text.charCodeAt(i);
  if (text.charCodeAt(i + 1) !== c || text.charCodeAt(i + 2) !== c) return null;
  const sep = text.charCodeAt(i + 3);
  if (sep !== 0x20 && sep !== 0x09) return null;
  for (const lookalike of NOT_BUILDKITE) if (text.startsWith(lookalike, i)) return null;
  const name = text.slice(i + 4, end).trim();
  return name === '' ? null : { kind: 'step-start', name, source: 'buildkite' };
}
