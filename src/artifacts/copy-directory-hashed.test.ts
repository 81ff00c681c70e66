import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { useTempDirs } from '../../test/helpers/temp-dir.js';
import { copyDirectoryHashed } from './copy-directory-hashed.js';
import { openInsideRoots } from './open-inside-roots.js';
import { isInside } from './root-guard.js';

const tempDir = useTempDirs();
let root: string;
let work: string;
let outside: string;
let insideWork: (realPath: string) => boolean;

beforeEach(() => {
  root = fs.realpathSync(tempDir());
  work = path.join(root, 'work');
  outside = path.join(root, 'outside');
  fs.mkdirSync(path.join(work, 'site', 'sub'), { recursive: true });
  fs.mkdirSync(path.join(outside, 'sub'), { recursive: true });
  fs.writeFileSync(path.join(work, 'site', 'sub', 'page.html'), 'inside');
  fs.writeFileSync(path.join(outside, 'sub', 'page.html'), 'outside secret');
  fs.writeFileSync(path.join(outside, 'outside-only.txt'), 'outside secret');
  insideWork = (realPath) => isInside(work, realPath);
});

function filesUnder(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    files[path.relative(dir, file)] = fs.readFileSync(file, 'utf8');
  }
  return files;
}

describe('copyDirectoryHashed', () => {
  // The walk goes through open handles, never by path again, so swapping a directory on the
  // way for a symlink to outside after it was opened changes nothing about what is copied.
  it('copies the directory it was given open, even once its path leads outside', async () => {
    const site = path.join(work, 'site');
    const opened = await openInsideRoots(site, insideWork);
    fs.renameSync(site, path.join(work, 'site.old'));
    fs.symlinkSync(outside, site);

    try {
      const copy = await copyDirectoryHashed(opened, path.join(root, 'copy'), insideWork);

      expect(copy.size).toBe('inside'.length);
    } finally {
      await opened.handle.close();
    }
    expect(filesUnder(path.join(root, 'copy'))).toEqual({ 'sub/page.html': 'inside' });
  });
});
