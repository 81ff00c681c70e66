import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import type { HostReportJson, HostViewJson } from '../../../../src/protocol/host-schemas.js';
import type { HostMessage } from '../../../../src/protocol/live-messages.js';
import { apiFetch } from '../../api/client.js';
import { useLiveTopic } from '../../live/live-context.js';

/** Samples a host keeps on the page (10 minutes at 2 s, as the server's history). */
const MAX_SAMPLES = 300;

/**
 * `GET /api/host` once (the history of each host), then every sample of the `host` live topic
 * appended: subscribing is what makes the server sample its machine, so the page is live while
 * it is open and costs nothing once closed. The list of hosts is refetched every 15 s (a worker
 * that started or stopped).
 */
export function useHostReport() {
  const report = useQuery({
    queryKey: ['host'],
    queryFn: ({ signal }) => apiFetch<HostReportJson>('/api/host', { signal }),
    refetchInterval: 15_000,
  });
  const [live, setLive] = useState<Map<string, HostMessage['sample'][]>>(new Map());
  useLiveTopic('host', (message) => {
    if (message.type !== 'host') return;
    setLive((previous) => {
      const next = new Map(previous);
      const samples = [...(next.get(message.id) ?? []), message.sample];
      next.set(message.id, samples.slice(-MAX_SAMPLES));
      return next;
    });
  });
  const hosts = useMemo(() => merge(report.data?.hosts, live), [report.data, live]);
  return {
    hosts,
    intervalMs: report.data?.intervalMs ?? 2000,
    historyMs: report.data?.historyMs ?? 600_000,
    error: report.error,
  };
}

/** The fetched history with the live samples newer than its last one after it. */
function merge(
  hosts: HostViewJson[] | undefined,
  live: Map<string, HostMessage['sample'][]>,
): HostViewJson[] | undefined {
  return hosts?.map((host) => {
    const last = host.history.at(-1)?.ts ?? host.current?.ts ?? 0;
    const newer = (live.get(host.id) ?? []).filter((sample) => sample.ts > last);
    if (newer.length === 0) return host;
    const history = [...host.history, ...newer].slice(-MAX_SAMPLES);
    return { ...host, history, current: history.at(-1) ?? host.current };
  });
}
