import { ERROR_CODES, StepflowError, notFound, validationError } from '../core/errors.js';
import type { ExecutionEvent } from '../core/events.js';
import type {
  Annotation,
  Artifact,
  Execution,
  ExecutionDetail,
  ExecutionJobLink,
  ExecutionRerunLink,
  LogLine,
  Step,
} from '../core/model.js';
import { executionOf } from '../core/model.js';
import { interruptedEnd, leaseExpiredError } from '../core/interruption.js';
import { executionEstimatedSeconds } from '../core/estimated-duration.js';
import { isTerminalExecutionStatus } from '../core/statuses.js';
import { MAX_OUTPUT_CHARS } from '../core/step-files/output-limits.js';
import { REMOTE_TAG } from '../core/remote-tag.js';
import type { RemoteBatchBody, RemoteExecution } from '../protocol/remote-schemas.js';
import type { EventBus } from '../engine/event-bus.js';
import type { StoreWriter } from '../engine/store-writer.js';
import type { ExecutionStore, WriteBatch } from '../store/store.js';

/** The wire shapes must stay assignable to the model; a drift fails the build here. */
type Assignable<T, _U extends T> = true;
type _Checks = [
  Assignable<
    Omit<
      Execution,
      | keyof ExecutionJobLink
      | keyof ExecutionRerunLink
      | 'estimatedDurationSeconds'
      | 'lateAfterSeconds'
      | 'hasSummary'
      | 'outputs'
      | 'limits'
      | 'limitHits'
      | 'runsOn'
      | 'worker'
      | 'waitingFor'
    >,
    RemoteExecution
  >,
  Assignable<LogLine, RemoteBatchBody['lines'][number]>,
  Assignable<Omit<Step, 'hasSummary'>, NonNullable<RemoteBatchBody['steps']>[number]>,
  Assignable<Annotation, NonNullable<RemoteBatchBody['annotations']>[number]>,
];

/**
 * Every call takes the `attempt` a worker's report carries (docs/WORKERS.md): a run a worker claimed
 * takes reports of its current attempt only, and none once it is `lost` (`stale_attempt`, 409).
 */
export interface RemoteRuns {
  create(execution: RemoteExecution, attempt?: number): Promise<{ created: boolean; lastSeq: number }>;
  /** `cancelRequested`: someone asked to cancel this run here; its client stops it (docs/REMOTE.md). */
  applyBatch(
    id: string,
    batch: RemoteBatchBody,
    attempt?: number,
  ): Promise<{ lastSeq: number; cancelRequested?: true }>;
  /** Checks that `id` is a remote execution (or a worker's run) the client may add to, and returns it. */
  remoteExecution(id: string, attempt?: number): Promise<ExecutionDetail>;
  recordArtifact(id: string, artifact: Artifact, attempt?: number): Promise<void>;
  /** Counts `id` as in contact until the returned function is called (an upload in progress). */
  hold(id: string): () => void;
  /**
   * Marks `interrupted` every running remote execution not heard from for `leaseMs` (no request in
   * progress, none finished since): its CLI died or lost the server. Returns their ids.
   */
  expireLeases(leaseMs: number): Promise<string[]>;
}

const LEASE_SCAN_PAGE = 500;

/**
 * Stores what a remote CLI reports and replays it on the bus, so WebSocket watchers and metrics
 * see remote runs like local ones. Each change is written with `store.write` first (a failed
 * write fails the request, so the client retries: nothing is acknowledged that is not stored),
 * then published, marked as stored so that the store writer, also a bus subscriber, does not
 * commit it again: one commit per report. The writer is flushed before that write, so a snapshot
 * of the run it still holds (a worker's claim) never lands over the newer one.
 */
export interface RemoteRunsDeps {
  store: ExecutionStore;
  bus: Pick<EventBus, 'publish'>;
  writer: Pick<StoreWriter, 'flush' | 'alreadyStored'>;
  now?: () => number;
}

export function createRemoteRuns({ store, bus, writer, now = Date.now }: RemoteRunsDeps): RemoteRuns {
  // Last contact per remote execution, and requests in progress. A server that just started has
  // heard from nobody yet: every lease runs from its start.
  const startedAt = now();
  const contacts = new Map<string, { last: number; active: number }>();
  const hold = (id: string): (() => void) => {
    const contact = contacts.get(id) ?? { last: now(), active: 0 };
    contact.active++;
    contact.last = now();
    contacts.set(id, contact);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      contact.active--;
      contact.last = now();
    };
  };
  // Requests of one execution run one at a time: a client's retry may overlap its first attempt.
  const queues = new Map<string, Promise<void>>();
  // Requests of the client count as contact; the lease sweep's own turn does not.
  const serialize = async <T>(id: string, task: () => Promise<T>, contact = true): Promise<T> => {
    const release = contact ? hold(id) : () => {};
    const previous = queues.get(id) ?? Promise.resolve();
    const run = previous.then(task);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    queues.set(id, tail);
    try {
      return await run;
    } finally {
      release();
      if (queues.get(id) === tail) queues.delete(id);
    }
  };

  const commit = async (batch: WriteBatch, events: ExecutionEvent[]): Promise<void> => {
    await writer.flush();
    await store.write(batch);
    writer.alreadyStored(events);
    for (const event of events) bus.publish(event);
  };

  const remoteExecution = async (id: string, attempt: number | undefined): Promise<ExecutionDetail> => {
    const stored = await store.getExecution(id);
    if (!stored) throw notFound('execution', id);
    if (stored.worker !== undefined) checkAttempt(stored, stored.worker, attempt);
    else if (!(REMOTE_TAG in stored.tags)) throw notRemote(id);
    else if (attempt !== undefined) throw staleAttempt(`execution ${id} was not claimed by a worker`);
    return stored;
  };

  return {
    remoteExecution,

    create: (input, attempt) =>
      serialize(input.id, async () => {
        const existing = await store.getExecution(input.id);
        if (existing) {
          // A worker's claimed run exists already: the worker's create only asks where to resume.
          await remoteExecution(input.id, attempt);
          return { created: false, lastSeq: existing.lineCount };
        }
        if (attempt !== undefined) throw notFound('execution', input.id);
        if (isTerminalExecutionStatus(input.status)) {
          throw validationError(
            'a remote execution is created queued or running; its end comes in the last batch',
          );
        }
        if (input.owner === null) {
          throw validationError(
            'a remote execution needs its owner (the reporting process): crash recovery asks about it',
          );
        }
        const execution = remoteRow(input, input.owner.host, 0, false);
        await commit({ executions: [execution], summaries: summariesOf(input.id, input, []) }, [
          { type: 'execution.started', executionId: execution.id, execution },
        ]);
        return { created: true, lastSeq: 0 };
      }),

    applyBatch: (id, batch, attempt) =>
      serialize(id, async () => {
        const stored = await remoteExecution(id, attempt);
        const lastStored = stored.lineCount;
        const fresh = freshLines(batch.lines, lastStored);
        const lastSeq = fresh.at(-1)?.seq ?? lastStored;
        const executionId = id;

        let execution: Execution | undefined;
        let sentExecution: RemoteExecution | undefined;
        if (batch.execution) {
          if (batch.execution.id !== id)
            throw validationError(`body.execution.id must be ${JSON.stringify(id)}`);
          // A delayed retry of an older batch must not reopen a finished run; a run whose lease
          // expired (`interrupted`) reopens: its client is alive after all.
          const stale =
            isTerminalExecutionStatus(stored.status) &&
            stored.status !== 'interrupted' &&
            !isTerminalExecutionStatus(batch.execution.status);
          if (!stale) {
            const owner = batch.execution.owner ?? stored.owner;
            sentExecution = batch.execution;
            execution = remoteRow(
              { ...batch.execution, owner },
              stored.tags[REMOTE_TAG] ?? '',
              lastSeq,
              stored.hasSummary,
            );
            if (stored.worker !== undefined) execution = workerRow(execution, stored);
          }
        }
        const storedSteps = new Map(stored.steps.map((s) => [s.id, s]));
        // Same for steps: an open snapshot never replaces a closed one; a resent one changes nothing.
        // The summary texts go to their own rows, never on the step the hub sends out.
        const sent = (batch.steps ?? []).map(({ summary, ...step }): [Step, string | null] => [
          { ...step, hasSummary: summary != null || (storedSteps.get(step.id)?.hasSummary ?? false) },
          summary ?? null,
        ]);
        const sentSummaries = sent.filter(([, summary]) => summary !== null) as [Step, string][];
        const steps = sent
          .map(([step]) => step)
          .filter((step) => {
            const before = storedSteps.get(step.id);
            return (
              !before || (!(before.endedAt !== null && step.endedAt === null) && !sameFields(before, step))
            );
          });
        const knownAnnotations = new Set(stored.annotations.map((a) => a.id));
        const annotations = (batch.annotations ?? []).filter((a) => !knownAnnotations.has(a.id));
        const storedArtifacts = new Set(
          stored.artifacts.filter((a) => a.status === 'stored').map((a) => a.id),
        );
        const artifacts: Artifact[] = (batch.artifacts ?? [])
          .filter((a) => !storedArtifacts.has(a.id))
          .map((a) => ({ ...a, kind: null, size: null, sha256: null, mediaType: null, storedPath: null }));
        const samples = batch.samples ?? [];

        const events: ExecutionEvent[] = [];
        const finished = execution !== undefined && isTerminalExecutionStatus(execution.status);
        if (execution && !finished) events.push({ type: 'execution.updated', executionId, execution });
        for (const step of steps) {
          if (!storedSteps.has(step.id)) events.push({ type: 'step.started', executionId, step });
          else if (step.endedAt === null) events.push({ type: 'step.updated', executionId, step });
        }
        if (fresh.length > 0) events.push({ type: 'log.lines', executionId, lines: fresh });
        for (const step of steps) {
          if (step.endedAt !== null) events.push({ type: 'step.finished', executionId, step });
        }
        for (const annotation of annotations)
          events.push({ type: 'annotation.added', executionId, annotation });
        for (const artifact of artifacts) events.push({ type: 'artifact.recorded', executionId, artifact });
        for (const sample of samples) events.push({ type: 'resource.sampled', executionId, sample });
        if (execution && finished) events.push({ type: 'execution.finished', executionId, execution });

        await commit(
          {
            executions: execution ? [execution] : [],
            steps: steps.map((step) => ({ executionId, step })),
            lines: fresh.length > 0 ? [{ executionId, lines: fresh }] : [],
            annotations: annotations.map((annotation) => ({ executionId, annotation })),
            artifacts: artifacts.map((artifact) => ({ executionId, artifact })),
            samples: samples.length > 0 ? [{ executionId, samples }] : [],
            // Written here, not published: the store is the texts' only reader.
            summaries: summariesOf(executionId, sentExecution, sentSummaries),
          },
          events,
        );
        // The answer is how a cancel requested here reaches a client on another host.
        const open = !isTerminalExecutionStatus((execution ?? stored).status);
        const owner = execution?.owner ?? stored.owner;
        if (open && owner !== null && (await store.cancelRequests(owner)).includes(id)) {
          return { lastSeq, cancelRequested: true };
        }
        return { lastSeq };
      }),

    hold,

    async expireLeases(leaseMs) {
      const expired: string[] = [];
      const silent = (id: string): boolean => {
        const contact = contacts.get(id);
        if (contact === undefined) return now() - startedAt > leaseMs;
        return contact.active === 0 && now() - contact.last > leaseMs;
      };
      let cursor: string | undefined;
      do {
        const page = await store.listExecutions({
          status: ['queued', 'running'],
          tags: [REMOTE_TAG],
          limit: LEASE_SCAN_PAGE,
          ...(cursor ? { cursor } : {}),
        });
        for (const { id } of page.items.filter((e) => silent(e.id))) {
          await serialize(
            id,
            async () => {
              const stored = await store.getExecution(id);
              // Checked again in the queue: a batch may have come in meanwhile.
              if (!stored || isTerminalExecutionStatus(stored.status) || !silent(id)) return;
              // It ended at its last sign of life (a request, or what it reported), not now.
              const signOfLife = await store.lastSignOfLife(id);
              const lastSeen = Math.max(
                contacts.get(id)?.last ?? -Infinity,
                signOfLife === null ? -Infinity : Date.parse(signOfLife),
              );
              const execution: Execution = {
                ...executionOf(stored),
                status: 'interrupted',
                ...interruptedEnd({
                  startedAt: stored.startedAt,
                  lastSignOfLifeMs: Number.isFinite(lastSeen) ? lastSeen : null,
                  nowMs: now(),
                }),
                error: leaseExpiredError(leaseMs),
              };
              await commit({ executions: [execution] }, [
                { type: 'execution.finished', executionId: id, execution },
              ]);
              expired.push(id);
            },
            false,
          );
        }
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      // Forget runs silent past the lease: finished ones, and those just expired. Without this the
      // map would keep an entry for every remote run since the server started.
      for (const [id, contact] of contacts) {
        if (contact.active === 0 && now() - contact.last > leaseMs) contacts.delete(id);
      }
      return expired;
    },

    recordArtifact: (id, artifact, attempt) =>
      serialize(id, async () => {
        await remoteExecution(id, attempt);
        await commit({ artifacts: [{ executionId: id, artifact }] }, [
          { type: 'artifact.recorded', executionId: id, artifact },
        ]);
      }),
  };
}

/** The row as stored: the server's tag is kept whatever the client sends, and it counts lines itself. */
function remoteRow(
  { summary, outputs = {}, ...input }: RemoteExecution,
  host: string,
  lineCount: number,
  hadSummary: boolean,
): Execution {
  // A remote run is never a job run nor a re-run, whatever the client says.
  const unlinked = {
    jobId: null,
    attempt: null,
    retryOfId: null,
    scheduledAt: null,
    rerunOf: null,
    resumeFrom: null,
  };
  // Each value is bounded by the schema; the whole as a local run's (masking may lengthen it).
  const chars = Object.entries(outputs).reduce((n, [name, value]) => n + name.length + value.length, 0);
  if (chars > 2 * MAX_OUTPUT_CHARS) {
    throw validationError(`body.execution.outputs must hold at most ${2 * MAX_OUTPUT_CHARS} characters`);
  }
  return {
    ...input,
    tags: { ...input.tags, [REMOTE_TAG]: host },
    lineCount,
    limits: input.limits ?? null,
    limitHits: input.limitHits ?? [],
    ...unlinked,
    // Derived here as the engine does, so an older client's snapshot gets it too.
    estimatedDurationSeconds: executionEstimatedSeconds(input.meta),
    lateAfterSeconds: input.lateAfterSeconds ?? null,
    // A client older than step summaries sends neither (nor one with nothing to say).
    hasSummary: summary != null || hadSummary,
    outputs,
  };
}

/** The summary texts a client sent: the run's (`stepId: null`) and its steps'. */
function summariesOf(
  executionId: string,
  execution: RemoteExecution | undefined,
  steps: readonly [Step, string][],
): NonNullable<WriteBatch['summaries']> {
  const summaries: NonNullable<WriteBatch['summaries']> = steps.map(([step, summary]) => ({
    executionId,
    stepId: step.id,
    summary,
  }));
  if (execution?.summary != null) summaries.push({ executionId, stepId: null, summary: execution.summary });
  return summaries;
}

/**
 * The lines past `lastStored`. They must be consecutive; one that would leave a gap is refused with
 * the seq to resend from, so the client can rewind.
 */
function freshLines(lines: readonly LogLine[], lastStored: number): LogLine[] {
  for (let i = 1; i < lines.length; i++) {
    if (lines[i]!.seq !== lines[i - 1]!.seq + 1) {
      throw validationError(`body.lines must have consecutive seqs; line ${i} has seq ${lines[i]!.seq}`);
    }
  }
  const first = lines[0];
  if (first === undefined) return [];
  const expectedSeq = lastStored + 1;
  if (first.seq > expectedSeq) {
    throw new StepflowError(
      ERROR_CODES.CONFLICT,
      `lines must continue the stored log: expected seq ${expectedSeq}, got ${first.seq}`,
      { details: { expectedSeq } },
    );
  }
  return lines.slice(expectedSeq - first.seq);
}

function sameFields(a: Step, b: Step): boolean {
  return (Object.keys(a) as (keyof Step)[]).every((key) => JSON.stringify(a[key]) === JSON.stringify(b[key]));
}

/**
 * A worker's run as the server keeps it: what was decided here at submission and claim (its
 * creation, tags, links to a job or a re-run, labels, claim) stays, whatever the worker's copy says.
 */
function workerRow(reported: Execution, stored: ExecutionDetail): Execution {
  // The claim made it `running` here. The worker's copy says `queued` until its own engine has
  // started it, and a report read in between must not move the run back: the heartbeat would then
  // find it no longer running under this worker and tell the worker to stop it.
  const regressed = reported.status === 'queued' && !isTerminalExecutionStatus(stored.status);
  return {
    ...reported,
    ...(regressed ? { status: stored.status } : {}),
    startedAt: reported.startedAt ?? stored.startedAt,
    createdAt: stored.createdAt,
    tags: stored.tags,
    jobId: stored.jobId,
    attempt: stored.attempt,
    retryOfId: stored.retryOfId,
    scheduledAt: stored.scheduledAt,
    rerunOf: stored.rerunOf,
    resumeFrom: stored.resumeFrom,
    lateAfterSeconds: stored.lateAfterSeconds,
    ...(stored.runsOn === undefined ? {} : { runsOn: stored.runsOn }),
    ...(stored.worker === undefined ? {} : { worker: stored.worker }),
    // The command asked for, even when the worker ran another to report that it could not start
    // this one (a project version it could not fetch: cli/worker/project-cache.ts).
    name: stored.name,
    command: stored.command,
    argv: stored.argv,
    // The project and version it runs in: the report's wire shape has no place for it.
    ...(stored.project === undefined ? {} : { project: stored.project }),
  };
}

/** Fencing: only the current attempt of a claimed run that is not `lost` may report. */
function checkAttempt(
  stored: ExecutionDetail,
  claim: NonNullable<ExecutionDetail['worker']>,
  attempt: number | undefined,
): void {
  if (stored.status === 'lost') {
    throw staleAttempt(
      `execution ${stored.id} is lost (worker ${claim.name} went silent past its lease); this report is refused`,
      { attempt: attempt ?? null, currentAttempt: claim.attempt, status: stored.status },
    );
  }
  if (attempt !== claim.attempt) {
    throw staleAttempt(
      attempt === undefined
        ? `execution ${stored.id} was claimed by worker ${claim.name}: its reports must carry the StepFlow-Attempt header`
        : `attempt ${attempt} of execution ${stored.id} is stale: it is at attempt ${claim.attempt} (worker ${claim.name})`,
      { attempt: attempt ?? null, currentAttempt: claim.attempt, status: stored.status },
    );
  }
}

const staleAttempt = (message: string, details?: unknown): StepflowError =>
  new StepflowError(ERROR_CODES.STALE_ATTEMPT, message, details === undefined ? {} : { details });

const notRemote = (id: string): StepflowError =>
  new StepflowError(
    ERROR_CODES.CONFLICT,
    `execution ${JSON.stringify(id)} was not created by a remote client; it cannot be written through /api/remote`,
  );
