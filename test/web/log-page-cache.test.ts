import { describe, expect, it } from 'vitest';
import type { LiveLine } from '../../web/src/api/types.js';
import { LogPageCache } from '../../web/src/features/log/log-page-cache.js';

const line = (seq: number): LiveLine => ({ seq, ts: 0, stream: 'stdout', stepId: null, text: `l${seq}` });

/** A log of `stored` lines served by a plain function, recording what was asked. */
function server(stored: { count: number }) {
  const asked: number[] = [];
  const pending: (() => void)[] = [];
  const load = (after: number, limit: number) =>
    new Promise<LiveLine[]>((resolve) => {
      asked.push(after);
      pending.push(() => {
        const lines: LiveLine[] = [];
        for (let seq = after + 1; seq <= Math.min(after + limit, stored.count); seq++) lines.push(line(seq));
        resolve(lines);
      });
    });
  const flush = async () => {
    for (const resolve of pending.splice(0)) resolve();
    await new Promise((resolve) => setTimeout(resolve, 0));
  };
  return { asked, load, flush };
}

describe('log page cache', () => {
  it('fetches the aligned pages a range needs once, and serves their lines', async () => {
    const log = server({ count: 2500 });
    const cache = new LogPageCache(log.load, { pageSize: 100 });
    let notified = 0;
    cache.subscribe(() => notified++);
    cache.ensure(150, 320, 2500);
    cache.ensure(150, 320, 2500);
    expect(log.asked).toEqual([100, 200, 300]);
    expect(cache.get(150)).toBeUndefined();
    await log.flush();
    expect(cache.get(150)?.text).toBe('l150');
    expect(cache.get(320)?.text).toBe('l320');
    expect(notified).toBe(3);
    cache.ensure(101, 400, 2500);
    expect(log.asked).toHaveLength(3);
  });

  it('holds at most maxPages pages, dropping the least recently wanted', async () => {
    const log = server({ count: 10_000 });
    const cache = new LogPageCache(log.load, { pageSize: 100, maxPages: 3 });
    for (const from of [1, 101, 201, 301, 401]) {
      cache.ensure(from, from + 99, 10_000);
      await log.flush();
    }
    expect(cache.size).toBe(3);
    expect(cache.get(50)).toBeUndefined();
    expect(cache.get(450)?.text).toBe('l450');
  });

  it('serves live lines from its tail without fetching, and extends a short cached page', async () => {
    const stored = { count: 150 };
    const log = server(stored);
    const cache = new LogPageCache(log.load, { pageSize: 100, tailSize: 10 });
    cache.ensure(101, 150, 150);
    await log.flush();
    cache.addLive([line(151), line(152)]);
    expect(cache.get(152)?.text).toBe('l152');
    expect(log.asked).toEqual([100]);
    cache.addLive(Array.from({ length: 30 }, (_, i) => line(153 + i)));
    // The tail keeps only the newest lines, but the cached page grew with them.
    expect(cache.get(160)?.text).toBe('l160');
    expect(cache.get(182)?.text).toBe('l182');
  });

  it('serves a log with a gap in its seqs (cut by a log limit) and does not ask for it again', async () => {
    // Seqs 1…20, then 187…206: what a maxLines limit leaves of 206 lines.
    const seqs = [
      ...Array.from({ length: 20 }, (_, i) => i + 1),
      ...Array.from({ length: 20 }, (_, i) => i + 187),
    ];
    const asked: number[] = [];
    const load = (after: number, limit: number) => {
      asked.push(after);
      return Promise.resolve(
        seqs
          .filter((seq) => seq > after)
          .slice(0, limit)
          .map(line),
      );
    };
    const cache = new LogPageCache(load, { pageSize: 100, retryMs: 0 });
    cache.ensure(1, 206, 206);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(cache.get(20)?.text).toBe('l20');
    expect(cache.get(21)).toBeUndefined();
    expect(cache.get(187)?.text).toBe('l187');
    expect(cache.get(206)?.text).toBe('l206');
    const before = asked.length;
    cache.ensure(1, 206, 206);
    expect(asked).toHaveLength(before);
  });
});
