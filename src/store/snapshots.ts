import type { OpenExecution } from '../core/interruption.js';

/** An artifact row whose copy should be in the data dir (`status = 'stored'`). */
export interface StoredArtifactFile {
  executionId: string;
  artifactId: number;
  /** Relative to the data dir, `/`-separated (`artifacts/<executionId>/<artifactId>/<name>`). */
  storedPath: string;
  kind: 'file' | 'directory' | null;
  size: number | null;
  sha256: string | null;
}

/** What a database snapshot holds, as a backup's manifest tells it. */
export interface SnapshotContents {
  schemaVersion: number;
  counts: { executions: number; jobs: number; artifacts: number; projectVersions: number };
  artifacts: StoredArtifactFile[];
  /** The project versions it keeps (docs/WORKSPACE.md): their folders go into a backup with it. */
  projectVersions: { projectId: string; version: number }[];
}

/**
 * Backup and restore of a backend's database files (docs/OPERATIONS.md): an optional capability
 * of a backend whose database lives in the data dir (SQLite). Stateless: each call opens what it
 * needs, so a data dir can be restored without opening a store on it.
 */
export interface StoreSnapshots {
  /** The schema version this build writes (the length of its migration list). */
  readonly schemaVersion: number;
  /** Name of the database file inside a data dir, and of its member in a backup. */
  readonly databaseFile: string;
  /** Files beside the database that belong to it and go with it (WAL, shared memory, search index). */
  companionFiles(dataDir: string): string[];
  /**
   * Writes a consistent copy of the data dir's database as of the call to `file`, while others
   * keep writing. `onProgress` gets bytes written so far and the source's size (approximate).
   */
  snapshot(
    dataDir: string,
    file: string,
    onProgress?: (doneBytes: number, totalBytes: number) => void,
  ): Promise<void>;
  /** Reads a snapshot (or any database file of this backend) without changing it. */
  describe(file: string): Promise<SnapshotContents>;
  /**
   * The schema version of the database in `dataDir` as it is now, without opening it for writing
   * (undefined: no database there yet). Below {@link schemaVersion}: opening it will migrate it.
   */
  schemaVersionOf(dataDir: string): number | undefined;
  /** Opens the database of `dataDir` with the current migrations; refuses one newer than this build. */
  migrate(dataDir: string): Promise<{ fromVersion: number; toVersion: number }>;
  /** Whether a process has the database of `dataDir` open (a server, a run, a worker's spool). */
  isInUse(dataDir: string): boolean;
}

/** A break in one execution's log line numbers (`seq`): lines missing or stored twice. */
export interface LogSequenceBreak {
  executionId: string;
  kind: 'gap' | 'overlap';
  /** Last seq of the chunk before the break. */
  previousEnd: number;
  /** First seq of the chunk after it. */
  nextStart: number;
}

/** The reads and the safe fixes `stepflow verify` needs of an open store. SQLite has them. */
export interface StoreConsistency {
  storedArtifacts(): Promise<StoredArtifactFile[]>;
  /** Executions not ended (queued, running), as crash recovery reads them: their artifact folders may still fill. */
  openExecutions(): Promise<OpenExecution[]>;
  /** Gaps and overlaps between consecutive log chunks, except the gaps a log limit leaves on purpose. */
  logSequenceBreaks(limit: number): Promise<LogSequenceBreak[]>;
  /** Marks a stored artifact whose copy is gone as failed, with `reason`. */
  markArtifactMissing(executionId: string, artifactId: number, reason: string): Promise<void>;
}
