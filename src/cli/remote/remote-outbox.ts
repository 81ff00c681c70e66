import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import {
  executionOf,
  type Artifact,
  type Execution,
  type LogLine,
  type ResourceSample,
} from '../../core/model.js';
import { isTerminalExecutionStatus } from '../../core/statuses.js';
import type { RemoteArtifactQuery, RemoteBatchBody, RemoteExecution } from '../../protocol/remote-schemas.js';
import type { ExecutionReads } from '../../app/executions.js';
import { zipDirectory } from './zip-directory.js';

const MAX_BATCH_LINES = 5000;
/** UTF-16 units of line text per batch (~1 MiB of JSON); one long line always fits. */
const MAX_BATCH_CHARS = 1 << 20;
const READ_PAGE = 500;
const MAX_BATCH_SAMPLES = 5000;
const SAMPLE_READ_INTERVAL_MS = 2000;

type StoredArtifact = Artifact & { storedPath: string };

/** What the server is owed right now. */
export interface OutboxRead {
  /** Undefined when there is nothing new to send. */
  batch: RemoteBatchBody | undefined;
  /** The batch carries the end: once acknowledged, the run is delivered. */
  final: boolean;
  /** The batch holds every line stored so far. */
  caughtUp: boolean;
  /** The next stored artifact to upload (after the batch). */
  upload: StoredArtifact | undefined;
  /** Call when the server took the batch; `lastSeq` is its reply. */
  acknowledge(lastSeq: number): void;
}

export interface Outbox {
  /** Lines acknowledged by the server. */
  readonly acked: number;
  /** Stored lines the server has not acknowledged, counted now. */
  backlog(): Promise<number>;
  /** The execution as the server should see it now (its end withheld). */
  snapshot(): Promise<RemoteExecution>;
  read(): Promise<OutboxRead>;
  /** The server holds the lines up to `lastSeq` (the create reply, or a 409's expectedSeq - 1). */
  resume(lastSeq: number): void;
  /** The server lost the execution: everything is owed again. */
  forget(): void;
  /** The server found a batch too large: send fewer lines. False when one line is already the least. */
  shrink(): boolean;
  /** The bytes and query for uploading `artifact`, or undefined when it cannot go up (see `refuse`). */
  prepareUpload(
    artifact: StoredArtifact,
    maxBytes: number,
  ): Promise<{ file: string; query: RemoteArtifactQuery } | undefined>;
  uploaded(artifactId: number): void;
  /** The artifact will be reported as failed, with this reason, instead of uploaded. */
  refuse(artifactId: number, reason: string): void;
}

/**
 * Tracks what of one run in the spool store the server has acknowledged, and reads the rest from
 * the store on demand: lines by seq, steps by content, the others by id. Nothing is kept in memory
 * but those marks, so an outage of any length costs disk, not RAM.
 */
export function createOutbox({
  store,
  executionId: id,
  spoolDir,
}: {
  store: Pick<ExecutionReads, 'getExecution' | 'getSummary' | 'readLog' | 'listResourceSamples'>;
  executionId: string;
  spoolDir: string;
}): Outbox {
  let acked = 0;
  let lineCount = 0;
  let maxBatchChars = MAX_BATCH_CHARS;
  let sentExecution: string | undefined;
  const sentSteps = new Map<number, string>();
  const sentAnnotations = new Set<number>();
  const deliveredArtifacts = new Set<number>();
  const refusedArtifacts = new Map<number, string>();
  const zips = new Map<number, { file: string; size: number; sha256: string }>();
  let ackedSampleTs = Number.NEGATIVE_INFINITY;
  let samplesReadAt = 0;

  const readDetail = async () => {
    const detail = await store.getExecution(id);
    if (!detail) throw new Error(`execution ${id} is missing from the spool ${spoolDir}`);
    return detail;
  };

  const readLines = async (): Promise<{ lines: LogLine[]; caughtUp: boolean }> => {
    const lines: LogLine[] = [];
    let chars = 0;
    let after = acked;
    let more = true;
    while (more && lines.length < MAX_BATCH_LINES && chars < maxBatchChars) {
      const page = await store.readLog(id, {
        after,
        limit: Math.min(READ_PAGE, MAX_BATCH_LINES - lines.length),
      });
      for (const line of page.lines) {
        if (chars >= maxBatchChars) break;
        lines.push(line);
        chars += line.text.length;
      }
      if (chars >= maxBatchChars) break;
      more = page.hasMore;
      after = page.nextAfter;
      if (page.lines.length === 0) break;
    }
    // Stopped on the size cap: whether more is stored is found out next round.
    return { lines, caughtUp: !more && chars < maxBatchChars };
  };

  const readSamples = async (all: boolean): Promise<{ samples: ResourceSample[]; caughtUp: boolean }> => {
    if (!all && Date.now() - samplesReadAt < SAMPLE_READ_INTERVAL_MS) return { samples: [], caughtUp: true };
    samplesReadAt = Date.now();
    const unsent = (await store.listResourceSamples(id)).filter((s) => s.ts > ackedSampleTs);
    return { samples: unsent.slice(0, MAX_BATCH_SAMPLES), caughtUp: unsent.length <= MAX_BATCH_SAMPLES };
  };

  return {
    get acked() {
      return acked;
    },
    async backlog() {
      // Read afresh: when the server was down from the start, nothing else has read the count.
      lineCount = (await readDetail()).lineCount;
      return Math.max(0, lineCount - acked);
    },

    snapshot: async () => {
      const execution = executionOf(await readDetail());
      lineCount = execution.lineCount;
      // The summary goes with the first batch.
      return remoteForm(openForm(execution), null);
    },

    async read() {
      // The snapshot is read before the lines: once it is terminal, every line is already stored.
      const {
        steps: allSteps,
        artifacts: allArtifacts,
        annotations: allAnnotations,
        ...snapshot
      } = await readDetail();
      const terminal = isTerminalExecutionStatus(snapshot.status);
      lineCount = snapshot.lineCount;
      const { lines, caughtUp } = await readLines();
      const steps = allSteps.filter((s) => sentSteps.get(s.id) !== JSON.stringify(s));
      const annotations = allAnnotations.filter((a) => !sentAnnotations.has(a.id));
      const failed = allArtifacts.filter(
        (a) => !deliveredArtifacts.has(a.id) && (a.status === 'failed' || refusedArtifacts.has(a.id)),
      );
      const uploads = allArtifacts.filter(
        (a): a is StoredArtifact =>
          a.status === 'stored' &&
          a.storedPath !== null &&
          !deliveredArtifacts.has(a.id) &&
          !refusedArtifacts.has(a.id),
      );
      const { samples, caughtUp: samplesCaughtUp } = await readSamples(terminal);
      // The texts are read only when there are some (after the detail: it never says more than they).
      const texts =
        snapshot.hasSummary || allSteps.some((s) => s.hasSummary) ? await store.getSummary(id) : undefined;
      const stepText = (stepId: number): string | null =>
        texts?.steps.find((s) => s.stepId === stepId)?.summary ?? null;

      // The end goes last, once nothing else is owed: the server shows the run finished only then.
      const final = terminal && caughtUp && uploads.length === 0 && samplesCaughtUp;
      const execution = remoteForm(final ? snapshot : openForm(snapshot), texts?.summary ?? null);
      // The run's summary only grows: its length stands for it (no 1 MiB key to compare).
      const executionKey = JSON.stringify({
        ...execution,
        lineCount: 0,
        summary: execution.summary?.length ?? null,
      });
      const batch: RemoteBatchBody = { lines };
      if (executionKey !== sentExecution) batch.execution = execution;
      if (steps.length > 0) {
        batch.steps = steps.map(({ hasSummary: _hasSummary, ...step }) => ({
          ...step,
          summary: stepText(step.id),
        }));
      }
      if (annotations.length > 0) batch.annotations = annotations;
      if (failed.length > 0) {
        batch.artifacts = failed.map((a) => ({
          id: a.id,
          stepId: a.stepId,
          path: a.path,
          description: a.description,
          status: 'failed' as const,
          error: refusedArtifacts.get(a.id) ?? a.error ?? 'failed',
          createdAt: a.createdAt,
        }));
      }
      if (samples.length > 0) batch.samples = samples;
      const empty = lines.length === 0 && Object.keys(batch).length === 1;

      return {
        batch: empty ? undefined : batch,
        final,
        caughtUp,
        upload: uploads[0],
        acknowledge(lastSeq) {
          acked = lastSeq;
          if (batch.execution) sentExecution = executionKey;
          for (const step of steps) sentSteps.set(step.id, JSON.stringify(step));
          for (const annotation of annotations) sentAnnotations.add(annotation.id);
          for (const artifact of failed) deliveredArtifacts.add(artifact.id);
          const lastSample = samples.at(-1);
          if (lastSample) ackedSampleTs = lastSample.ts;
        },
      };
    },

    resume(lastSeq) {
      acked = Math.max(0, lastSeq);
    },

    forget() {
      acked = 0;
      sentExecution = undefined;
      sentSteps.clear();
      sentAnnotations.clear();
      deliveredArtifacts.clear();
      ackedSampleTs = Number.NEGATIVE_INFINITY;
    },

    shrink() {
      if (maxBatchChars <= 1) return false;
      maxBatchChars = Math.max(1, Math.floor(maxBatchChars / 4));
      return true;
    },

    async prepareUpload(artifact, maxBytes) {
      let file = path.join(spoolDir, ...artifact.storedPath.split('/'));
      let { path: shownPath, size, sha256, mediaType } = artifact;
      if (artifact.kind === 'directory') {
        // The server keeps one file per artifact: a directory goes up (and is served) as a zip.
        let zip = zips.get(artifact.id);
        if (!zip) {
          const zipFile = path.join(spoolDir, 'uploads', `${artifact.id}.zip`);
          try {
            await mkdir(path.dirname(zipFile), { recursive: true });
            zip = { file: zipFile, ...(await zipDirectory(file, zipFile)) };
          } catch (error) {
            refusedArtifacts.set(artifact.id, `could not zip it for upload: ${(error as Error).message}`);
            return undefined;
          }
          zips.set(artifact.id, zip);
        }
        ({ file, size, sha256 } = zip);
        shownPath = `${artifact.path}.zip`;
        mediaType = 'application/zip';
      }
      if (size === null || sha256 === null) {
        refusedArtifacts.set(artifact.id, 'its size and checksum are unknown');
        return undefined;
      }
      if (size > maxBytes) {
        refusedArtifacts.set(
          artifact.id,
          `too large for the server (${size} bytes; its limit is ${maxBytes})`,
        );
        return undefined;
      }
      const query: RemoteArtifactQuery = {
        path: shownPath,
        description: artifact.description,
        ...(artifact.stepId === null ? {} : { stepId: artifact.stepId }),
        size,
        sha256,
        mediaType: mediaType ?? 'application/octet-stream',
        createdAt: artifact.createdAt,
      };
      return { file, query };
    },

    uploaded(artifactId) {
      deliveredArtifacts.add(artifactId);
    },

    refuse(artifactId, reason) {
      refusedArtifacts.set(artifactId, reason);
    },
  };
}

/**
 * The execution on the wire: its summary text (or null) in place of `hasSummary`. Without
 * `createdBy`: a server older than it refuses fields it does not know, and the server records who
 * created a run itself (docs/AUDIT.md).
 */
function remoteForm(
  { hasSummary: _hasSummary, createdBy: _createdBy, ...execution }: Execution,
  summary: string | null,
): RemoteExecution {
  return { ...execution, summary };
}

/** Until the end is delivered the server sees the run as running, whatever the spool says. */
function openForm(execution: Execution): Execution {
  if (!isTerminalExecutionStatus(execution.status)) return execution;
  return { ...execution, status: 'running', exitCode: null, signal: null, endedAt: null, durationMs: null };
}
