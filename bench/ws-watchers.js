// Child of bench/server-load.js: opens N WebSocket clients spread over the given executions and
// reports deliveries, print→receipt latency, lost and duplicated lines. Every benchmark line
// carries its print time: "<epoch ms> …".
import WebSocket from 'ws';

const { url, executionIds, clients, linesPerExecution, timeoutMs } = JSON.parse(process.argv[2]);
const wsUrl = `${url.replace(/^http/, 'ws')}/ws`;
const latencies = [];
let deliveries = 0;
let duplicates = 0;
let resyncs = 0;
const sockets = [];
const perClient = [];

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

await Promise.all(
  Array.from({ length: clients }, (_, i) => {
    const executionId = executionIds[i % executionIds.length];
    const state = { executionId, seen: new Set(), lastSeq: 0, benchLines: 0 };
    perClient.push(state);
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(wsUrl, { headers: { origin: url } });
      sockets.push(ws);
      ws.on('open', () => {
        ws.send(JSON.stringify({ type: 'subscribe', topic: `execution:${executionId}`, since: 0 }));
        resolve();
      });
      ws.on('error', reject);
      ws.on('message', (data) => {
        const now = Date.now();
        const message = JSON.parse(data.toString());
        if (message.type === 'resync') {
          resyncs++;
          ws.send(
            JSON.stringify({ type: 'subscribe', topic: `execution:${executionId}`, since: state.lastSeq }),
          );
          return;
        }
        if (message.type !== 'lines') return;
        for (const line of message.lines) {
          if (state.seen.has(line.seq)) {
            duplicates++;
            continue;
          }
          state.seen.add(line.seq);
          state.lastSeq = Math.max(state.lastSeq, line.seq);
          deliveries++;
          const printed = Number(line.text.slice(0, 13));
          if (line.text.charCodeAt(13) === 32 && printed > 1e12) {
            state.benchLines++;
            latencies.push(now - printed);
          }
        }
      });
    });
  }),
);
process.send?.({ type: 'ready' });

const started = Date.now();
await new Promise((resolve) => {
  const timer = setInterval(() => {
    const done = perClient.every((c) => c.benchLines >= linesPerExecution);
    if (done || Date.now() - started > timeoutMs) {
      clearInterval(timer);
      resolve();
    }
  }, 200);
});
for (const ws of sockets) ws.terminate();
latencies.sort((a, b) => a - b);
const lost = perClient.reduce((sum, c) => sum + Math.max(0, linesPerExecution - c.benchLines), 0);
process.send?.({
  type: 'result',
  result: {
    clients,
    deliveries,
    benchLineDeliveries: latencies.length,
    lost,
    duplicates,
    resyncs,
    latencyP50Ms: percentile(latencies, 50),
    latencyP99Ms: percentile(latencies, 99),
    latencyMaxMs: latencies.at(-1) ?? 0,
    seconds: (Date.now() - started) / 1000,
  },
});
