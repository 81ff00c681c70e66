import type { EXECUTIONS_TOPIC, HOST_TOPIC, JOBS_TOPIC } from '../../protocol/live-messages.js';
import type { Frame } from './frames.js';
import type { LiveClient } from './live-client.js';

type DashboardTopic = typeof EXECUTIONS_TOPIC | typeof JOBS_TOPIC | typeof HOST_TOPIC;

/**
 * Sends one frame of a dashboard-wide topic to every subscriber that has room for it. One that
 * has not is taken off the topic (`drop`) and told to resync: it refetches from REST and
 * subscribes again, instead of the server holding ever more for it.
 */
export function broadcast(
  subscribers: ReadonlySet<LiveClient>,
  frame: Frame,
  topic: DashboardTopic,
  now: number,
  drop: (client: LiveClient) => void,
): void {
  for (const client of [...subscribers]) sendOrResync(client, frame, topic, now, drop);
}

/** {@link broadcast} for one client (a filtered watcher's own frame). */
export function sendOrResync(
  client: LiveClient,
  frame: Frame,
  topic: DashboardTopic,
  now: number,
  drop: (client: LiveClient) => void,
): void {
  if (client.hasRoomFor(frame.length)) {
    client.sendFrame(frame);
    return;
  }
  drop(client);
  client.sendControl({ type: 'resync', topic, lastSeq: null });
  client.noteResync(now);
}
