/**
 * What a backend reads of one execution to date its last sign of life (ISO times as stored; the
 * last log chunk's first line time and its deltas as `sqlite/log-chunks.ts` encodes them).
 */
export interface SignOfLifeParts {
  createdAt: string;
  startedAt: string | null;
  ownerSeenAt: string | null;
  lastChunk: { tsStart: number; tsDeltas: string | null } | null;
  lastSampleMs: number | null;
  lastStepAt: string | null;
  lastArtifactAt: string | null;
}

/**
 * When an execution last showed it was alive, in epoch ms: the latest of its owner's heartbeat,
 * its last log line, step change, artifact and resource sample, and its start. The one rule both
 * stores apply (`ExecutionStore.lastSignOfLife`).
 */
export function latestSignOfLife(parts: SignOfLifeParts): number | null {
  const candidates = [
    Date.parse(parts.createdAt),
    parse(parts.startedAt),
    parse(parts.ownerSeenAt),
    parts.lastChunk === null ? NaN : lastLineTs(parts.lastChunk.tsStart, parts.lastChunk.tsDeltas),
    parts.lastSampleMs ?? NaN,
    parse(parts.lastStepAt),
    parse(parts.lastArtifactAt),
  ];
  let latest = -Infinity;
  for (const ms of candidates) if (ms > latest) latest = ms;
  return Number.isFinite(latest) ? latest : null;
}

const parse = (iso: string | null): number => (iso === null ? NaN : Date.parse(iso));

/** The latest line time of a chunk: its first line's, moved by each stored difference. */
function lastLineTs(tsStart: number, tsDeltas: string | null): number {
  if (tsDeltas === null) return tsStart;
  let ts = tsStart;
  let latest = tsStart;
  for (const delta of tsDeltas.split(',')) {
    ts += Number(delta);
    if (ts > latest) latest = ts;
  }
  return latest;
}
