import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copyFileHashed } from './copy-file-hashed.js';
import type { HashedCopy } from './copy-file-hashed.js';
import { openInsideRoots } from './open-inside-roots.js';

let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stepflow-copy-'));
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

async function copy(source: string, destination: string): Promise<HashedCopy> {
  const opened = await openInsideRoots(source, () => true);
  try {
    return await copyFileHashed(opened, destination);
  } finally {
    await opened.handle.close();
  }
}

describe('copyFileHashed', () => {
  it('returns the size and sha256 of the bytes it copied', async () => {
    fs.writeFileSync(path.join(dir, 'in.txt'), 'hello');

    const copied = await copy(path.join(dir, 'in.txt'), path.join(dir, 'out.txt'));

    expect(copied).toEqual({ size: 5, sha256: createHash('sha256').update('hello').digest('hex') });
    expect(fs.readFileSync(path.join(dir, 'out.txt'), 'utf8')).toBe('hello');
  });

  // The caller stats first, but a file can be swapped for a pipe in between: opening one for
  // reading must neither wait for a writer nor be copied.
  it('refuses a named pipe at once instead of waiting for a writer', async () => {
    execFileSync('mkfifo', [path.join(dir, 'pipe')]);

    await expect(copy(path.join(dir, 'pipe'), path.join(dir, 'out'))).rejects.toMatchObject({
      code: 'artifact_rejected',
      message: 'not a regular file or directory (it is a named pipe)',
    });
    expect(fs.existsSync(path.join(dir, 'out'))).toBe(false);
  }, 5_000);

  it('never overwrites an existing destination', async () => {
    fs.writeFileSync(path.join(dir, 'in.txt'), 'new');
    fs.writeFileSync(path.join(dir, 'out.txt'), 'old');

    await expect(copy(path.join(dir, 'in.txt'), path.join(dir, 'out.txt'))).rejects.toMatchObject({
      code: 'artifact_rejected',
      message: 'could not store the copy: destination already exists',
    });
    expect(fs.readFileSync(path.join(dir, 'out.txt'), 'utf8')).toBe('old');
  });
});
