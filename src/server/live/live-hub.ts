import type { IncomingMessage, Server } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import type { RawData, WebSocket } from 'ws';
import { ERROR_CODES, isStepflowError } from '../../core/errors.js';
import {
  isExecutionEvent,
  isPipelineEvent,
  type ExecutionEvent,
  type JobEvent,
  type StepflowEvent,
} from '../../core/events.js';
import type { PipelineRuns } from '../../app/pipelines/pipeline-runs.js';
import { PipelinesTopic } from './pipelines-topic.js';
import type { ExecutionFilter } from '../../core/execution-filter.js';
import type { Execution } from '../../core/model.js';
import type { Executions } from '../../app/executions.js';
import type { LiveInterest, LiveSource } from '../../app/live/live-source.js';
import { LIVE_CLOSE_UNAUTHORIZED, type LiveTopic } from '../../protocol/live-messages.js';
import { catchUp, runCatchUp, subscribeExecution, type CatchUpDeps } from './catch-up.js';
import { parseClientMessage, parseTopic, type ClientRequest } from './client-message.js';
import { ExecutionFeed } from './execution-feed.js';
import { ExecutionsTopic } from './executions-topic.js';
import { executionOfJobChange, jobChangeOf, JobsTopic } from './jobs-topic.js';
import type { HostMonitor } from '../../app/host-monitor.js';
import { HostTopic } from './host-topic.js';
import { toFrame } from './frames.js';
import { LiveClient, type LiveCounters } from './live-client.js';
import { closeSubscription, createSubscription, deliverBatch } from './subscription.js';
import { checkUpgrade, listenForUpgrades, type RequestGuard } from './upgrade-gate.js';

export interface LiveHubOptions {
  /** Protocol ping interval; a socket that has not answered the previous ping is dropped. */
  heartbeatMs: number;
  /**
   * Least time between two batches of one execution: a chatty script's lines go out in frames at
   * most this often, while the first lines after a quiet spell go out at once.
   */
  batchMs: number;
  /** Bytes a client may have waiting in server memory before it is told to resync. */
  maxClientBytes: number;
  /** More resyncs than this within a minute and the client is disconnected. */
  maxResyncsPerMinute: number;
  maxClients: number;
  maxSubscriptionsPerClient: number;
  /** Largest accepted client message. */
  maxMessageBytes: number;
}

const DEFAULT_LIVE_HUB_OPTIONS: LiveHubOptions = {
  heartbeatMs: 15_000,
  // At most 50 frames a second per execution and watcher. Batches used to wait this long from
  // their first line (a 20 ms timer gave a ~20 ms median print→client, 50 ms gave 41 ms); now a
  // batch waits only for the rest of the interval since the previous one (see flushBatches).
  batchMs: 20,
  maxClientBytes: 4 * 1024 * 1024,
  maxResyncsPerMinute: 10,
  maxClients: 2000,
  maxSubscriptionsPerClient: 1000,
  maxMessageBytes: 64 * 1024,
};

export interface LiveHubDeps {
  server: Server;
  /** The events: this process's from its bus, other processes' runs followed through the store. */
  source: LiveSource;
  executions: Pick<Executions, 'reads' | 'settle' | 'active'>;
  guard: RequestGuard;
  log: FastifyBaseLogger;
  /**
   * Called whenever a credential stops working in this process (app `users.onAccessEnded`): every
   * socket's credentials are checked again, and those no longer good are closed at once.
   */
  onAccessEnded?: (listener: () => void) => () => void;
  /** The `pipeline:<runId>` topics' snapshots. */
  pipelines?: Pick<PipelineRuns, 'get'>;
  /** Host samples for the `host` topic; watched only while a client subscribes to it. */
  host?: Pick<HostMonitor, 'watch'>;
}

interface LiveHubStats extends LiveCounters {
  clients: number;
  subscriptions: number;
  /** Per client: bytes waiting in server memory (ws buffer + held lines). */
  clientPendingBytes: number[];
  maxClientBytes: number;
}

export interface LiveHub {
  clientCount(): number;
  stats(): LiveHubStats;
  /**
   * Cuts every connected socket without a closing handshake, as a network failure would; returns
   * how many. Clients reconnect and resume with `since` (tests prove that with it).
   */
  disconnectAll(): number;
  /** Stops accepting, says goodbye to every client (then cuts the slow ones) and detaches. */
  close(): Promise<void>;
}

const CLOSE_GRACE_MS = 1000;
const COALESCE_MS = 2;

const hubs = new WeakMap<Server, LiveHub>();

/** The hub attached to an HTTP server (for tests and metrics that only hold the app). */
export function liveHubOf(server: Server): LiveHub | undefined {
  return hubs.get(server);
}

/**
 * The WebSocket side of the server: `/ws` on the same port, one more subscriber of the event bus.
 * Events are folded into per-execution feeds and sent in batches (see `execution-feed.ts`);
 * history comes from the store (see `catch-up.ts`). Protocol: `src/protocol/live-messages.ts`.
 */
export function createLiveHub(deps: LiveHubDeps, overrides: Partial<LiveHubOptions> = {}): LiveHub {
  const options: LiveHubOptions = { ...DEFAULT_LIVE_HUB_OPTIONS, ...overrides };
  const { server, log } = deps;
  const counters: LiveCounters = { framesSent: 0, bytesSent: 0, resyncs: 0, dropped: 0 };
  const clients = new Set<LiveClient>();
  const feeds = new Map<string, ExecutionFeed>();
  const dirty = new Set<ExecutionFeed>();
  const executions = new ExecutionsTopic(Date.now);
  const jobs = new JobsTopic(Date.now);
  const pipelines =
    deps.pipelines === undefined
      ? undefined
      : new PipelinesTopic(deps.pipelines, Date.now, (error) =>
          log.error({ err: error }, 'live: could not read a pipeline run'),
        );
  const hostTopic = new HostTopic(deps.host, Date.now);
  /** What the source follows for each watched execution, and for each client on `executions`. */
  const followed = new Map<ExecutionFeed, LiveInterest>();
  const watchingList = new Map<LiveClient, LiveInterest>();
  let executionsDirty = false;
  let batchTimer: NodeJS.Timeout | undefined;
  let closing: Promise<void> | undefined;

  const internalError = (error: unknown): void => log.error({ err: error }, 'live: subscription failed');
  const release = (feed: ExecutionFeed): void => {
    const watched = feed.subscriptions.size > 0;
    if (!watched) {
      followed.get(feed)?.release();
      followed.delete(feed);
    }
    if (!watched && !deps.source.isLocal(feed.executionId)) {
      // Another process's run, no longer followed: its state would go stale here, and whoever
      // watches it next starts from the store. Forget it, with what nobody will receive.
      dirty.delete(feed);
      if (feeds.get(feed.executionId) === feed) feeds.delete(feed.executionId);
    } else if (feed.isIdle() && !dirty.has(feed)) feeds.delete(feed.executionId);
  };
  const catchUpDeps: CatchUpDeps = {
    store: deps.executions.reads,
    flushWriter: () => deps.executions.settle(),
    maxFrameBytes: Math.min(256 * 1024, Math.max(16 * 1024, Math.floor(options.maxClientBytes / 4))),
    maxClientBytes: options.maxClientBytes,
    startCatchUp: (sub) => runCatchUp(catchUp(sub, catchUpDeps), sub, catchUpDeps, internalError),
    released: release,
    now: Date.now,
  };

  const flushBatches = (): void => {
    batchTimer = undefined;
    const now = performance.now();
    let nextDue = Number.POSITIVE_INFINITY;
    for (const feed of dirty) {
      const due = feed.lastBatchAt + options.batchMs;
      if (due > now) {
        // Sent a batch moments ago: this one waits for the interval, gathering what comes.
        nextDue = Math.min(nextDue, due);
        continue;
      }
      dirty.delete(feed);
      feed.lastBatchAt = now;
      try {
        const batch = feed.takeBatch(catchUpDeps.maxFrameBytes);
        if (batch) for (const sub of [...feed.subscriptions]) deliverBatch(sub, batch, catchUpDeps);
      } catch (error) {
        // A bug of ours in one feed must not stop the others (nor, from a timer, the process).
        log.error({ err: error, executionId: feed.executionId }, 'live: could not send a batch');
      }
      release(feed);
    }
    if (executionsDirty) {
      executionsDirty = false;
      executions.flush();
    }
    if (nextDue !== Number.POSITIVE_INFINITY) arm(nextDue - now);
  };
  let batchTimerDue = 0;
  const arm = (delayMs: number): void => {
    const due = performance.now() + delayMs;
    if (batchTimer !== undefined && batchTimerDue <= due) return;
    if (batchTimer !== undefined) clearTimeout(batchTimer);
    batchTimerDue = due;
    batchTimer = setTimeout(flushBatches, Math.max(0, delayMs));
  };
  // Events of one loop turn (stdout and stderr read together, several executions' reads) share
  // the next batch: it runs after this short wait, unless a feed's own interval says later.
  const schedule = (): void => arm(COALESCE_MS);

  /** Job events go out at once: to the `jobs` topic, and to the watchers of the run they concern. */
  const onJobEvent = (event: JobEvent): void => {
    const change = jobChangeOf(event);
    jobs.publish(change);
    const executionId = executionOfJobChange(change);
    const feed = executionId === undefined ? undefined : feeds.get(executionId);
    if (feed === undefined || executionId === undefined) return;
    const frame = toFrame({ type: 'job', executionId, change });
    for (const sub of feed.subscriptions) sub.client.sendFrame(frame);
  };

  const onEvent = (event: StepflowEvent): void => {
    if (isPipelineEvent(event)) pipelines?.publish(event);
    else if (isExecutionEvent(event)) onExecutionEvent(event);
    else onJobEvent(event);
  };

  const onExecutionEvent = (event: ExecutionEvent): void => {
    let feed = feeds.get(event.executionId);
    // A finished execution nobody watches needs no feed (e.g. one cancelled while queued).
    if (feed === undefined && event.type !== 'execution.finished') {
      feed = new ExecutionFeed(event.executionId);
      feeds.set(event.executionId, feed);
    }
    if (feed?.handle(event)) {
      dirty.add(feed);
      schedule();
    } else if (feed) release(feed);
    if (executions.handle(event)) {
      executionsDirty = true;
      schedule();
    }
  };
  const unsubscribeSource = deps.source.subscribe(onEvent);

  const activeExecutions = (): Execution[] => {
    // The source knows other processes' runs; the feeds the latest state of watched and remote
    // ones; the engine its own queue. Later entries win.
    const active = new Map(deps.source.activeElsewhere().map((execution) => [execution.id, execution]));
    for (const feed of feeds.values()) {
      const execution = feed.running();
      if (execution) active.set(execution.id, execution);
    }
    for (const execution of deps.executions.active()) active.set(execution.id, execution);
    return [...active.values()];
  };
  const unwatchList = (client: LiveClient): void => {
    executions.unsubscribe(client);
    watchingList.get(client)?.release();
    watchingList.delete(client);
  };

  const unsubscribeTopic = (client: LiveClient, name: LiveTopic): void => {
    const topic = parseTopic(name);
    if (topic.kind === 'executions') unwatchList(client);
    else if (topic.kind === 'jobs') jobs.unsubscribe(client);
    else if (topic.kind === 'pipeline') pipelines?.unsubscribe(client, topic.runId);
    else if (topic.kind === 'host') hostTopic.unsubscribe(client);
    else {
      const sub = client.subscriptions.get(name);
      if (sub) closeSubscription(sub, catchUpDeps);
    }
    client.sendControl({ type: 'unsubscribed', topic: name });
  };

  const watchList = (client: LiveClient, filter: ExecutionFilter | undefined): void => {
    let watch = watchingList.get(client);
    if (watch === undefined) watchingList.set(client, (watch = deps.source.watchExecutions()));
    const current = watch;
    // Other processes' runs are known once the source has read them; from then on their changes
    // come as events, so the list and the changes join up.
    void current.ready.then(() => {
      if (watchingList.get(client) === current && client.open) {
        executions.subscribe(client, activeExecutions(), filter);
      }
    });
  };

  const subscribeTopic = (
    client: LiveClient,
    name: LiveTopic,
    since: number | undefined,
    filter: ExecutionFilter | undefined,
  ): void => {
    const topic = parseTopic(name);
    if (topic.kind === 'executions') return watchList(client, filter);
    if (topic.kind === 'jobs') return jobs.subscribe(client);
    if (topic.kind === 'pipeline') {
      if (pipelines !== undefined) return pipelines.subscribe(client, topic.runId);
      return client.sendControl({
        type: 'error',
        code: ERROR_CODES.NOT_FOUND,
        message: 'this server has no pipeline runs',
        topic: name,
      });
    }
    if (topic.kind === 'host') return hostTopic.subscribe(client);
    const previous = client.subscriptions.get(name);
    if (previous) closeSubscription(previous, catchUpDeps);
    if (client.subscriptions.size >= options.maxSubscriptionsPerClient) {
      return client.sendControl({
        type: 'error',
        code: ERROR_CODES.CONFLICT,
        message: `at most ${options.maxSubscriptionsPerClient} subscriptions per connection`,
        topic: name,
      });
    }
    let feed = feeds.get(topic.executionId);
    if (feed === undefined) feeds.set(topic.executionId, (feed = new ExecutionFeed(topic.executionId)));
    let follow = followed.get(feed);
    if (follow === undefined) followed.set(feed, (follow = deps.source.follow(topic.executionId)));
    const sub = createSubscription(client, feed, name, since ?? 0);
    // Registered synchronously, before the writer flush inside: that ordering is the no-gap proof.
    // For another process's run the snapshot is read once the source has its starting point.
    const subscribed = follow.ready.then(() =>
      sub.state === 'catching-up' ? subscribeExecution(sub, since, catchUpDeps) : undefined,
    );
    runCatchUp(subscribed, sub, catchUpDeps, internalError);
  };

  /** Several topics are handled one by one, in order, as if each had its own message. */
  const handleMessage = (client: LiveClient, request: ClientRequest): void => {
    if (request.type === 'ping') return client.sendControl({ type: 'pong' });
    for (const name of request.topics) {
      if (request.type === 'unsubscribe') unsubscribeTopic(client, name);
      else subscribeTopic(client, name, request.since, request.filter);
    }
  };

  /**
   * Whether `client`'s credentials still work; closes it (4401) when they do not. A store that
   * cannot answer says nothing either way: `unknown`, and the socket stays until the next check.
   */
  const recheck = async (client: LiveClient): Promise<'yes' | 'no' | 'unknown'> => {
    try {
      if (await client.stillAllowed()) return 'yes';
    } catch (error) {
      log.error({ err: error }, 'live: could not check the credentials of a connection');
      return 'unknown';
    }
    if (client.open) client.ws.close(LIVE_CLOSE_UNAUTHORIZED, 'credentials no longer valid: sign in again');
    return 'no';
  };
  const unsubscribeAccess = deps.onAccessEnded?.(() => {
    for (const client of clients) void recheck(client);
  });

  /**
   * A subscribe is let through only while the socket's credentials still work (a sign-out or a
   * revoked token elsewhere is seen here at the latest). Messages keep their order: while a check
   * is pending, later ones wait behind it.
   */
  const onMessage = (client: LiveClient, data: RawData, isBinary: boolean): void => {
    client.alive = true;
    let request: ClientRequest | undefined;
    let invalid: unknown;
    try {
      if (!isBinary) request = parseClientMessage(rawToString(data));
    } catch (error) {
      invalid = error;
    }
    const handle = (): void => handleParsed(client, isBinary, request, invalid);
    if (request?.type !== 'subscribe' && client.waiting === 0) return handle();
    client.waiting++;
    client.inbox = client.inbox
      .then(async () => {
        if (request?.type === 'subscribe') {
          const verdict = await recheck(client);
          if (verdict === 'unknown') {
            for (const topic of request.topics) {
              client.sendControl({
                type: 'error',
                code: ERROR_CODES.STORE_UNAVAILABLE,
                message: 'could not check credentials: subscribe again',
                topic,
              });
            }
            return;
          }
          if (verdict === 'no') return;
        }
        // Closed meanwhile: its subscriptions were released; a new one would never be.
        if (client.open) handle();
      })
      .finally(() => client.waiting--);
  };

  const handleParsed = (
    client: LiveClient,
    isBinary: boolean,
    request: ClientRequest | undefined,
    invalid: unknown,
  ): void => {
    if (isBinary) {
      return client.sendControl({
        type: 'error',
        code: ERROR_CODES.VALIDATION,
        message: 'binary messages are not supported: send JSON text',
      });
    }
    try {
      if (invalid !== undefined) throw invalid;
      if (request !== undefined) handleMessage(client, request);
    } catch (error) {
      // A bad message is the client's mistake: answer it and keep the connection. Anything else is
      // a bug of ours: log it and still answer, since throwing here would take the process down.
      if (!isStepflowError(error)) {
        log.error({ err: error }, 'live: could not handle a client message');
        return client.sendControl({ type: 'error', code: ERROR_CODES.INTERNAL, message: 'internal error' });
      }
      const { topic, field } = (error.details ?? {}) as { topic?: string; field?: string };
      client.sendControl({
        type: 'error',
        code: error.code,
        message: error.message,
        ...(topic === undefined ? {} : { topic }),
        ...(field === undefined ? {} : { field }),
      });
    }
  };

  const onConnection = (ws: WebSocket, request: IncomingMessage): void => {
    const client = new LiveClient(
      ws,
      options,
      counters,
      async () => (await checkUpgrade(request, deps.guard)).ok,
    );
    clients.add(client);
    ws.on('message', (data, isBinary) => onMessage(client, data, isBinary));
    ws.on('pong', () => (client.alive = true));
    // Socket errors (resets, bad frames) end in 'close' too; record them at debug level only.
    ws.on('error', (error) => log.debug({ err: error }, 'live: socket error'));
    ws.on('close', () => {
      clients.delete(client);
      unwatchList(client);
      jobs.unsubscribe(client);
      pipelines?.drop(client);
      hostTopic.unsubscribe(client);
      for (const sub of [...client.subscriptions.values()]) closeSubscription(sub, catchUpDeps);
    });
  };

  const upgrades = listenForUpgrades({
    server,
    guard: deps.guard,
    log,
    maxMessageBytes: options.maxMessageBytes,
    refusal: () =>
      closing
        ? 'server is shutting down'
        : clients.size >= options.maxClients
          ? 'too many live connections'
          : undefined,
    onConnection,
  });

  const heartbeat = setInterval(() => {
    for (const client of clients) {
      if (!client.open) continue; // closing: 'close' cleans it up, and ping() would throw
      if (!client.alive) {
        client.drop();
        continue;
      }
      client.alive = false;
      client.ws.ping();
    }
  }, options.heartbeatMs);
  heartbeat.unref();

  const hub: LiveHub = {
    clientCount: () => clients.size,
    stats: () => ({
      ...counters,
      clients: clients.size,
      subscriptions: [...clients].reduce(
        (n, client) =>
          n +
          client.subscriptions.size +
          (client.watchingExecutions ? 1 : 0) +
          (jobs.subscribers.has(client) ? 1 : 0) +
          (pipelines?.count(client) ?? 0) +
          (hostTopic.subscribers.has(client) ? 1 : 0),
        0,
      ),
      clientPendingBytes: [...clients].map((client) => client.pendingBytes()),
      maxClientBytes: options.maxClientBytes,
    }),
    disconnectAll: () => {
      const cut = [...clients];
      for (const client of cut) client.drop();
      return cut.length;
    },
    close: () =>
      (closing ??= (async () => {
        upgrades.stopAccepting();
        unsubscribeSource();
        unsubscribeAccess?.();
        hostTopic.close();
        for (const interest of [...followed.values(), ...watchingList.values()]) interest.release();
        followed.clear();
        watchingList.clear();
        clearInterval(heartbeat);
        if (batchTimer) clearTimeout(batchTimer);
        const closed = [...clients].map(
          (client) => new Promise<void>((resolve) => client.ws.once('close', () => resolve())),
        );
        for (const client of clients) client.ws.close(1001, 'server shutting down');
        const grace = setTimeout(() => {
          for (const client of clients) client.drop();
        }, CLOSE_GRACE_MS);
        await Promise.all(closed);
        clearTimeout(grace);
      })()),
  };
  hubs.set(server, hub);
  return hub;
}

function rawToString(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
