import type { ReactNode } from 'react';
import { Link } from 'react-router';
import type { RunSearchHit, RunSearchLine } from '../../api/types.js';
import { LoadMoreButton } from '../../components/load-more-button.js';
import { QueryState } from '../../components/query-state.js';
import { StatusBadge } from '../../components/status-badge.js';
import type { useRunSearch } from './use-run-search.js';

const plural = (n: number, one: string, many: string) => `${n.toLocaleString()} ${n === 1 ? one : many}`;

/** Runs whose log holds the text: counts per run, and its first matching lines linking to them. */
export function RunSearchResults({ search }: { search: ReturnType<typeof useRunSearch> }) {
  const { list, query } = search;
  const pages = list.data?.pages ?? [];
  const hits = pages.flatMap((page) => page.items);
  const scanned = pages.reduce((n, page) => n + page.scannedRuns, 0);
  const stoppedEarly = pages.at(-1)?.truncated === true;
  return (
    <QueryState
      error={list.error}
      items={list.data === undefined ? undefined : hits}
      empty={
        stoppedEarly ? (
          <>
            No match in the {plural(scanned, 'run', 'runs')} searched so far. <LoadMoreButton list={list} />
          </>
        ) : (
          `No run’s log holds “${query}”.`
        )
      }
      emptyClassName="history-empty"
    >
      {() => (
        <div className="card history-results run-search-results">
          <ul className="run-search-list" aria-label="Runs whose log matches">
            {hits.map((hit) => (
              <RunSearchItem key={hit.execution.id} hit={hit} />
            ))}
          </ul>
          <div className="history-footer">
            <span className="muted" role="status">
              {plural(hits.length, 'run', 'runs')} with a match
              {list.hasNextPage
                ? stoppedEarly
                  ? ` (${plural(scanned, 'run', 'runs')} searched)`
                  : ' shown'
                : ''}
            </span>
            <LoadMoreButton list={list} />
          </div>
        </div>
      )}
    </QueryState>
  );
}

function RunSearchItem({ hit }: { hit: RunSearchHit }) {
  const { execution, total, lineTotal, lines } = hit;
  const href = `/executions/${encodeURIComponent(execution.id)}`;
  return (
    <li className="run-search-item">
      <div className="run-search-run">
        <StatusBadge status={execution.status} iconOnly />
        <Link to={href} className="run-search-name">
          {execution.name}
        </Link>
        <span className="muted">{new Date(execution.createdAt).toLocaleString()}</span>
        <span className="run-search-count">
          {plural(total, 'match', 'matches')} in {plural(lineTotal, 'line', 'lines')}
        </span>
      </div>
      <ol className="run-search-lines">
        {lines.map((line) => (
          <li key={line.seq}>
            <Link to={`${href}#L${line.seq}`} className="run-search-seq" aria-label={`Line ${line.seq}`}>
              {line.seq}
            </Link>
            {line.stepName !== null && <span className="run-search-step">{line.stepName}</span>}
            <code className="run-search-text">
              <Excerpt line={line} />
            </code>
          </li>
        ))}
      </ol>
    </li>
  );
}

/** The excerpt as text nodes (React escapes them), each match in a <mark>. */
function Excerpt({ line }: { line: RunSearchLine }) {
  const parts: ReactNode[] = [];
  let at = 0;
  for (const [start, end] of line.highlights) {
    if (start > at) parts.push(line.text.slice(at, start));
    parts.push(<mark key={start}>{line.text.slice(start, end)}</mark>);
    at = end;
  }
  parts.push(line.text.slice(at));
  return (
    <>
      {line.clippedStart && '…'}
      {parts}
      {line.clippedEnd && '…'}
    </>
  );
}
