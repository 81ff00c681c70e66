import type { Dirent } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import * as path from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';
import type { GlobOptions } from 'tinyglobby';
import { isStepflowError } from '../core/errors.js';
import { PATH_CHANGED, openInsideRoots, openedHandlePath } from './open-inside-roots.js';
import type { RootGuard } from './root-guard.js';

const MAX_MATCHES = 1000;
const LEADS_OUTSIDE = 'a directory it goes through leads outside the working directory and the allowed roots';

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

  const listing = readdirInsideRoots(guard);
  const matches = await glob([pattern], {
    cwd,
    absolute: true,
    onlyFiles: false,
    expandDirectories: false,
    followSymbolicLinks: false,
    fs: { readdir: listing.readdir },
  });
  // Directories come back with a trailing slash; a path under a matched directory is already in it.
  const resolved = new Set(matches.map((match) => path.resolve(match)));
  const outermost = [...resolved].filter((candidate) => !hasAncestorIn(resolved, candidate)).sort();
  if (outermost.length === 0) {
    const why = listing.refusal === undefined ? '' : ` (${listing.refusal})`;
    return { error: `no file matches ${JSON.stringify(pattern)}${why}` };
  }
  if (outermost.length > MAX_MATCHES) {
    return { error: `${JSON.stringify(pattern)} matches more than ${MAX_MATCHES} paths; narrow it down` };
  }
  return { paths: outermost };
}

type ReaddirCallback = (error: NodeJS.ErrnoException | null, entries?: Dirent[]) => void;

interface CheckedListing {
  readdir: NonNullable<GlobOptions['fs']>['readdir'];
  /** Why a directory was refused, first one only: the glob itself skips what it cannot list. */
  refusal?: string;
}

/**
 * The glob's only file-system call, made race-free: each directory is opened, checked to really
 * lie inside the roots, and listed through its handle. A directory swapped for a symlink to
 * outside while the glob walks therefore lists as empty instead of revealing what is outside;
 * the matches are checked again when collected.
 */
function readdirInsideRoots(guard: RootGuard): CheckedListing {
  const listing: CheckedListing = {
    // The glob calls only readdir(path, { withFileTypes: true }, callback) of node:fs's overloads.
    readdir: ((directory: string, _options: unknown, callback: ReaddirCallback): void => {
      listInsideRoots(directory, guard).then(
        (entries) => callback(null, entries),
        (error: NodeJS.ErrnoException) => {
          if (isStepflowError(error)) {
            // Here a symlink met before the last component is no change, only a way out.
            listing.refusal ??= error.message === PATH_CHANGED ? LEADS_OUTSIDE : error.message;
          }
          callback(error);
        },
      );
    }) as unknown as CheckedListing['readdir'],
  };
  return listing;
}

async function listInsideRoots(directory: string, guard: RootGuard): Promise<Dirent[]> {
  const opened = await openInsideRoots(directory, guard.reallyInside, { followLink: true });
  try {
    return await readdir(openedHandlePath(opened.handle), { withFileTypes: true });
  } finally {
    await opened.handle.close();
  }
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
