/**
 * Fixed-height row virtualization: row i sits at i * rowHeight in a virtual list, and the rows
 * shown are those the viewport overlaps. Browsers cap an element's height (Chromium near 33.5M
 * px), so a list taller than MAX_SCROLL_HEIGHT gets a shorter scroll area and positions scale:
 * scrollTop 0 is the first row, the largest scrollTop the last, linearly in between. A wheel step
 * then moves a little more than its pixels (1.3× for a million 20 px rows).
 */

export const ROW_HEIGHT = 20;
const MAX_SCROLL_HEIGHT = 15_000_000;

export interface Viewport {
  /** Height of the scroll area's content. */
  readonly scrollHeight: number;
  /** Virtual position (px into the full list) shown at the top for a scrollTop. */
  virtualTop(scrollTop: number): number;
  /** The scrollTop that shows virtual position `y` at the top (clamped). */
  scrollTopFor(y: number): number;
  /** Rows overlapping the viewport, plus `overscan` on each side, clamped to the list. */
  range(scrollTop: number, overscan: number): { first: number; last: number };
}

export function createViewport(
  rowCount: number,
  clientHeight: number,
  rowHeight = ROW_HEIGHT,
  maxScrollHeight = MAX_SCROLL_HEIGHT,
): Viewport {
  const total = rowCount * rowHeight;
  const scrollHeight = Math.min(total, maxScrollHeight);
  const scrollRange = Math.max(0, scrollHeight - clientHeight);
  const virtualRange = Math.max(0, total - clientHeight);
  const scale = scrollRange > 0 ? virtualRange / scrollRange : 1;
  const virtualTop = (scrollTop: number) =>
    Math.min(virtualRange, Math.max(0, Math.min(scrollTop, scrollRange) * scale));
  return {
    scrollHeight,
    virtualTop,
    scrollTopFor: (y) => Math.min(scrollRange, Math.max(0, y / scale)),
    range(scrollTop, overscan) {
      const top = virtualTop(scrollTop);
      const first = Math.max(0, Math.floor(top / rowHeight) - overscan);
      const last = Math.min(rowCount - 1, Math.floor((top + clientHeight) / rowHeight) + overscan);
      return { first, last };
    },
  };
}
