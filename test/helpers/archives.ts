import fs from 'node:fs';
import path from 'node:path';
import * as tar from 'tar';
import yazl from 'yazl';

/** One ZIP entry: a file (bytes or text), a folder (`folder: true`), or with a raw Unix `mode`. */
export interface ZipEntry {
  name: string;
  content?: string | Buffer;
  mode?: number;
  folder?: boolean;
}

/** A ZIP of `entries` in memory (yazl), deflated. */
export async function makeZip(entries: ZipEntry[]): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const entry of entries) {
    if (entry.folder) zip.addEmptyDirectory(entry.name);
    else
      zip.addBuffer(Buffer.from(entry.content ?? ''), entry.name, {
        ...(entry.mode === undefined ? {} : { mode: entry.mode }),
      });
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Replaces every occurrence of `from` by `to` (the same length): yazl refuses to write names such
 * as `../x` or `/x`, so a test writes a harmless name and patches it in both of its headers.
 */
export function patchName(zip: Buffer, from: string, to: string): Buffer {
  if (from.length !== to.length) throw new Error('patchName: names of the same length only');
  const out = Buffer.from(zip);
  const needle = Buffer.from(from);
  for (let at = out.indexOf(needle); at >= 0; at = out.indexOf(needle, at + 1)) out.write(to, at);
  return out;
}

/** Sets the uncompressed size the central directory declares for every entry (a bomb that lies). */
export function lieAboutSizes(zip: Buffer, declared: number): Buffer {
  const out = Buffer.from(zip);
  const signature = Buffer.from([0x50, 0x4b, 0x01, 0x02]);
  for (let at = out.indexOf(signature); at >= 0; at = out.indexOf(signature, at + 1))
    out.writeUInt32LE(declared, at + 24);
  return out;
}

/** A tar.gz of `names` (relative to `cwd`, kept as given: `../x` included), written to `file`. */
export async function makeTarGz(cwd: string, names: string[], file: string): Promise<Buffer> {
  await tar.c({ gzip: true, file, cwd, preservePaths: true, portable: true }, names);
  return fs.readFileSync(file);
}

/** Every path under `root` (files, folders, links), relative. */
export function walk(root: string): string[] {
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root, { recursive: true, encoding: 'utf8' })
    .map((entry) => entry.split(path.sep).join('/'))
    .sort();
}
