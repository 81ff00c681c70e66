import { lstat } from 'node:fs/promises';
import * as path from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';
import type { RootGuard } from './root-guard.js';

const MAX_MATCHES = 1000;

/** Absolute paths to collect, or one reason why the pattern yields nothing. */
type PatternExpansion = { paths: string[]; error?: undefined } | { error: string; paths?: undefined };

/**
 * Turns what followed `ARTIFACT:` into absolute paths (lexical: symlinks are not resolved here).
 * A path that exists is taken literally even if it looks like a glob, so `report[1].txt` works.
 * Globs follow shell habits (no dotfiles unless named) and never match symbolic links: following
 * them would crawl outside the roots, and a link can still be named explicitly.
 */
export async function expandArtifactPattern(
  pattern: string,
  cwd: string,
  guard: RootGuard,
): Promise<PatternExpansion> {
  if (pattern.trim() === '') return { error: 'no path given' };
  const literal = path.resolve(cwd, pattern);
  if (!isDynamicPattern(pattern) || !guard.lexicallyInside(literal) || (await exists(literal))) {
    return { paths: [literal] };
  }
  if (!guard.lexicallyInside(path.resolve(cwd, staticBase(pattern)))) {
    return { error: 'pattern points outside the working directory and the allowed roots' };
  }

  const matches = await glob([pattern], {
    cwd,
    absolute: true,
    onlyFiles: false,
    expandDirectories: false,
    followSymbolicLinks: false,
  });
  // Directories come back with a trailing slash; a path under a matched directory is already in it.
  const resolved = new Set(matches.map((match) => path.resolve(match)));
  const outermost = [...resolved].filter((candidate) => !hasAncestorIn(resolved, candidate)).sort();
  if (outermost.length === 0) return { error: `no file matches ${JSON.stringify(pattern)}` };
  if (outermost.length > MAX_MATCHES) {
    return { error: `${JSON.stringify(pattern)} matches more than ${MAX_MATCHES} paths; narrow it down` };
  }
  return { paths: outermost };
}

/** The leading segments without glob syntax: the directory a glob cannot climb out of by itself. */
function staticBase(pattern: string): string {
  const segments = pattern.split('/');
  const firstDynamic = segments.findIndex((segment) => isDynamicPattern(segment));
  const base = segments.slice(0, firstDynamic === -1 ? segments.length : firstDynamic).join('/');
  return base !== '' ? base : pattern.startsWith('/') ? '/' : '.';
}

function hasAncestorIn(paths: ReadonlySet<string>, candidate: string): boolean {
  let current = candidate;
  for (;;) {
    const parent = path.dirname(current);
    if (parent === current) return false;
    if (paths.has(parent)) return true;
    current = parent;
  }
}

async function exists(absolutePath: string): Promise<boolean> {
  try {
    await lstat(absolutePath);
    return true;
  } catch {
    // Any failure means "not a literal path": the pattern is then treated as a glob.
    return false;
  }
}
