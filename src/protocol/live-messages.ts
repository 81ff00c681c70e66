import type { ErrorCode } from '../core/errors.js';
import type { ExecutionFilter } from '../core/execution-filter.js';
import type { Annotation, Execution, ResourceSample, Step } from '../core/model.js';
import type { HostSample } from '../core/host.js';
import type { RunningLate } from '../core/jobs/job.js';
import type { ExecutionStatus, LogStream } from '../core/statuses.js';
import type { ArtifactJson, ExecutionDetailJson } from './execution-json.js';
import type { PipelineChange } from '../core/pipelines/pipeline-change.js';
import type { PipelineRunJson } from './pipeline-json.js';

/**
 * The live protocol of `GET /ws`: plain WebSocket, one JSON object per text frame, shared by the
 * server hub and the web UI (`import type` only).
 *
 * **Connecting.** Same port as the API. Host/Origin/token are checked like any API request; a
 * refused upgrade gets an HTTP 401/403 before any WebSocket exists. Browsers cannot set headers,
 * so they pass the key as a subprotocol: `new WebSocket(url, [LIVE_SUBPROTOCOL, 'bearer.<key>'])`;
 * the server answers with {@link LIVE_SUBPROTOCOL} and never echoes the key when that is offered.
 * The server pings every 15 s and drops a socket that missed a pong; browsers answer pings on
 * their own. `{"type":"ping"}` gets `{"type":"pong"}` for clients that want their own check.
 *
 * **Topics.** A client holds any number of subscriptions at once:
 * - `executions`: {@link ExecutionsMessage} when an execution appears (`created`), changes
 *   (`updated`: status, meta, error) or ends (`finished`), whichever process runs it. The first
 *   message after the ack lists the executions that are running (remote ones and other
 *   processes' included) or queued (`active`).
 * - `jobs`: {@link JobsMessage} when a job is created, edited, paused, resumed or deleted — from
 *   the dashboard, the CLI or the API alike — and when its scheduler acts: a fire started, was
 *   skipped, queued or missed, a retry was planned or started, a run is late or ended. It names
 *   the job; fetch it from REST. Runs of jobs are executions: they come on `executions`.
 * - `execution:<id>`: everything about one execution: {@link ExecutionMessage} (the full REST
 *   detail: after subscribing and on every status, meta or error change), {@link StepsMessage},
 *   {@link LinesMessage}, {@link AnnotationsMessage}, {@link ArtifactsMessage},
 *   {@link ResourcesMessage}, and {@link JobActivityMessage} when it runs for a job (late, retried).
 * - `host`: {@link HostMessage}, a new sample of this server's machine (every 2 s: the server
 *   samples only while someone watches this topic) or of a worker's (with its heartbeats). The
 *   history is in `GET /api/host`.
 *
 * **Runs of other processes.** An execution run by another process on the same store (a
 * `stepflow run` in a terminal on the server's data dir) is followed through the store while
 * someone watches it: the same messages with the same guarantees below, a little later — that
 * process commits about every 100 ms and the server looks every 100 ms. Resource samples are
 * not streamed for those (the final peaks are in the execution).
 * **Several topics in one message.** `{"type":"subscribe","topics":["executions","jobs","execution:<id>"]}`
 * subscribes to each as if sent one by one, in that order: each gets its own `subscribed` ack
 * (or `error` naming it — the others still go ahead). Acks may arrive in another order: the
 * `executions` and execution topics answer once their snapshot is read. `since` is refused with `topics`: it is
 * about one execution's log, so subscribe to that one alone. `unsubscribe` takes `topics` too.
 * The whole message is validated first: a bad topic anywhere subscribes to none.
 *
 * **Filtering `executions`.** `{"type":"subscribe","topic":"executions","filter":{"status":["running"],
 * "tag":["env=prod","team"],"jobId":"<job id>"}}` sends only the executions the filter matches,
 * with the meaning of `GET /api/executions`' query: `status` any of the list, every `tag` present
 * (`key=value`: that value; `key`: any value), the job's runs. The first `active` list is filtered
 * too. A change that takes an execution **out** of the filter (running → succeeded under
 * `status: ["running"]`, a meta change…) is still sent, once, with the execution's new state: a
 * client keeping a filtered list drops an entry whose state no longer matches; later changes of it
 * are not sent unless it matches again. Unknown filter keys, statuses not in the status list, an
 * empty list, a tag with an empty key or a filter on another topic are refused
 * (`validation_failed`, the message names the field, e.g. `filter.status`). Subscribing to
 * `executions` again replaces the filter (a new ack and `active` list follow).
 *
 * **Subscribing to an execution.** Send `{"type":"subscribe","topic":"execution:<id>","since":N}`.
 * The server answers {@link SubscribedMessage} (`lastSeq`: the highest line seq it knows), then
 * one {@link ExecutionMessage} with the full state, then every line with `seq > since` (history
 * from the store, then live) — each line exactly once and in seq order, whatever happened to an
 * earlier connection. Without `since`, only lines after `lastSeq` come. Subscribing again to a
 * topic restarts it from the new `since`.
 *
 * **Applying updates.** Entities are upserts by id: steps by `id`, artifacts by `id`, annotations
 * by `id`; {@link ExecutionMessage} replaces the whole state. A step summary's Markdown is never
 * sent: executions and steps carry `hasSummary`; fetch `GET /api/executions/<id>/summary` when it
 * turns true for the run or a step, and once more when the run ends. Within one batch the server sends
 * steps first (so lines can name them), then lines, annotations, artifacts, samples, and the
 * execution last (so a terminal status follows the last line). Updates queued before the full
 * state may arrive just after it; applying them in order ends in the right state.
 *
 * **Reconnecting.** Remember the highest `seq` seen per execution and subscribe again with
 * `since` = that seq: no gap, no duplicate.
 *
 * **Batching and backpressure.** Lines are batched per execution: one batch per ≤ 50 ms, cut
 * into frames of at most ~256 KiB. History is sent at the client's pace. A client that reads live
 * lines too slowly for its server-side allowance (default 4 MiB) gets {@link ResyncMessage}: the
 * server has dropped that subscription and the lines it had not sent; subscribe again with
 * `since: lastSeq` once caught up. A client that keeps falling behind (over 10 resyncs a minute)
 * or stops answering pings is disconnected.
 *
 * **Closing.** Server shutdown closes with 1001; a client message over 64 KiB closes with 1009.
 * When the credentials the connection was opened with stop working (signed out, session ended,
 * token revoked or expired, user disabled or removed) it closes with {@link LIVE_CLOSE_UNAUTHORIZED}:
 * at once on the server that saw the change, else at the next subscribe. Sign in again.
 *
 * **Errors.** A bad message (invalid JSON, unknown type, field or topic, bad `since` or `filter`,
 * unknown execution, too many subscriptions) gets {@link LiveErrorMessage}; the connection stays open.
 */

/** Subprotocol the server selects; offer it next to `bearer.<key>`. */
export const LIVE_SUBPROTOCOL = 'stepflow.v1';

/** Close code of a live connection whose credentials stopped working (an application code). */
export const LIVE_CLOSE_UNAUTHORIZED = 4401;

/** Path of the WebSocket endpoint. */
export const LIVE_PATH = '/ws';

/** The dashboard topic. */
export const EXECUTIONS_TOPIC = 'executions';

/** Job definitions: created, changed, deleted. */
export const JOBS_TOPIC = 'jobs';

/**
 * `executions`, `jobs`, `host` (machine samples), `execution:<id>` for one execution, or `pipeline:<runId>` for one pipeline
 * run: {@link PipelineRunMessage} after subscribing (the run as `GET /api/pipelines/runs/:id`
 * gives it), then a {@link PipelineMessage} per change — a node queued, started, succeeded, failed,
 * skipped, retrying or cancelled; a step of a node's execution started or finished; the run's
 * status and progress (done/total, ETA from past runs); a node running past its warning thresholds
 * or its p95. Changes of the run queued before the snapshot may arrive just before it. The nodes'
 * executions are ordinary executions: they come on `executions` and `execution:<id>` too.
 */
export type LiveTopic =
  | typeof EXECUTIONS_TOPIC
  | typeof JOBS_TOPIC
  | typeof HOST_TOPIC
  | `execution:${string}`
  | `pipeline:${string}`;

/** Host samples: this server's machine and live workers' (docs/DASHBOARD.md, "Host monitor"). */
export const HOST_TOPIC = 'host';

// ---- client → server ----

/**
 * Which executions the `executions` topic sends, as `GET /api/executions`' query: `status` (any
 * of), `tag` (`key=value` or `key`; all must match), `jobId`. Absent parts match everything.
 * @public
 */
export type ExecutionsFilter = ExecutionFilter;

/**
 * Subscribe to one topic (`topic`) or several at once (`topics`, 1–100 distinct names); exactly
 * one of the two. Each topic gets its own {@link SubscribedMessage}.
 * @public
 */
export type SubscribeMessage =
  | {
      type: 'subscribe';
      topic: LiveTopic;
      /** One execution topic only: send lines with `seq > since` (0 = the whole log). Absent: new lines only. */
      since?: number;
      /** The `executions` topic only. */
      filter?: ExecutionsFilter;
    }
  | {
      type: 'subscribe';
      topics: LiveTopic[];
      /** Applies to `executions` in `topics`, which must then be one of them. */
      filter?: ExecutionsFilter;
    };

/** One topic or several (`topics`), like {@link SubscribeMessage}. @public */
export type UnsubscribeMessage =
  { type: 'unsubscribe'; topic: LiveTopic } | { type: 'unsubscribe'; topics: LiveTopic[] };

/** @public */
export interface PingMessage {
  type: 'ping';
}

/**
 * Everything a client may send.
 * @public
 */
export type LiveClientMessage = SubscribeMessage | UnsubscribeMessage | PingMessage;

// ---- server → client ----

/** A log line on the wire: `flags` is left out when 0. */
export interface LiveLine {
  seq: number;
  /** Epoch milliseconds. */
  ts: number;
  stream: LogStream;
  stepId: number | null;
  text: string;
  /** Bitwise OR of `LineFlag` values; absent for plain output. */
  flags?: number;
}

/**
 * Consecutive lines of one execution, in seq order.
 * @public
 */
export interface LinesMessage {
  type: 'lines';
  executionId: string;
  lines: LiveLine[];
}

/**
 * The full state of an execution (the REST detail shape): after a subscribe and on status, meta or error changes.
 * @public
 */
export interface ExecutionMessage {
  type: 'execution';
  execution: ExecutionDetailJson;
}

/**
 * Steps that started or changed since the last batch (latest state of each).
 * @public
 */
export interface StepsMessage {
  type: 'steps';
  executionId: string;
  steps: Step[];
}

/** @public */
export interface AnnotationsMessage {
  type: 'annotations';
  executionId: string;
  annotations: Annotation[];
}

/** @public */
export interface ArtifactsMessage {
  type: 'artifacts';
  executionId: string;
  artifacts: ArtifactJson[];
}

/** @public */
export interface ResourcesMessage {
  type: 'resources';
  executionId: string;
  samples: ResourceSample[];
}

/**
 * `queued`: the execution was accepted and waits for a slot (`MAX_CONCURRENT_TASKS`). `created`:
 * it started running (an execution that never waited has no `queued` change). `active`: sent once
 * after subscribing, for every execution running or queued at that moment.
 * @public
 */
export type ExecutionChangeKind = 'active' | 'queued' | 'created' | 'updated' | 'finished';

export interface ExecutionChange {
  change: ExecutionChangeKind;
  execution: Execution;
}

/**
 * Changes of the `executions` topic, in order, batched.
 * @public
 */
export interface ExecutionsMessage {
  type: 'executions';
  changes: ExecutionChange[];
}

/**
 * What happened to a job, as on the event stream (`JobEvent` in src/core/events.ts): its
 * definition changed (`created`, `updated` — edited —, `paused`, `resumed`, `deleted`), or its
 * scheduler acted (`fire.*`, `retry.*`, `late.warning`, `job.run_finished`). Times are ISO 8601.
 */
export type JobChange =
  | { change: 'created' | 'updated' | 'paused' | 'resumed' | 'deleted'; jobId: string }
  | {
      change: 'fire.started';
      jobId: string;
      fireTime: string;
      executionId: string;
      manual: boolean;
      /** A pipeline job's fire: `executionId` is the pipeline run it started (/pipelines/runs/<id>). */
      pipelineRun?: true;
    }
  | { change: 'fire.skipped'; jobId: string; fireTime: string; reason: string }
  | { change: 'fire.queued'; jobId: string; fireTime: string }
  | { change: 'fire.missed'; jobId: string; fireTime: string; count: number }
  | {
      change: 'retry.planned';
      jobId: string;
      executionId: string;
      attempt: number;
      at: string;
      /** A pipeline job's retry: `executionId` is the failed pipeline run. */
      pipelineRun?: true;
    }
  | {
      change: 'retry.started';
      jobId: string;
      executionId: string;
      retryOfId: string;
      attempt: number;
      /** `lost`: the attempt it retries was lost and the job has `retryOnLost`; absent: a policy retry. */
      reason?: 'lost';
      /** A pipeline job's retry: both ids are pipeline runs. */
      pipelineRun?: true;
    }
  | { change: 'late.warning'; jobId: string; executionId: string; late: RunningLate }
  | {
      change: 'job.run_finished';
      jobId: string;
      executionId: string;
      status: ExecutionStatus;
      attempts: number;
      recovered: boolean;
      /** A pipeline job's run: `executionId` is its last pipeline run. */
      pipelineRun?: true;
    };

/**
 * A change of the `jobs` topic (sent at once: jobs change at human pace).
 * @public
 */
export interface JobsMessage {
  type: 'jobs';
  changes: JobChange[];
}

/**
 * On `execution:<id>`: something the job scheduler did about this execution — its fire started
 * it, a retry of it is planned or started it, it is running late, or its job's run ended with it.
 * @public
 */
export interface JobActivityMessage {
  type: 'job';
  executionId: string;
  change: JobChange;
}

/**
 * A new sample of one host (`GET /api/host` names the same ids): this server's machine, or a worker's.
 * @public
 */
export interface HostMessage {
  type: 'host';
  /** `server`, or `worker:<name>`. */
  id: string;
  kind: 'server' | 'worker';
  name: string;
  host: string;
  sample: HostSample;
}

/** @public */
export interface SubscribedMessage {
  type: 'subscribed';
  topic: LiveTopic;
  /** Highest line seq the server knows for the execution; `null` for `executions` and `jobs`. */
  lastSeq: number | null;
}

/** @public */
export interface UnsubscribedMessage {
  type: 'unsubscribed';
  topic: LiveTopic;
}

/**
 * The server dropped the subscription: subscribe again with `since: lastSeq` when ready.
 * @public
 */
export interface ResyncMessage {
  type: 'resync';
  topic: LiveTopic;
  /** Absent for the `executions` and `jobs` topics. */
  executionId?: string;
  /** Highest seq sent before the drop (every line up to it was sent); `null` for `executions` and `jobs`. */
  lastSeq: number | null;
}

/** @public */
export interface LiveErrorMessage {
  type: 'error';
  code: ErrorCode;
  message: string;
  /** The topic the failed request named, when it named one. */
  topic?: string; /** The field of the message that was refused (`since`, `topics`, `filter.status`…), when one was. */
  field?: string;
}

/** @public */
export interface PongMessage {
  type: 'pong';
}

/**
 * On `pipeline:<runId>`: the whole run, once after subscribing.
 * @public
 */
export interface PipelineRunMessage {
  type: 'pipeline-run';
  run: PipelineRunJson;
}

/**
 * On `pipeline:<runId>`: one change of the run (`PipelineChange` in core/pipelines/pipeline-change.ts).
 * @public
 */
export interface PipelineMessage {
  type: 'pipeline';
  pipelineRunId: string;
  change: PipelineChange;
}

export type LiveServerMessage =
  | PipelineRunMessage
  | PipelineMessage
  | LinesMessage
  | ExecutionMessage
  | StepsMessage
  | AnnotationsMessage
  | ArtifactsMessage
  | ResourcesMessage
  | ExecutionsMessage
  | JobsMessage
  | JobActivityMessage
  | SubscribedMessage
  | UnsubscribedMessage
  | ResyncMessage
  | LiveErrorMessage
  | PongMessage
  | HostMessage;

/**
 * Topic of one execution.
 * @public
 */
export function executionTopic(executionId: string): LiveTopic {
  return `execution:${executionId}`;
}
