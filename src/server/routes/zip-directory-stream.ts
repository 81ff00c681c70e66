import { createReadStream, type ReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { ZipFile } from 'yazl';

interface TreeEntry {
  /** `/`-separated, relative to the root: the name inside the zip. */
  name: string;
  absolutePath: string;
  directory: boolean;
  size: number;
  mtime: Date;
  mode: number;
}

/**
 * A zip of a stored directory artifact, produced as the client reads it: only the listing is made
 * up front; each file is opened when its turn comes and closed if the client goes away. Entry
 * names are the paths relative to the directory, as in the artifact's sha256 manifest.
 */
export async function zipDirectoryStream(root: string): Promise<Readable> {
  const entries = await listTree(root);
  const zip = new ZipFile();
  // yazl types it as the NodeJS.ReadableStream interface; it is a PassThrough.
  const output = zip.outputStream as Readable;
  const open = new Set<ReadStream>();
  for (const entry of entries) {
    const options = { mtime: entry.mtime, mode: entry.mode };
    if (entry.directory) {
      zip.addEmptyDirectory(entry.name, options);
      continue;
    }
    zip.addReadStreamLazy(entry.name, { ...options, size: entry.size }, (callback) => {
      const file = createReadStream(entry.absolutePath);
      // yazl does not listen for errors on streams it is handed; unheard, one would crash the server.
      file.once('error', (error) => output.destroy(error));
      open.add(file);
      file.once('close', () => open.delete(file));
      callback(null, file);
    });
  }
  zip.end();
  // A file that vanished or shrank mid-way: fail the response rather than send a corrupt zip.
  zip.on('error', (error: Error) => output.destroy(error));
  output.once('close', () => {
    for (const file of open) file.destroy();
  });
  return output;
}

/** Files, and directories with nothing in them (others are implied by their files), sorted by name. */
async function listTree(root: string): Promise<TreeEntry[]> {
  const entries: TreeEntry[] = [];
  const walk = async (dir: string, prefix: string): Promise<void> => {
    const children = await readdir(dir, { withFileTypes: true });
    children.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (children.length === 0 && prefix !== '') {
      const info = await stat(dir);
      entries.push({
        name: prefix,
        absolutePath: dir,
        directory: true,
        size: 0,
        mtime: info.mtime,
        mode: info.mode,
      });
    }
    for (const child of children) {
      const absolutePath = path.join(dir, child.name);
      const name = prefix === '' ? child.name : `${prefix}/${child.name}`;
      // StepFlow's copies hold only files and directories; anything else was not made by it.
      if (child.isDirectory()) await walk(absolutePath, name);
      else if (child.isFile()) {
        const info = await stat(absolutePath);
        entries.push({
          name,
          absolutePath,
          directory: false,
          size: info.size,
          mtime: info.mtime,
          mode: info.mode,
        });
      }
    }
  };
  await walk(root, '');
  return entries;
}
