import { useEffect, useEffectEvent, useState } from 'react';
import type { LiveLine } from '../../api/types.js';
import type { LineFeed } from '../../live/line-feed.js';
import { fetchOutline, type LogOutline } from './log-api.js';
import { extendOutline } from './log-rows.js';
import type { LogPageCache } from './log-page-cache.js';

const PUBLISH_MS = 50;
const RETRY_MS = 1000;

/**
 * The log's outline, kept current: fetched once, then extended by live lines (which also go to
 * the page cache). React sees at most one new outline per PUBLISH_MS, whatever the line rate.
 * Lines that do not follow the outline (a gap) make it fetch the outline again.
 */
export function useLogOutline(
  executionId: string,
  lineFeed: LineFeed,
  cache: LogPageCache,
  /** Called once, with the first outline fetched (permalinks and failure focus start there). */
  onFirstLoad: (outline: LogOutline) => void,
): LogOutline | null {
  const [outline, setOutline] = useState<LogOutline | null>(null);
  const firstLoad = useEffectEvent(onFirstLoad);
  useEffect(() => {
    let current: LogOutline | null = null;
    let pending: LiveLine[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    let fetching = false;
    const controller = new AbortController();

    const publish = () => {
      timer = undefined;
      if (current) setOutline(current);
    };
    const apply = (lines: readonly LiveLine[]) => {
      if (current === null) {
        pending.push(...lines);
        return;
      }
      const next = extendOutline(current, lines);
      if (next === undefined) {
        pending.push(...lines);
        load(RETRY_MS / 2);
        return;
      }
      if (next !== current) {
        current = next;
        timer ??= setTimeout(publish, PUBLISH_MS);
      }
    };
    const load = (delay = 0) => {
      if (fetching) return;
      fetching = true;
      setTimeout(() => {
        fetchOutline(executionId, controller.signal).then(
          (fetched) => {
            fetching = false;
            const first = current === null;
            current = fetched;
            const waiting = pending.filter((line) => line.seq > fetched.lastSeq);
            pending = [];
            setOutline(fetched);
            if (waiting.length > 0) apply(waiting);
            if (first) firstLoad(current);
          },
          () => {
            fetching = false;
            if (!controller.signal.aborted) load(RETRY_MS);
          },
        );
      }, delay);
    };

    const unsubscribe = lineFeed.subscribe((lines) => {
      cache.addLive(lines);
      apply(lines);
    });
    load();
    return () => {
      unsubscribe();
      controller.abort();
      if (timer) clearTimeout(timer);
    };
  }, [executionId, lineFeed, cache]);
  return outline;
}
