import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { cp, lstat, mkdir, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';

/**
 * Where a project's files live (docs/WORKSPACE.md): `<dataDir>/projects/<id>/versions/<n>/`, one
 * immutable folder per version; `staging/` for a version being built (renamed into place only once
 * complete); `runs/` for the copy each run in the project works in (removed when it ends).
 */
export class ProjectFolders {
  readonly root: string;

  constructor(dataDir: string) {
    this.root = path.join(dataDir, 'projects');
  }

  project(id: string): string {
    return path.join(this.root, id);
  }

  version(id: string, version: number): string {
    return path.join(this.root, id, 'versions', String(version));
  }

  /** A fresh, empty folder on the same file system as the versions (so a rename moves it). */
  async staging(id: string): Promise<string> {
    const dir = path.join(this.root, id, 'staging', randomUUID());
    await mkdir(dir, { recursive: true });
    return dir;
  }

  /** A fresh copy of `from` (a version) for one run to work in. */
  async runCopy(id: string, from: string): Promise<string> {
    const dir = path.join(this.root, id, 'runs', randomUUID());
    await mkdir(path.dirname(dir), { recursive: true });
    await copyTree(from, dir);
    return dir;
  }

  /** Whether `cwd` is a run copy made here; the copy's folder when it is. */
  runCopyOf(cwd: string): string | null {
    const relative = path.relative(this.root, cwd);
    const parts = relative.split(path.sep);
    if (relative.startsWith('..') || path.isAbsolute(relative) || parts.length < 3 || parts[1] !== 'runs')
      return null;
    return path.join(this.root, parts[0]!, 'runs', parts[2]!);
  }

  async publish(staged: string, id: string, version: number): Promise<void> {
    const target = this.version(id, version);
    await mkdir(path.dirname(target), { recursive: true });
    await rename(staged, target);
  }

  async remove(dir: string): Promise<void> {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Copies a version's tree (copy-on-write where the file system can), keeping modification times. */
export async function copyTree(from: string, to: string): Promise<void> {
  await cp(from, to, { recursive: true, preserveTimestamps: true, errorOnExist: true, force: false });
}

/** One entry of a version's tree (the files API's `GET …/tree`). */
export interface TreeEntry {
  path: string;
  type: 'file' | 'directory';
  /** Bytes of a file; 0 for a folder. */
  size: number;
  modifiedAt: string;
}

/** Every file and folder under `root`, by path; links are never there (extraction makes none). */
export async function listTree(root: string): Promise<TreeEntry[]> {
  const entries: TreeEntry[] = [];
  const walk = async (relative: string): Promise<void> => {
    const names = (await readdir(path.join(root, relative))).sort();
    for (const name of names) {
      const child = relative === '' ? name : `${relative}/${name}`;
      const info = await lstat(path.join(root, child));
      const type = info.isDirectory() ? 'directory' : info.isFile() ? 'file' : null;
      // Something else (a run copy is never listed; a version holds only files and folders).
      if (type === null) continue;
      entries.push({
        path: child,
        type,
        size: type === 'file' ? info.size : 0,
        modifiedAt: info.mtime.toISOString(),
      });
      if (type === 'directory') await walk(child);
    }
  };
  await walk('');
  return entries;
}

/** Files and bytes of a tree (a version's record). */
export async function measureTree(root: string): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  for (const entry of await listTree(root)) {
    if (entry.type !== 'file') continue;
    files++;
    bytes += entry.size;
  }
  return { files, bytes };
}

/** A file's entity tag: its sha256, quoted (strong: the bytes, whatever the time). */
export async function fileEtag(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return `"${hash.digest('hex')}"`;
}
