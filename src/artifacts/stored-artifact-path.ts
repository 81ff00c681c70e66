import * as path from 'node:path';
import { ERROR_CODES, StepflowError } from '../core/errors.js';

/** Folder of the data dir that holds every artifact copy. */
export const ARTIFACT_STORE_DIR = 'artifacts';
const SAFE_ID = /^[A-Za-z0-9_-]+$/;
// Separators and control characters; everything else (Unicode included) is a valid POSIX name.
// eslint-disable-next-line no-control-regex
const UNSAFE_NAME_CHARS = /[\u0000-\u001f\u007f/\\]/g;

function safeFileName(name: string): string {
  const cleaned = name.replace(UNSAFE_NAME_CHARS, '_');
  return cleaned === '' || cleaned === '.' || cleaned === '..' ? 'artifact' : cleaned;
}

/**
 * Where a copy lives, relative to the data dir: `artifacts/<executionId>/<artifactId>/<name>`,
 * always with `/` so stored rows read the same on every platform.
 */
export function storedArtifactPath(executionId: string, artifactId: number, name: string): string {
  if (!SAFE_ID.test(executionId) || !Number.isSafeInteger(artifactId) || artifactId < 1) {
    // Ids come from the engine, never from the script: a bad one is our bug, not user input.
    throw new StepflowError(
      ERROR_CODES.INTERNAL,
      `invalid artifact location ${JSON.stringify(executionId)}/${artifactId}`,
    );
  }
  return [ARTIFACT_STORE_DIR, executionId, String(artifactId), safeFileName(name)].join('/');
}

/**
 * Absolute path of a stored artifact's copy, from the data dir and `artifact.storedPath`.
 * Throws `artifact_rejected` for anything that would land outside `<dataDir>/artifacts`.
 * The check is on the text only: StepFlow copies content and never creates symlinks there.
 */
export function resolveStoredArtifact(dataDir: string, storedPath: string): string {
  const artifactsRoot = path.resolve(dataDir, ARTIFACT_STORE_DIR);
  const resolved = path.resolve(dataDir, storedPath);
  const relative = path.relative(artifactsRoot, resolved);
  const escapes =
    storedPath.includes('\0') ||
    path.isAbsolute(storedPath) ||
    relative === '' ||
    relative === '..' ||
    relative.startsWith(`..${path.sep}`) ||
    path.isAbsolute(relative);
  if (escapes) {
    throw new StepflowError(
      ERROR_CODES.ARTIFACT_REJECTED,
      `stored artifact path ${JSON.stringify(storedPath)} is outside the artifacts directory`,
    );
  }
  return resolved;
}
