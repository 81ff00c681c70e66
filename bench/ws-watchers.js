// Child of bench/server-load.js: opens N WebSocket clients spread over the given executions and
// reports deliveries, print→receipt latency, lost and duplicated lines. Every benchmark line
// carries its print time: "<epoch ms> …".
import WebSocket from 'ws';

const { url, executionIds, clients, linesPerExecution, timeoutMs } = JSON.parse(process.argv[2]);
const wsUrl = `${url.replace(/^http/, 'ws')}/ws`;
// The watcher must not cost the measurement: 2.5 M latencies in a growing array and a Set of seen
// seqs per client made this process's GC pauses (which land in the latencies) part of the result.
// A histogram of whole milliseconds and a byte per seq keep its heap flat.
const MAX_LATENCY_MS = 60_000;
const histogram = new Uint32Array(MAX_LATENCY_MS + 1);
// Where the time goes: print → the server's read of the pipe (the line's ts), and that read → here.
const toServerRead = new Uint32Array(MAX_LATENCY_MS + 1);
const serverReadToClient = new Uint32Array(MAX_LATENCY_MS + 1);
let measured = 0;
let maxLatency = 0;
let deliveries = 0;
let duplicates = 0;
let resyncs = 0;
const sockets = [];
const perClient = [];

function percentile(p, counts = histogram) {
  if (measured === 0) return 0;
  const rank = Math.min(measured - 1, Math.floor((p / 100) * measured));
  let seen = 0;
  for (let ms = 0; ms <= MAX_LATENCY_MS; ms++) {
    seen += counts[ms];
    if (seen > rank) return ms;
  }
  return MAX_LATENCY_MS;
}
const clamp = (ms) => Math.min(MAX_LATENCY_MS, Math.max(0, ms));

await Promise.all(
  Array.from({ length: clients }, (_, i) => {
    const executionId = executionIds[i % executionIds.length];
    const state = { executionId, seen: new Uint8Array(linesPerExecution + 64), lastSeq: 0, benchLines: 0 };
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
          if (line.seq >= state.seen.length) {
            const grown = new Uint8Array(line.seq * 2);
            grown.set(state.seen);
            state.seen = grown;
          }
          if (state.seen[line.seq] === 1) {
            duplicates++;
            continue;
          }
          state.seen[line.seq] = 1;
          state.lastSeq = Math.max(state.lastSeq, line.seq);
          deliveries++;
          const printed = Number(line.text.slice(0, 13));
          if (line.text.charCodeAt(13) === 32 && printed > 1e12) {
            state.benchLines++;
            const latency = clamp(now - printed);
            histogram[latency]++;
            toServerRead[clamp(line.ts - printed)]++;
            serverReadToClient[clamp(now - line.ts)]++;
            measured++;
            maxLatency = Math.max(maxLatency, latency);
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
const lost = perClient.reduce((sum, c) => sum + Math.max(0, linesPerExecution - c.benchLines), 0);
process.send?.({
  type: 'result',
  result: {
    clients,
    deliveries,
    benchLineDeliveries: measured,
    lost,
    duplicates,
    resyncs,
    latencyP50Ms: percentile(50),
    latencyP99Ms: percentile(99),
    printToServerReadP50Ms: percentile(50, toServerRead),
    printToServerReadP99Ms: percentile(99, toServerRead),
    serverReadToClientP50Ms: percentile(50, serverReadToClient),
    serverReadToClientP99Ms: percentile(99, serverReadToClient),
    latencyMaxMs: maxLatency,
    seconds: (Date.now() - started) / 1000,
  },
});
