import {
  createContext,
  useContext,
  useEffect,
  useEffectEvent,
  useState,
  useSyncExternalStore,
  type ReactNode,
} from 'react';
import type { LiveServerMessage, LiveTopic } from '../api/types.js';
import { LiveConnection, type ConnectionState } from './live-connection.js';

const LiveContext = createContext<LiveConnection | null>(null);

export function LiveProvider({ children, connection }: { children: ReactNode; connection?: LiveConnection }) {
  const [live] = useState(() => connection ?? new LiveConnection());
  useEffect(() => () => live.close(), [live]);
  return <LiveContext.Provider value={live}>{children}</LiveContext.Provider>;
}

function useLiveConnection(): LiveConnection {
  const live = useContext(LiveContext);
  if (!live) throw new Error('useLiveConnection outside <LiveProvider>');
  return live;
}

/** `open`, `connecting` or `reconnecting`, re-rendering on change. */
export function useConnectionState(): ConnectionState {
  const live = useLiveConnection();
  return useSyncExternalStore(
    (onChange) => live.onState(onChange),
    () => live.getState(),
  );
}

/**
 * Receives every message of `topic` while mounted (null: none). The handler may change on every
 * render; the subscription does not. `since` applies when the subscription starts.
 */
export function useLiveTopic(
  topic: LiveTopic | null,
  onMessage: (message: LiveServerMessage) => void,
  since?: number,
): void {
  const live = useLiveConnection();
  const handle = useEffectEvent(onMessage);
  useEffect(() => {
    if (topic === null) return;
    return live.subscribe(topic, (message) => handle(message), since);
    // `since` is read once per topic: later values would restart the replay.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [live, topic]);
}

/** Calls `onEnded` when the server closes the live connection because the sign-in ended. */
export function useLiveUnauthorized(onEnded: () => void): void {
  const live = useLiveConnection();
  const handle = useEffectEvent(onEnded);
  useEffect(() => live.onUnauthorized(() => handle()), [live]);
}
