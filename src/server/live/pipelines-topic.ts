import { isStepflowError } from '../../core/errors.js';
import type { PipelineEvent } from '../../core/events.js';
import type { PipelineRuns } from '../../app/pipelines/pipeline-runs.js';
import { toPipelineRunJson } from '../../protocol/pipeline-json.js';
import type { LiveTopic } from '../../protocol/live-messages.js';
import { toFrame } from './frames.js';
import type { LiveClient } from './live-client.js';

/**
 * The `pipeline:<runId>` topics: the run's snapshot after subscribing, then each of its changes
 * as it is published (pipeline runs change at the pace of their nodes: no batching). A client
 * without room for a change is told to resync (subscribe again for a fresh snapshot).
 */
export class PipelinesTopic {
  private readonly subscribers = new Map<string, Set<LiveClient>>();

  constructor(
    private readonly pipelines: Pick<PipelineRuns, 'get'>,
    private readonly now: () => number,
    private readonly onError: (error: unknown) => void,
  ) {}

  subscribe(client: LiveClient, runId: string): void {
    const topic: LiveTopic = `pipeline:${runId}`;
    let set = this.subscribers.get(runId);
    if (set === undefined) this.subscribers.set(runId, (set = new Set()));
    set.add(client);
    client.sendControl({ type: 'subscribed', topic, lastSeq: null });
    this.pipelines.get(runId).then(
      (run) => {
        if (set.has(client))
          client.sendFrame(toFrame({ type: 'pipeline-run', run: toPipelineRunJson(run, this.now()) }));
      },
      (error: unknown) => {
        this.unsubscribe(client, runId);
        if (!isStepflowError(error)) this.onError(error);
        client.sendControl({
          type: 'error',
          code: isStepflowError(error) ? error.code : 'internal',
          message: isStepflowError(error) ? error.message : 'internal error',
          topic,
        });
      },
    );
  }

  unsubscribe(client: LiveClient, runId: string): void {
    const set = this.subscribers.get(runId);
    set?.delete(client);
    if (set?.size === 0) this.subscribers.delete(runId);
  }

  /** Every subscription of a closing client. */
  drop(client: LiveClient): void {
    for (const runId of [...this.subscribers.keys()]) this.unsubscribe(client, runId);
  }

  count(client: LiveClient): number {
    let n = 0;
    for (const set of this.subscribers.values()) if (set.has(client)) n++;
    return n;
  }

  publish(event: PipelineEvent): void {
    const set = this.subscribers.get(event.pipelineRunId);
    if (set === undefined) return;
    const frame = toFrame({ type: 'pipeline', pipelineRunId: event.pipelineRunId, change: event.change });
    for (const client of [...set]) {
      if (client.hasRoomFor(frame.length)) {
        client.sendFrame(frame);
        continue;
      }
      this.unsubscribe(client, event.pipelineRunId);
      client.sendControl({ type: 'resync', topic: `pipeline:${event.pipelineRunId}`, lastSeq: null });
      client.noteResync(this.now());
    }
  }
}
