import {
  useCallback,
  useEffect,
  useEffectEvent,
  useImperativeHandle,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
  useSyncExternalStore,
  type ReactNode,
} from 'react';
import { isFailure } from '../../api/execution-status.js';
import type { Step } from '../../api/types.js';
import { findFailureLine } from './failure-focus.js';
import { fetchLogPage, rawLogUrl, type LogOutline } from './log-api.js';
import { LogPageCache } from './log-page-cache.js';
import { LineRow, StepHeader } from './log-row-views.js';
import { buildRows, stepOfSeq } from './log-rows.js';
import type { TimestampMode } from './log-time.js';
import { LogToolbar } from './log-toolbar.js';
import type { LogViewerProps } from './log-viewer-api.js';
import { createViewport, ROW_HEIGHT } from './log-viewport.js';
import { useLogOutline } from './use-log-outline.js';
import { useLogSearch } from './use-log-search.js';
import './log-viewer.css';

/** Rows rendered above and below the viewport, so a small scroll never shows a blank. */
const OVERSCAN = 20;
/** Rows are positioned relative to a base that moves every this many rows, so memoized rows keep their `top`. */
const BASE_STEP = 1000;
const ACTIVE_STATUSES = new Set(['queued', 'running']);
const TIMESTAMPS_KEY = 'stepflow.log.timestamps';

/** What to bring into view once the rows for it exist. */
type Target = { kind: 'seq'; seq: number } | { kind: 'step'; stepId: number } | { kind: 'end' };

/**
 * `open` plus the steps the default rule opens now: like GitHub Actions, finished successful
 * steps start collapsed, running and failed ones open; a run whose output is all in one step
 * shows it open.
 */
function openByRule(steps: readonly Step[], open: ReadonlySet<number>): ReadonlySet<number> {
  const opened = steps.filter(
    (step) => !open.has(step.id) && (steps.length <= 1 || step.status !== 'succeeded'),
  );
  return opened.length === 0 ? open : new Set([...open, ...opened.map((step) => step.id)]);
}

function permalinkSeq(): number | null {
  const match = /^#L(\d+)$/.exec(window.location.hash);
  return match ? Number(match[1]) : null;
}

/**
 * The log pane: step sections (collapsible, nested), lines paged from the API as they scroll into
 * view, live lines appended while following the end, search over the whole log, permalinks, and
 * the failed step opened at its first error. Only the rows in view are in the DOM.
 */
export function LogViewer({ execution, lineFeed, ref }: LogViewerProps) {
  const executionId = execution.id;
  const cache = useMemo(
    () =>
      new LogPageCache(
        async (after, limit, signal) => (await fetchLogPage(executionId, { after, limit }, signal)).lines,
      ),
    [executionId],
  );
  useEffect(() => () => cache.dispose(), [cache]);
  useSyncExternalStore(cache.subscribe, () => cache.version);
  // Focus and reveal are defined below (they need the rows); the hooks call the latest ones.
  const handlers = useRef<{ focusFirst(outline: LogOutline): void; reveal(seq: number): void } | null>(null);
  const onFirstOutline = useCallback((loaded: LogOutline) => handlers.current?.focusFirst(loaded), []);
  const onSearchMove = useCallback((seq: number) => handlers.current?.reveal(seq), []);
  const outline = useLogOutline(executionId, lineFeed, cache, onFirstOutline);
  const search = useLogSearch(executionId, onSearchMove);

  // ---- sections ----
  const stepsById = useMemo(() => new Map(execution.steps.map((step) => [step.id, step])), [execution.steps]);
  /** User choices (and reveals) override the default: true = collapsed. */
  const [overrides, setOverrides] = useState<ReadonlyMap<number, boolean>>(() => new Map());
  /**
   * Steps this pane has shown open by default (running, failed, a lone step). They stay open when
   * they succeed: collapsing them then would take away the lines the user was following live.
   * Updated while rendering, when the steps change (React's "adjusting state on a prop change").
   */
  const [shown, setShown] = useState(() => ({
    steps: execution.steps,
    open: openByRule(execution.steps, new Set()),
  }));
  if (shown.steps !== execution.steps) {
    setShown({ steps: execution.steps, open: openByRule(execution.steps, shown.open) });
  }
  const isCollapsed = useCallback(
    (stepId: number): boolean => {
      const chosen = overrides.get(stepId);
      if (chosen !== undefined) return chosen;
      return stepsById.has(stepId) && !shown.open.has(stepId);
    },
    [overrides, stepsById, shown.open],
  );
  const rows = useMemo(
    () => buildRows(outline?.segments ?? [], execution.steps, isCollapsed),
    [outline, execution.steps, isCollapsed],
  );
  const toggle = useCallback(
    (stepId: number) => setOverrides((prev) => new Map(prev).set(stepId, !isCollapsed(stepId))),
    [isCollapsed],
  );
  /** Opens the step and every step around it. */
  const expand = useCallback(
    (stepId: number | null | undefined) => {
      const chain: number[] = [];
      for (
        let id = stepId ?? null;
        id !== null && chain.length < 64;
        id = stepsById.get(id)?.parentId ?? null
      ) {
        chain.push(id);
      }
      if (chain.every((id) => !isCollapsed(id))) return;
      setOverrides((prev) => {
        const next = new Map(prev);
        for (const id of chain) next.set(id, false);
        return next;
      });
    },
    [isCollapsed, stepsById],
  );

  // ---- scrolling ----
  const scrollerRef = useRef<HTMLDivElement>(null);
  const searchRef = useRef<HTMLInputElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [clientHeight, setClientHeight] = useState(600);
  const [initialHash] = useState(permalinkSeq);
  const [following, setFollowing] = useState(
    () => ACTIVE_STATUSES.has(execution.status) && initialHash === null,
  );
  /** What to bring into view once its rows exist; `targetTick` re-runs the effect that does it. */
  const targetRef = useRef<Target | null>(null);
  const [targetTick, setTargetTick] = useState(0);
  const [highlightSeq, setHighlightSeq] = useState<number | null>(initialHash);
  const viewport = useMemo(() => createViewport(rows.count, clientHeight), [rows.count, clientHeight]);

  const scrollTo = useCallback((target: Target) => {
    targetRef.current = target;
    setTargetTick((tick) => tick + 1);
  }, []);

  useLayoutEffect(() => {
    const scroller = scrollerRef.current;
    if (!scroller) return;
    const observer = new ResizeObserver(() => setClientHeight(scroller.clientHeight));
    observer.observe(scroller);
    return () => observer.disconnect();
  }, []);

  // The scroll event is the one place scrollTop enters React (once per event, not per line).
  const onScroll = () => {
    const scroller = scrollerRef.current;
    if (!scroller) return;
    setScrollTop(scroller.scrollTop);
    // Following means "stuck to the end": scrolling away stops it, scrolling back resumes it.
    setFollowing(scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - ROW_HEIGHT);
  };

  // Stick to the end while following, as rows are added (the scroll event then updates the window).
  useLayoutEffect(() => {
    const scroller = scrollerRef.current;
    if (following && scroller && targetRef.current === null) scroller.scrollTop = scroller.scrollHeight;
  }, [following, rows.count, viewport.scrollHeight]);

  // Bring the target into view once its rows exist (a reveal expands sections first).
  useLayoutEffect(() => {
    const scroller = scrollerRef.current;
    const target = targetRef.current;
    if (target === null || scroller === null || outline === null) return;
    let row: number;
    let align = 0.35;
    if (target.kind === 'seq') row = rows.rowOfSeq(target.seq);
    else if (target.kind === 'step') {
      row = rows.rowOfStep(target.stepId);
      align = 0;
    } else row = rows.count - 1;
    if (row === -1 && target.kind === 'seq' && target.seq > outline.lastSeq) return; // not arrived yet
    targetRef.current = null;
    if (row === -1) return;
    const y = row * ROW_HEIGHT - (clientHeight - ROW_HEIGHT) * align;
    scroller.scrollTop = viewport.scrollTopFor(y);
  }, [targetTick, rows, outline, viewport, clientHeight]);

  /** Opens the line's step (and those around it) and scrolls the line into view. */
  const revealIn = (segments: LogOutline['segments'], seq: number) => {
    expand(stepOfSeq(segments, seq));
    setFollowing(false);
    scrollTo({ kind: 'seq', seq });
  };
  const reveal = (seq: number) => revealIn(outline?.segments ?? [], seq);

  // ---- permalink, failure focus: once, when the outline first arrives ----
  const focusFirst = (loaded: LogOutline) => {
    if (initialHash !== null) {
      revealIn(loaded.segments, initialHash);
      return;
    }
    if (!isFailure(execution.status)) return;
    findFailureLine(execution, loaded).then(
      (found) => {
        if (found === null) {
          scrollTo({ kind: 'end' });
          return;
        }
        revealIn(loaded.segments, found.seq);
        setHighlightSeq(found.seq);
      },
      () => scrollTo({ kind: 'end' }),
    );
  };

  useLayoutEffect(() => {
    handlers.current = { focusFirst, reveal };
  });

  const onHashChange = useEffectEvent(() => {
    const seq = permalinkSeq();
    if (seq === null) return;
    setHighlightSeq(seq);
    reveal(seq);
  });
  useEffect(() => {
    const listener = () => onHashChange();
    window.addEventListener('hashchange', listener);
    return () => window.removeEventListener('hashchange', listener);
  }, []);

  const onPermalink = useCallback((seq: number) => {
    // replaceState keeps the router's own state and adds no history entry per click.
    window.history.replaceState(window.history.state, '', `#L${seq}`);
    setHighlightSeq(seq);
  }, []);

  const current = search.current;

  useImperativeHandle(
    ref,
    () => ({
      revealStep(stepId: number) {
        expand(stepsById.get(stepId)?.parentId);
        setFollowing(false);
        scrollTo({ kind: 'step', stepId });
      },
      focusSearch() {
        searchRef.current?.focus();
        searchRef.current?.select();
      },
    }),
    [expand, stepsById, scrollTo],
  );

  // ---- the window of rows ----
  const { first, last } = viewport.range(scrollTop, OVERSCAN);
  let firstSeq = Infinity;
  let lastSeq = 0;
  for (let i = first; i <= last; i++) {
    const row = rows.rowAt(i);
    if (row?.kind === 'line') {
      firstSeq = Math.min(firstSeq, row.seq);
      lastSeq = Math.max(lastSeq, row.seq);
    }
  }
  const knownLastSeq = outline?.lastSeq ?? 0;
  useEffect(() => {
    if (lastSeq > 0) cache.ensure(firstSeq, lastSeq, knownLastSeq);
  });

  const [timestamps, setTimestamps] = useState<TimestampMode>(() => {
    const saved = localStorage.getItem(TIMESTAMPS_KEY);
    return saved === 'absolute' || saved === 'relative' ? saved : 'off';
  });
  const startMs = execution.startedAt ? Date.parse(execution.startedAt) : null;
  const base = Math.floor(first / BASE_STEP) * BASE_STEP;
  const baseTop = base * ROW_HEIGHT - viewport.virtualTop(scrollTop) + scrollTop;
  const items: ReactNode[] = [];
  for (let i = first; i <= last; i++) {
    const row = rows.rowAt(i);
    if (row === undefined) continue;
    const top = (i - base) * ROW_HEIGHT;
    if (row.kind === 'header') {
      const step = stepsById.get(row.stepId) as Step;
      items.push(
        <StepHeader
          key={`s${row.stepId}`}
          step={step}
          depth={row.depth}
          top={top}
          collapsed={isCollapsed(row.stepId)}
          onToggle={toggle}
        />,
      );
    } else {
      items.push(
        <LineRow
          key={row.seq}
          seq={row.seq}
          line={cache.get(row.seq)}
          depth={row.depth}
          top={top}
          timestamps={timestamps}
          startMs={startMs}
          needle={search.needle}
          currentOccurrence={current?.seq === row.seq ? current.occurrence : -1}
          highlighted={highlightSeq === row.seq}
          onPermalink={onPermalink}
        />,
      );
    }
  }

  // At the end already (or everything fits): nothing to jump to.
  const atEnd = viewport.virtualTop(scrollTop) + clientHeight >= (rows.count - 1) * ROW_HEIGHT;
  const jumpToLatest = () => {
    targetRef.current = null;
    setFollowing(true);
  };

  return (
    <section className="log-viewer card" aria-label="Log">
      <LogToolbar
        search={search}
        searchRef={searchRef}
        timestamps={timestamps}
        onTimestamps={(mode) => {
          setTimestamps(mode);
          localStorage.setItem(TIMESTAMPS_KEY, mode);
        }}
        downloadUrl={rawLogUrl(executionId)}
        downloadName={`${fileSafe(execution.name)}-${executionId}.log`}
        lineCount={knownLastSeq}
      />
      <div
        className="log-scroller"
        ref={scrollerRef}
        onScroll={onScroll}
        tabIndex={0}
        data-testid="log-scroller"
        // A finished run's log is as tall as its lines (up to the viewport's height): a short log
        // must not push the artifacts and the resource chart below the fold. A running one keeps
        // the full height, so the page does not jump with every line; so does one whose outline
        // has not arrived (no rows yet: a long log would otherwise open at the minimum height).
        data-fit={outline === null || ACTIVE_STATUSES.has(execution.status) ? undefined : 'content'}
      >
        <div className="log-spacer" style={{ height: viewport.scrollHeight }}>
          <div className="log-window" style={{ transform: `translateY(${baseTop}px)` }} role="table">
            {items}
          </div>
        </div>
        {outline !== null && rows.count === 0 && (
          <div className="log-empty muted">
            {ACTIVE_STATUSES.has(execution.status) ? 'Waiting for output…' : 'No output.'}
          </div>
        )}
      </div>
      {!following && !atEnd && (
        <button type="button" className="button log-jump" onClick={jumpToLatest}>
          Jump to latest ↓
        </button>
      )}
    </section>
  );
}

/** A name usable in a file name: letters, digits, dot, dash and underscore; the rest become '-'. */
function fileSafe(name: string): string {
  const safe = name
    .replace(/[^\p{L}\p{N}._-]+/gu, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80);
  return safe === '' ? 'log' : safe;
}
