import type { Application } from '../../app/application.js';
import type { ExecutionReads } from '../../app/executions.js';
import type { RemoteClient, RemoteFailure } from './remote-client.js';
import { createOutbox, type OutboxRead } from './remote-outbox.js';

export interface RemoteReporterOptions {
  /** The local spool store the run is recorded in: the reporter only reads it. */
  store: Pick<ExecutionReads, 'getExecution' | 'getSummary' | 'readLog' | 'listResourceSamples'>;
  executionId: string;
  /** The run's id on the server when it is not the spool's (a worker's claimed run); default the same. */
  remoteId?: string;
  client: RemoteClient;
  serverUrl: string;
  spoolDir: string;
  /** Tells the user one line (stderr). */
  say: (line: string) => void;
  /** Least time between two batches while the run prints (they carry what came meanwhile). */
  intervalMs?: number;
  maxBackoffMs?: number;
  /**
   * The spool's activity, for the leading edge: `subscribe` calls its listener with the id of an
   * execution that printed; after a quiet spell (no batch for `intervalMs`) the reporter then
   * commits the spool (`settle`) and sends at once instead of at its next poll.
   */
  activity?: {
    subscribe(listener: (executionId: string) => void): () => void;
    settle(): Promise<void>;
  };
  /** The server says someone asked to cancel the run (called once): stop it as Ctrl-C would. */
  onCancelRequested?: () => void;
}

export type DeliveryOutcome = { delivered: true } | { delivered: false; reason: string };

export interface RemoteReporter {
  /** Resolves once everything, the end included, is delivered; gives up after `waitMs`. */
  finish(waitMs: number): Promise<DeliveryOutcome>;
  /** Stops reporting now (an in-flight request is aborted); what is undelivered stays in the spool. */
  stop(reason: string): void;
  /** True once the server has acknowledged the run (it knows it, whatever else is still owed). */
  acknowledged(): boolean;
}

const PROGRESS_INTERVAL_MS = 10_000;

/** {@link RemoteReporterOptions.activity} of the spool's application: its runs' printed lines. */
export function spoolActivity(
  app: Pick<Application, 'events'> & { executions: Pick<Application['executions'], 'settle'> },
): NonNullable<RemoteReporterOptions['activity']> {
  return {
    subscribe: (listener) =>
      app.events.subscribe((event) => {
        if (event.type === 'log.lines') listener(event.executionId);
      }),
    settle: () => app.executions.settle(),
  };
}

type Next = 'now' | 'later' | 'backoff';

/**
 * Ships one run from the local spool store to the server (docs/REMOTE.md): a loop of one request at
 * a time, whatever the outbox says is owed, with backoff while the server is unreachable. It tells
 * the user once when an outage starts and once when the backlog is through; a refusal (bad token,
 * invalid data) ends the reporting, never the run.
 */
export function startRemoteReporter(options: RemoteReporterOptions): RemoteReporter {
  const { store, executionId: id, client, serverUrl, spoolDir, say } = options;
  const intervalMs = options.intervalMs ?? 200;
  const maxBackoffMs = options.maxBackoffMs ?? 5000;
  const outbox = createOutbox({ store, executionId: id, spoolDir });
  // A worker runs a claimed run under a spool id of its own: the server knows it by its id.
  const remoteId = options.remoteId ?? id;
  const onServer = <T extends { id: string }>(execution: T): T =>
    execution.id === remoteId ? execution : { ...execution, id: remoteId };

  let state: 'running' | 'delivered' | 'fatal' | 'stopped' = 'running';
  let endReason = '';
  let created = false;
  let acknowledged = false;
  let maxArtifactBytes = Number.POSITIVE_INFINITY;
  let failures = 0;
  let resets = 0;
  let outage: { reason: string; ackedBefore: number } | undefined;
  let cancelRequested = false;
  let recoveringFrom: number | undefined;
  const abort = new AbortController();
  let wake: (() => void) | undefined;
  // When the last batch went out; the first lines after a quiet spell go at once (leading edge).
  let lastSentAt = Number.NEGATIVE_INFINITY;
  let idle = false;
  let leadingEdge = false;
  const unsubscribe = options.activity?.subscribe((executionId) => {
    if (executionId !== id || !idle || leadingEdge || Date.now() - lastSentAt < intervalMs) return;
    leadingEdge = true;
    wake?.();
  });

  const succeeded = (): void => {
    failures = 0;
    if (outage) {
      recoveringFrom = outage.ackedBefore;
      outage = undefined;
    }
  };

  const failed = (failure: RemoteFailure): Next => {
    // An aborted request after stop() is no outage to report.
    if (state !== 'running') return 'later';
    if (failure.kind === 'rejected') {
      state = 'fatal';
      endReason = `${serverUrl} refused the run (${describe(failure)})`;
      const hint = failure.status === 401 || failure.status === 403 ? ' Check --token / STEPFLOW_TOKEN.' : '';
      say(
        `stepflow: server ${serverUrl} refused the run: ${describe(failure)}.${hint} No longer reporting; ` +
          `the script keeps running and is recorded in ${spoolDir}`,
      );
      return 'later';
    }
    failures++;
    const reason = describe(failure);
    if (!outage) {
      outage = { reason, ackedBefore: outbox.acked };
      say(`stepflow: server ${serverUrl} unreachable (${reason}); buffering in ${spoolDir}, retrying…`);
    } else {
      outage.reason = reason;
    }
    return 'backoff';
  };

  /** The server has no such execution (its data was reset?): the spool has it all, start over. */
  const lost = (failure: RemoteFailure): Next => {
    if (resets >= 3) return failed(failure);
    resets++;
    say(`stepflow: server ${serverUrl} no longer knows execution ${id}; sending it again from the start`);
    created = false;
    outbox.forget();
    return 'now';
  };

  const upload = async (artifact: NonNullable<OutboxRead['upload']>): Promise<Next> => {
    const prepared = await outbox.prepareUpload(artifact, maxArtifactBytes);
    if (!prepared) return 'now';
    const result = await client.uploadArtifact(
      remoteId,
      artifact.id,
      prepared.query,
      prepared.file,
      abort.signal,
    );
    if (result.ok) {
      succeeded();
      outbox.uploaded(artifact.id);
      return 'now';
    }
    const { failure } = result;
    if (failure.kind === 'rejected' && ![401, 403, 404].includes(failure.status ?? 0)) {
      // One artifact the server will not take must not cost the rest of the run.
      outbox.refuse(artifact.id, `the server refused the upload (${describe(failure)})`);
      say(`stepflow: artifact ${artifact.path} not uploaded: ${describe(failure)}`);
      return 'now';
    }
    return failure.status === 404 ? lost(failure) : failed(failure);
  };

  /** One batch (when anything is new), then at most one upload; says when to go again. */
  const round = async (): Promise<Next> => {
    if (!created) {
      const result = await client.create(onServer(await outbox.snapshot()), abort.signal);
      if (!result.ok) return failed(result.failure);
      succeeded();
      created = true;
      acknowledged = true;
      outbox.resume(result.value.lastSeq);
      maxArtifactBytes = result.value.maxArtifactBytes;
      return 'now';
    }
    if (leadingEdge) {
      leadingEdge = false;
      // What was printed is still in the spool writer's hands: commit it, then read it.
      await options.activity?.settle();
    }
    const pending = await outbox.read();
    if (pending.batch) {
      const { batch } = pending;
      lastSentAt = Date.now();
      const sent = batch.execution ? { ...batch, execution: onServer(batch.execution) } : batch;
      const result = await client.sendBatch(remoteId, sent, abort.signal);
      if (!result.ok) {
        const { failure } = result;
        const expectedSeq = (failure.details as { expectedSeq?: unknown } | undefined)?.expectedSeq;
        // Over the server's body limit (escaped control characters can grow a line six-fold).
        if (failure.status === 413 && outbox.shrink()) return 'now';
        if (failure.status === 409 && typeof expectedSeq === 'number') {
          // The server holds fewer lines than we thought (it lost some): resend from there.
          outbox.resume(expectedSeq - 1);
          return 'now';
        }
        return failure.status === 404 ? lost(failure) : failed(failure);
      }
      succeeded();
      pending.acknowledge(result.value.lastSeq);
      if (result.value.cancelRequested === true && !cancelRequested) {
        cancelRequested = true;
        options.onCancelRequested?.();
      }
      if (recoveringFrom !== undefined && pending.caughtUp) {
        say(`stepflow: server back; sent ${outbox.acked - recoveringFrom} buffered lines`);
        recoveringFrom = undefined;
      }
      if (pending.final) {
        state = 'delivered';
        return 'now';
      }
    }
    if (pending.upload) return upload(pending.upload);
    return pending.caughtUp ? 'later' : 'now';
  };

  const pause = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });

  const loop = (async () => {
    while (state === 'running') {
      let next: Next;
      try {
        next = await round();
      } catch (error) {
        if (state !== 'running') break;
        // Reading the spool failed: a local disk or store problem no retry fixes.
        state = 'fatal';
        endReason = `internal error: ${error instanceof Error ? error.message : String(error)}`;
        say(`stepflow: stopped reporting to ${serverUrl}: ${endReason}; the run is recorded in ${spoolDir}`);
        break;
      }
      if (state !== 'running') break;
      if (next === 'now') continue;
      idle = next === 'later';
      await pause(next === 'later' ? intervalMs : Math.min(maxBackoffMs, intervalMs * 2 ** failures));
      idle = false;
    }
    unsubscribe?.();
  })();

  const outcome = (): DeliveryOutcome =>
    state === 'delivered' ? { delivered: true } : { delivered: false, reason: endReason || 'stopped' };

  const stop = (reason: string): void => {
    if (state !== 'running') return;
    state = 'stopped';
    endReason = reason;
    abort.abort();
    wake?.();
  };

  return {
    stop,
    acknowledged: () => acknowledged,
    async finish(waitMs) {
      wake?.();
      const deadline = Date.now() + waitMs;
      let announced = false;
      while (state === 'running') {
        const left = deadline - Date.now();
        if (left <= 0) {
          stop(
            `gave up after ${Math.round(waitMs / 1000)} s: ${outage ? `${serverUrl} unreachable (${outage.reason})` : 'not all delivered'}`,
          );
          break;
        }
        if (outage) {
          const backlog = await outbox.backlog();
          say(
            announced
              ? `stepflow: still waiting for ${serverUrl} (${outage.reason}); ${backlog} lines buffered in ${spoolDir}`
              : `stepflow: the script ended; waiting up to ${Math.round(left / 1000)} s for ${serverUrl} to take ` +
                  `${backlog} buffered lines (Ctrl-C stops waiting; the run stays in ${spoolDir})`,
          );
          announced = true;
        }
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          loop,
          new Promise((resolve) => (timer = setTimeout(resolve, Math.min(left, PROGRESS_INTERVAL_MS)))),
        ]);
        clearTimeout(timer);
      }
      await loop;
      return outcome();
    },
  };
}

function describe(failure: RemoteFailure): string {
  if (failure.status === undefined) return failure.message;
  return `${failure.status}${failure.code ? ` ${failure.code}` : ''}: ${failure.message}`;
}
