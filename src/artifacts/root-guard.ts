import { realpath } from 'node:fs/promises';
import * as path from 'node:path';

/** Answers whether a path stays inside the directories an artifact may come from. */
export interface RootGuard {
  /** By the path's text alone: catches `../` before anything outside is touched. */
  lexicallyInside(absolutePath: string): boolean;
  /** For a path already passed through realpath: catches symlinks that lead out. */
  reallyInside(realPath: string): boolean;
}

/** True when `candidate` is `root` or lies under it (both absolute and normalized). */
export function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return (
    relative === '' ||
    (relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative))
  );
}

/** Builds a guard over `cwd` plus `extraRoots` (relative extra roots are taken from `cwd`). */
export async function createRootGuard(cwd: string, extraRoots: readonly string[]): Promise<RootGuard> {
  const lexical = [cwd, ...extraRoots].map((root) => path.resolve(cwd, root));
  const real: string[] = [];
  for (const root of lexical) {
    try {
      real.push(await realpath(root));
    } catch {
      // A root that does not exist holds nothing to collect; dropping it only narrows access.
    }
  }
  // Real roots count lexically too: a script may print the real form of a symlinked cwd.
  const textual = [...lexical, ...real];
  return {
    lexicallyInside: (candidate) => textual.some((root) => isInside(root, candidate)),
    reallyInside: (candidate) => real.some((root) => isInside(root, candidate)),
  };
}
