import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import * as path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ZipFile } from 'yazl';

/**
 * Zips a stored directory artifact (a plain tree: the artifact copy follows no links) into `file`,
 * returning the zip's size and sha256. Remote runs upload directories this way, so the server keeps
 * and serves one file.
 */
export async function zipDirectory(
  directory: string,
  file: string,
): Promise<{ size: number; sha256: string }> {
  const zip = new ZipFile();
  const hash = createHash('sha256');
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  const written = pipeline(zip.outputStream, meter, createWriteStream(file));
  try {
    await addTree(zip, directory, '');
    zip.end();
  } catch (error) {
    // End the archive anyway so the pipeline settles, then report the walk's error.
    zip.end();
    await written.catch(() => undefined);
    throw error;
  }
  await written;
  return { size, sha256: hash.digest('hex') };
}

async function addTree(zip: ZipFile, directory: string, prefix: string): Promise<void> {
  const entries = await readdir(directory, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (entries.length === 0 && prefix !== '') zip.addEmptyDirectory(prefix);
  for (const entry of entries) {
    const source = path.join(directory, entry.name);
    const name = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) await addTree(zip, source, name);
    else if (entry.isFile()) zip.addFile(source, name);
  }
}
