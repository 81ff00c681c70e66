import type { JobEvent } from '../../core/events.js';
import { JOBS_TOPIC, type JobChange } from '../../protocol/live-messages.js';
import { broadcast } from './broadcast.js';
import { toFrame } from './frames.js';
import type { LiveClient } from './live-client.js';

/** A job event in the wire shape of the `jobs` topic. */
export function jobChangeOf(event: JobEvent): JobChange {
  const { type, ...rest } = event;
  switch (type) {
    case 'job.created':
    case 'job.updated':
    case 'job.paused':
    case 'job.resumed':
    case 'job.deleted':
      return { change: DEFINITION_CHANGES[type], jobId: event.jobId };
    default:
      return { ...rest, change: type } as JobChange;
  }
}

const DEFINITION_CHANGES = {
  'job.created': 'created',
  'job.updated': 'updated',
  'job.paused': 'paused',
  'job.resumed': 'resumed',
  'job.deleted': 'deleted',
} as const;

/** The execution a job event is about, when it is about one. */
export function executionOfJobChange(change: JobChange): string | undefined {
  // A pipeline job's changes name a pipeline run, not an execution: they go on `jobs` only.
  if ('pipelineRun' in change && change.pipelineRun) return undefined;
  return 'executionId' in change ? change.executionId : undefined;
}

/**
 * The `jobs` topic: a job was created, changed or deleted, or its scheduler acted. Jobs change at human pace, so each
 * change goes out at once, serialized once for every subscriber; a client with no room left is
 * told to resync (refetch) like on the `executions` topic.
 */
export class JobsTopic {
  readonly subscribers = new Set<LiveClient>();

  constructor(private readonly now: () => number) {}

  subscribe(client: LiveClient): void {
    this.subscribers.add(client);
    client.sendControl({ type: 'subscribed', topic: JOBS_TOPIC, lastSeq: null });
  }

  unsubscribe(client: LiveClient): void {
    this.subscribers.delete(client);
  }

  publish(change: JobChange): void {
    if (this.subscribers.size === 0) return;
    const frame = toFrame({ type: 'jobs', changes: [change] });
    broadcast(this.subscribers, frame, JOBS_TOPIC, this.now(), (client) => this.unsubscribe(client));
  }
}
