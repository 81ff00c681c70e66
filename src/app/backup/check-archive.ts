import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { ERROR_CODES, StepflowError } from '../../core/errors.js';
import { MANIFEST_MEMBER, parseManifest, type BackupManifest } from './backup-manifest.js';
import { checkMembers } from './restore-backup.js';
import { readTarGz } from './tar-reader.js';

/**
 * Reads a finished archive back from disk and checks it as restore would, without writing anything:
 * every member's size and SHA-256 against the manifest, none missing, none extra. What a backup
 * job or `backup --to` keeps is then known to be readable, not only written.
 */
export async function checkArchive(file: string): Promise<BackupManifest> {
  const found = new Map<string, { size: number; sha256: string }>();
  let manifestText = '';
  try {
    await readTarGz(fs.createReadStream(file), (name) => {
      const hash = createHash('sha256');
      let size = 0;
      const chunks: Buffer[] = [];
      return {
        write(chunk) {
          hash.update(chunk);
          size += chunk.length;
          if (name === MANIFEST_MEMBER) chunks.push(chunk);
        },
        end() {
          found.set(name, { size, sha256: hash.digest('hex') });
          if (name === MANIFEST_MEMBER) manifestText = Buffer.concat(chunks).toString('utf8');
        },
      };
    });
  } catch (error) {
    throw new StepflowError(
      ERROR_CODES.BACKUP_INVALID,
      `${file} does not read back: ${(error as Error).message}`,
    );
  }
  if (!found.has(MANIFEST_MEMBER)) {
    throw new StepflowError(ERROR_CODES.BACKUP_INVALID, `${file} has no ${MANIFEST_MEMBER}`);
  }
  const manifest = parseManifest(manifestText);
  checkMembers(manifest, found);
  return manifest;
}
