import type { LiveLine } from '../../api/types.js';

/**
 * The lines the viewer can show without asking the server: a bounded LRU of fixed, aligned pages
 * (page p holds seqs p*size+1 … (p+1)*size) fetched on demand, plus the newest live lines. Never
 * the whole log: a million-line log costs at most `maxPages` pages and `tailSize` lines here.
 *
 * Listeners are told once per completed fetch or live batch (never per line).
 */

export type LoadPage = (after: number, limit: number, signal: AbortSignal) => Promise<readonly LiveLine[]>;

interface Page {
  lines: LiveLine[];
  /**
   * The highest seq the page is known to hold or to lack: a log cut by a limit (docs/LIMITS.md)
   * has gaps in its seqs, so a page can be whole with fewer lines than seqs.
   */
  coveredTo: number;
  /** When the page last came from the server (a short page is asked again once more is stored). */
  fetchedAt: number;
}

export interface PageCacheOptions {
  pageSize?: number;
  maxPages?: number;
  tailSize?: number;
  /** A short or failed page is asked again after this long at the earliest. */
  retryMs?: number;
  now?: () => number;
}

export class LogPageCache {
  readonly pageSize: number;
  private readonly maxPages: number;
  private readonly tailSize: number;
  private readonly retryMs: number;
  private readonly now: () => number;
  /** Map order is the LRU order: the first key is the least recently wanted page. */
  private readonly pages = new Map<number, Page>();
  private readonly inFlight = new Map<number, AbortController>();
  private readonly failedAt = new Map<number, number>();
  private tail: LiveLine[] = [];
  private tailFirst = 0;
  private readonly listeners = new Set<() => void>();
  private versionValue = 0;
  private disposed = false;
  /** Pages the last `ensure` asked for: never evicted. */
  private wanted = new Set<number>();

  constructor(
    private readonly load: LoadPage,
    options: PageCacheOptions = {},
  ) {
    this.pageSize = options.pageSize ?? 1000;
    this.maxPages = options.maxPages ?? 24;
    this.tailSize = options.tailSize ?? 5000;
    this.retryMs = options.retryMs ?? 1000;
    this.now = options.now ?? Date.now;
  }

  /** Changes whenever lines were added; for `useSyncExternalStore`. */
  get version(): number {
    return this.versionValue;
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  get(seq: number): LiveLine | undefined {
    const live = this.fromTail(seq);
    if (live !== undefined) return live;
    const page = this.pages.get(this.pageOf(seq));
    if (page === undefined) return undefined;
    const direct = page.lines[seq - this.pageStart(seq) - 1];
    return direct?.seq === seq ? direct : findBySeq(page.lines, seq);
  }

  /** Makes sure the lines `from..to` (clamped to `lastSeq`) are cached or on their way. */
  ensure(from: number, to: number, lastSeq: number): void {
    if (this.disposed) return;
    const last = Math.min(to, lastSeq);
    if (from > last) return;
    const wanted: number[] = [];
    for (let p = this.pageOf(Math.max(1, from)); p <= this.pageOf(last); p++) wanted.push(p);
    for (const p of wanted) {
      const page = this.pages.get(p);
      if (page !== undefined) {
        // Most recently wanted goes to the end of the LRU order.
        this.pages.delete(p);
        this.pages.set(p, page);
        const pageEnd = Math.min((p + 1) * this.pageSize, last);
        const missing = page.coveredTo < pageEnd && this.get(pageEnd) === undefined;
        if (!missing || this.now() - page.fetchedAt < this.retryMs) continue;
      }
      if (this.inFlight.has(p) || this.now() - (this.failedAt.get(p) ?? -Infinity) < this.retryMs) continue;
      if (page === undefined && this.coveredByTail(p, last)) continue;
      this.fetch(p);
    }
    this.wanted = new Set(wanted);
    this.evict();
  }

  /** Live lines in seq order: kept in the tail, and appended to a cached page they continue. */
  addLive(lines: readonly LiveLine[]): void {
    if (lines.length === 0) return;
    for (const line of lines) {
      if (this.tail.length > 0 && line.seq !== this.tailFirst + this.tail.length) {
        if (line.seq < this.tailFirst + this.tail.length) continue; // already have it
        this.tail = []; // a gap: start a new tail
      }
      if (this.tail.length === 0) this.tailFirst = line.seq;
      this.tail.push(line);
      const page = this.pages.get(this.pageOf(line.seq));
      if (
        page !== undefined &&
        line.seq === page.coveredTo + 1 &&
        line.seq <= this.pageStart(line.seq) + this.pageSize
      ) {
        page.lines.push(line);
        page.coveredTo = line.seq;
      }
    }
    if (this.tail.length > 2 * this.tailSize) {
      const drop = this.tail.length - this.tailSize;
      this.tail = this.tail.slice(drop);
      this.tailFirst += drop;
    }
    this.changed();
  }

  dispose(): void {
    this.disposed = true;
    for (const controller of this.inFlight.values()) controller.abort();
    this.inFlight.clear();
    this.listeners.clear();
  }

  /** How many pages are held (tests, and a bound the e2e test checks indirectly). */
  get size(): number {
    return this.pages.size;
  }

  private fromTail(seq: number): LiveLine | undefined {
    return seq >= this.tailFirst && seq < this.tailFirst + this.tail.length
      ? this.tail[seq - this.tailFirst]
      : undefined;
  }

  private coveredByTail(p: number, last: number): boolean {
    const start = p * this.pageSize + 1;
    const end = Math.min((p + 1) * this.pageSize, last);
    return this.tail.length > 0 && start >= this.tailFirst && end < this.tailFirst + this.tail.length;
  }

  private fetch(p: number): void {
    const controller = new AbortController();
    this.inFlight.set(p, controller);
    this.load(p * this.pageSize, this.pageSize, controller.signal).then(
      (lines) => {
        if (this.inFlight.get(p) !== controller) return;
        this.inFlight.delete(p);
        this.failedAt.delete(p);
        const end = (p + 1) * this.pageSize;
        // Past a gap in the seqs the answer runs on into later pages: those lines are theirs.
        const mine = lines.filter((line) => line.seq <= end);
        const lastSeq = mine.at(-1)?.seq ?? p * this.pageSize;
        const page: Page = {
          lines: mine,
          coveredTo: mine.length < lines.length ? end : lastSeq,
          fetchedAt: this.now(),
        };
        // Live lines that arrived while the page was on its way may continue it.
        for (let seq = page.coveredTo + 1; seq <= end; seq++) {
          const line = this.fromTail(seq);
          if (line === undefined) break;
          page.lines.push(line);
          page.coveredTo = seq;
        }
        this.pages.set(p, page);
        this.evict();
        this.changed();
      },
      (error: unknown) => {
        if (this.inFlight.get(p) !== controller) return;
        this.inFlight.delete(p);
        this.failedAt.set(p, this.now());
        if (controller.signal.aborted) return;
        console.warn(`log page ${p} failed`, error);
        // Re-render after the pause so the viewer asks again even if nobody scrolls.
        setTimeout(() => {
          if (!this.disposed) this.changed();
        }, this.retryMs);
      },
    );
  }

  private evict(): void {
    const keep = this.wanted;
    for (const p of this.pages.keys()) {
      if (this.pages.size <= this.maxPages) break;
      if (!keep.has(p)) this.pages.delete(p);
    }
    // Requests for pages nobody looks at any more are cancelled, so a fast scroll does not queue
    // the whole log.
    for (const [p, controller] of this.inFlight) {
      if (!keep.has(p) && this.inFlight.size > 4) {
        controller.abort();
        this.inFlight.delete(p);
      }
    }
  }

  private pageOf(seq: number): number {
    return Math.floor((seq - 1) / this.pageSize);
  }

  private pageStart(seq: number): number {
    return this.pageOf(seq) * this.pageSize;
  }

  private changed(): void {
    this.versionValue++;
    for (const listener of this.listeners) listener();
  }
}

/** The line with `seq` in lines sorted by seq (binary search), for pages with gaps. */
function findBySeq(lines: readonly LiveLine[], seq: number): LiveLine | undefined {
  let low = 0;
  let high = lines.length - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    const line = lines[mid]!;
    if (line.seq === seq) return line;
    if (line.seq < seq) low = mid + 1;
    else high = mid - 1;
  }
  return undefined;
}
