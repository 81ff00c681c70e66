import type { LogLine } from '../../core/model.js';
import type { LiveTopic } from '../../protocol/live-messages.js';
import type { ExecutionFeed, FeedBatch } from './execution-feed.js';
import { estimateLineBytes, linesFrames, type Frame } from './frames.js';
import type { LiveClient } from './live-client.js';

/**
 * One client watching one execution. `catching-up`: history is being read from the store while
 * live batches are held; `live`: batches go straight out. `lastSent` is the highest seq queued to
 * the socket: nothing at or below it is ever sent again, which is what makes replay + live
 * exactly-once.
 */
export interface ExecutionSubscription {
  readonly topic: LiveTopic;
  readonly client: LiveClient;
  readonly feed: ExecutionFeed;
  state: 'catching-up' | 'live' | 'closed';
  lastSent: number;
  /** While catching up, the held lines cover `(heldFrom, feed.flushedSeq]`: the store must reach `heldFrom`. */
  heldFrom: number;
  heldLines: LogLine[][];
  heldLineBytes: number;
  /** Non-line frames held while catching up. */
  heldFrames: Frame[];
  heldFrameBytes: number;
}

/** What subscriptions need from the hub. */
export interface SubscriptionContext {
  maxFrameBytes: number;
  /** A client's allowance; lines that would be held past it are read from the store instead. */
  maxClientBytes: number;
  /** Starts reading history for a subscription that found a gap (it is `catching-up` already). */
  startCatchUp(sub: ExecutionSubscription): void;
  /** Called when a subscription ends, so the hub can forget an idle feed. */
  released(feed: ExecutionFeed): void;
  now(): number;
}

export function createSubscription(
  client: LiveClient,
  feed: ExecutionFeed,
  topic: LiveTopic,
  since: number,
): ExecutionSubscription {
  const sub: ExecutionSubscription = {
    topic,
    client,
    feed,
    state: 'catching-up',
    lastSent: since,
    // Whatever the feed has not flushed yet will be held: the store must cover the rest.
    heldFrom: feed.flushedSeq,
    heldLines: [],
    heldLineBytes: 0,
    heldFrames: [],
    heldFrameBytes: 0,
  };
  feed.subscriptions.add(sub);
  client.subscriptions.set(topic, sub);
  return sub;
}

/** Hands one batch to a subscription: sent when live, held when catching up. */
export function deliverBatch(sub: ExecutionSubscription, batch: FeedBatch, ctx: SubscriptionContext): void {
  if (sub.state === 'catching-up') {
    hold(sub, batch, ctx);
    return;
  }
  if (sub.state !== 'live') return;
  if (batch.lines.length > 0 && sub.lastSent < batch.from) {
    // Lines between what this client has and this batch were never sent to it: fetch them first.
    sub.state = 'catching-up';
    sub.heldFrom = batch.from;
    hold(sub, batch, ctx);
    ctx.startCatchUp(sub);
    return;
  }
  for (const frame of batch.before) if (!send(sub, frame, ctx)) return;
  if (batch.lines.length > 0) {
    // The shared frames fit every subscriber that is exactly at the batch start: the usual case.
    const frames =
      sub.lastSent === batch.from
        ? batch.linesFrames
        : linesFrames(sub.feed.executionId, batch.lines, sub.lastSent, ctx.maxFrameBytes);
    for (const lines of frames) {
      if (!send(sub, lines.frame, ctx)) return;
      sub.lastSent = lines.last;
    }
  }
  for (const frame of batch.after) if (!send(sub, frame, ctx)) return;
}

/** Sends lines (e.g. a page of history) with `seq > lastSent`; false when the client had no room. */
export function sendLines(sub: ExecutionSubscription, lines: LogLine[][], ctx: SubscriptionContext): boolean {
  for (const frame of linesFrames(sub.feed.executionId, lines, sub.lastSent, ctx.maxFrameBytes)) {
    if (!send(sub, frame.frame, ctx)) return false;
    sub.lastSent = frame.last;
  }
  return true;
}

/**
 * Ends catching up: sends the held lines above `lastSent` and the held frames, in one synchronous
 * step, so no batch can slip in between. The caller made sure `lastSent >= heldFrom`.
 */
export function goLive(sub: ExecutionSubscription, ctx: SubscriptionContext): void {
  const lines = sub.heldLines;
  const frames = sub.heldFrames;
  releaseHeld(sub);
  sub.state = 'live';
  if (lines.length > 0 && !sendLines(sub, lines, ctx)) return;
  for (const frame of frames) if (!send(sub, frame, ctx)) return;
}

/** Ends a subscription and frees what it held. */
export function closeSubscription(sub: ExecutionSubscription, ctx: SubscriptionContext): void {
  if (sub.state === 'closed') return;
  sub.state = 'closed';
  releaseHeld(sub);
  sub.feed.subscriptions.delete(sub);
  if (sub.client.subscriptions.get(sub.topic) === sub) sub.client.subscriptions.delete(sub.topic);
  ctx.released(sub.feed);
}

/** Tells the client it fell behind and drops the subscription; it comes back with `since`. */
function resync(sub: ExecutionSubscription, ctx: SubscriptionContext): void {
  const { client } = sub;
  closeSubscription(sub, ctx);
  client.sendControl({
    type: 'resync',
    topic: sub.topic,
    executionId: sub.feed.executionId,
    lastSeq: sub.lastSent,
  });
  client.noteResync(ctx.now());
}

function send(sub: ExecutionSubscription, frame: Frame, ctx: SubscriptionContext): boolean {
  if (!sub.client.hasRoomFor(frame.length)) {
    resync(sub, ctx);
    return false;
  }
  sub.client.sendFrame(frame);
  return true;
}

function hold(sub: ExecutionSubscription, batch: FeedBatch, ctx: SubscriptionContext): void {
  const { client } = sub;
  for (const frame of [...batch.before, ...batch.after]) {
    sub.heldFrames.push(frame);
    sub.heldFrameBytes += frame.length;
    client.heldBytes += frame.length;
  }
  if (batch.lines.length > 0) {
    const bytes = batch.lines.reduce((sum, lines) => sum + estimateLineBytes(lines), 0);
    if (client.pendingBytes() + bytes > ctx.maxClientBytes) {
      // Too much to hold: forget it and read it from the store, at the client's pace, once committed.
      client.heldBytes -= sub.heldLineBytes;
      sub.heldLines = [];
      sub.heldLineBytes = 0;
      sub.heldFrom = batch.to;
    } else {
      sub.heldLines.push(...batch.lines);
      sub.heldLineBytes += bytes;
      client.heldBytes += bytes;
    }
  }
  // Step and execution updates are small: this many of them held means the client is hopeless.
  if (sub.heldFrameBytes > ctx.maxClientBytes / 2) resync(sub, ctx);
}

function releaseHeld(sub: ExecutionSubscription): void {
  sub.client.heldBytes -= sub.heldLineBytes + sub.heldFrameBytes;
  sub.heldLines = [];
  sub.heldFrames = [];
  sub.heldLineBytes = 0;
  sub.heldFrameBytes = 0;
}
