import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import * as path from 'node:path';

/**
 * Size and SHA-256 of a stored artifact copy, computed as it was when stored (copy-file-hashed.ts,
 * copy-directory-hashed.ts): a file's own hash; for a directory, the hash of its `sha256sum`-style
 * manifest of every file, ordered by path as UTF-16 code units, with the files' total size.
 */
export async function hashStoredCopy(absolute: string): Promise<{ size: number; sha256: string }> {
  const info = await lstat(absolute);
  if (!info.isDirectory()) return hashFile(absolute);
  const entries: { relativePath: string; sha256: string }[] = [];
  let size = 0;
  const walk = async (dir: string, relativeDir: string): Promise<void> => {
    for (const child of await readdir(dir, { withFileTypes: true })) {
      const relativePath = relativeDir === '' ? child.name : `${relativeDir}/${child.name}`;
      const childPath = path.join(dir, child.name);
      if (child.isDirectory()) await walk(childPath, relativePath);
      else if (child.isFile()) {
        const file = await hashFile(childPath);
        size += file.size;
        entries.push({ relativePath, sha256: file.sha256 });
      }
    }
  };
  await walk(absolute, '');
  entries.sort((a, b) => (a.relativePath < b.relativePath ? -1 : a.relativePath > b.relativePath ? 1 : 0));
  const manifest = createHash('sha256');
  for (const entry of entries) manifest.update(`${entry.sha256}  ${entry.relativePath}\n`);
  return { size, sha256: manifest.digest('hex') };
}

async function hashFile(file: string): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    size += chunk.length;
    hash.update(chunk);
  }
  return { size, sha256: hash.digest('hex') };
}
