import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Writable } from 'node:stream';
import { resolveStoredArtifact } from '../../artifacts/stored-artifact-path.js';
import type { StoreSnapshots } from '../../store/snapshots.js';
import { ProjectFolders } from '../projects/project-folders.js';
import { MANIFEST_MEMBER, newManifest, type BackupManifest, type BackupMember } from './backup-manifest.js';
import { createTarWriter } from './tar-writer.js';

/** Where a backup is: copying the database, then archiving it and the artifacts. */
export interface BackupProgress {
  phase: 'database' | 'archive';
  doneBytes: number;
  totalBytes: number;
}

export interface TakeBackupOptions {
  /** Where the tar.gz goes (a file, an HTTP response). */
  output: Writable;
  /** A directory for the database snapshot while it is archived (removed after); default: the data dir. */
  tempDir?: string;
  onProgress?: (progress: BackupProgress) => void;
}

/**
 * A consistent online backup of a data dir (docs/OPERATIONS.md): a snapshot of the database as of
 * now, then the artifact copies and project version folders its rows name (so files of runs or
 * versions the snapshot does not know are left out, and nothing it knows is), then the manifest
 * with each member's size and SHA-256. Project versions are immutable once their row exists, so
 * copying them after the snapshot is as consistent as the artifacts are.
 */
export async function takeBackup(
  deps: { snapshots: StoreSnapshots; dataDir: string; version: string },
  { output, tempDir = deps.dataDir, onProgress = () => undefined }: TakeBackupOptions,
): Promise<BackupManifest> {
  const { snapshots, dataDir } = deps;
  const createdAt = new Date().toISOString();
  const snapshot = path.join(tempDir, `.stepflow-backup-${randomUUID()}.db`);
  try {
    await snapshots.snapshot(dataDir, snapshot, (doneBytes, totalBytes) =>
      onProgress({ phase: 'database', doneBytes, totalBytes }),
    );
    const contents = await snapshots.describe(snapshot);
    const files = listArtifactFiles(dataDir, contents.artifacts);
    const projects = listProjectFiles(dataDir, contents.projectVersions);
    const databaseBytes = fs.statSync(snapshot).size;
    const totalBytes =
      databaseBytes + [...files.present, ...projects.present].reduce((sum, file) => sum + file.size, 0);
    let doneBytes = 0;
    const counting = async function* (source: AsyncIterable<Buffer>): AsyncIterable<Buffer> {
      for await (const chunk of source) {
        doneBytes += chunk.length;
        onProgress({ phase: 'archive', doneBytes, totalBytes });
        yield chunk;
      }
    };

    const tar = createTarWriter(output, { mtime: new Date(createdAt) });
    const members: BackupMember[] = [];
    const add = async (name: string, file: string, size: number, executable = false): Promise<void> => {
      const sha256 = await tar.add(name, size, counting(fs.createReadStream(file)), { executable });
      members.push({ name, size, sha256, ...(executable ? { executable: true as const } : {}) });
    };
    await add(snapshots.databaseFile, snapshot, databaseBytes);
    for (const file of files.present) await add(file.name, file.absolute, file.size);
    for (const file of projects.present) await add(file.name, file.absolute, file.size, file.executable);
    const manifest = newManifest({
      stepflowVersion: deps.version,
      schemaVersion: contents.schemaVersion,
      createdAt,
      counts: contents.counts,
      members,
      missingArtifacts: files.missing,
      emptyFolders: projects.emptyFolders,
      missingProjectVersions: projects.missing,
    });
    const text = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
    await tar.add(MANIFEST_MEMBER, text.length, [text]);
    await tar.finish();
    return manifest;
  } finally {
    fs.rmSync(snapshot, { force: true });
  }
}

interface ArtifactFile {
  /** Member name: the path relative to the data dir, `/`-separated. */
  name: string;
  absolute: string;
  size: number;
  executable: boolean;
}

/** The files of the stored artifacts (a directory artifact's every file), and the copies not there. */
function listArtifactFiles(
  dataDir: string,
  artifacts: { storedPath: string }[],
): { present: ArtifactFile[]; missing: string[] } {
  const present: ArtifactFile[] = [];
  const missing: string[] = [];
  const visit = (name: string, absolute: string): void => {
    const info = fs.lstatSync(absolute);
    if (info.isFile()) present.push({ name, absolute, size: info.size, executable: false });
    else if (info.isDirectory()) {
      for (const child of fs.readdirSync(absolute).sort())
        visit(`${name}/${child}`, path.join(absolute, child));
    }
    // StepFlow stores regular files and directories only: anything else is not its copy.
  };
  for (const { storedPath } of artifacts) {
    const absolute = resolveStoredArtifact(dataDir, storedPath);
    if (!fs.existsSync(absolute)) {
      missing.push(storedPath);
      continue;
    }
    visit(storedPath, absolute);
  }
  return { present, missing };
}

/**
 * The files of the kept project versions, their empty folders (a file member would not bring
 * those back), and the versions whose folder is not there. Versions hold regular files and
 * folders only (uploads refuse links and devices); anything else is skipped as not StepFlow's.
 */
function listProjectFiles(
  dataDir: string,
  versions: { projectId: string; version: number }[],
): { present: ArtifactFile[]; emptyFolders: string[]; missing: string[] } {
  const folders = new ProjectFolders(dataDir);
  const present: ArtifactFile[] = [];
  const emptyFolders: string[] = [];
  const missing: string[] = [];
  const visit = (name: string, absolute: string): void => {
    const info = fs.lstatSync(absolute);
    if (info.isFile()) {
      present.push({ name, absolute, size: info.size, executable: (info.mode & 0o111) !== 0 });
    } else if (info.isDirectory()) {
      const children = fs.readdirSync(absolute).sort();
      if (children.length === 0) emptyFolders.push(name);
      for (const child of children) visit(`${name}/${child}`, path.join(absolute, child));
    }
  };
  for (const { projectId, version } of versions) {
    const name = `projects/${projectId}/versions/${version}`;
    const absolute = folders.version(projectId, version);
    if (!fs.existsSync(absolute)) missing.push(name);
    else visit(name, absolute);
  }
  return { present, emptyFolders, missing };
}
