import * as fs from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { useTempDirs } from '../../test/helpers/temp-dir.js';
import { PATH_CHANGED, openInsideRoots, openedHandlePath } from './open-inside-roots.js';
import type { OpenedEntry } from './open-inside-roots.js';
import { isInside } from './root-guard.js';

const tempDir = useTempDirs();
let work: string;
let outside: string;
let insideWork: (realPath: string) => boolean;

beforeEach(() => {
  const root = fs.realpathSync(tempDir());
  work = path.join(root, 'work');
  outside = path.join(root, 'outside');
  fs.mkdirSync(path.join(work, 'real'), { recursive: true });
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(work, 'real', 'passwd'), 'harmless\n');
  fs.writeFileSync(path.join(outside, 'passwd'), 'outside secret\n');
  insideWork = (realPath) => isInside(work, realPath);
});

/** What a script racing the collector does between its check and its open, done at once. */
function swapForLinkToOutside(dir: string): void {
  fs.renameSync(dir, `${dir}.old`);
  fs.symlinkSync(outside, dir);
}

function openFileCount(): number {
  return fs.readdirSync('/proc/self/fd').length;
}

async function using<T>(opened: OpenedEntry, use: (opened: OpenedEntry) => Promise<T>): Promise<T> {
  try {
    return await use(opened);
  } finally {
    await opened.handle.close();
  }
}

describe('openInsideRoots', () => {
  it('opens a file inside and reports where it lies and what it is', async () => {
    const file = path.join(work, 'real', 'passwd');

    const opened = await openInsideRoots(file, insideWork);

    await using(opened, async () => {
      expect(opened.realPath).toBe(file);
      expect(opened.info.isFile()).toBe(true);
      expect(await opened.handle.readFile('utf8')).toBe('harmless\n');
    });
  });

  it('refuses a path whose directory is a symlink to outside by the time it is opened', async () => {
    swapForLinkToOutside(path.join(work, 'real'));
    const before = openFileCount();

    await expect(openInsideRoots(path.join(work, 'real', 'passwd'), insideWork)).rejects.toMatchObject({
      code: 'artifact_rejected',
      message: PATH_CHANGED,
    });
    expect(PATH_CHANGED).toMatch(/^path changed while being collected: .*outside/);
    expect(openFileCount()).toBe(before);
  });

  it('refuses a symlink as the last component unless asked to follow it, and checks where it leads', async () => {
    fs.symlinkSync(path.join(outside, 'passwd'), path.join(work, 'link'));
    fs.symlinkSync(path.join(work, 'real', 'passwd'), path.join(work, 'inner-link'));

    await expect(openInsideRoots(path.join(work, 'inner-link'), insideWork)).rejects.toMatchObject({
      code: 'ELOOP',
    });
    await expect(
      openInsideRoots(path.join(work, 'link'), insideWork, { followLink: true }),
    ).rejects.toMatchObject({ message: PATH_CHANGED });
    const followed = await openInsideRoots(path.join(work, 'inner-link'), insideWork, { followLink: true });
    await using(followed, async () => expect(followed.realPath).toBe(path.join(work, 'real', 'passwd')));
  });

  it('reports the opened file by what /proc/self/fd says, not by the path it was asked for', async () => {
    fs.symlinkSync(outside, path.join(work, 'to-outside'));

    const opened = await openInsideRoots(path.join(work, 'to-outside', 'passwd'), () => true);

    await using(opened, async () => expect(opened.realPath).toBe(path.join(outside, 'passwd')));
  });

  it('keeps naming the opened directory after its path is swapped for a symlink to outside', async () => {
    const dir = path.join(work, 'real');
    const opened = await openInsideRoots(dir, insideWork);

    swapForLinkToOutside(dir);

    await using(opened, async () => {
      const throughHandle = openedHandlePath(opened.handle);
      expect(fs.readdirSync(throughHandle)).toEqual(['passwd']);
      expect(await readFile(path.join(throughHandle, 'passwd'), 'utf8')).toBe('harmless\n');
      expect(await readFile(path.join(dir, 'passwd'), 'utf8')).toBe('outside secret\n');
    });
  });
});
