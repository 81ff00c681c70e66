import type { Ref } from 'react';
import { TIMESTAMP_MODES, type TimestampMode } from './log-time.js';
import type { LogSearch } from './use-log-search.js';
import { DownloadLink } from '../../components/download-link.js';

const MODE_LABELS: Record<TimestampMode, string> = {
  off: 'No times',
  absolute: 'Clock time',
  relative: 'Since start',
};

export interface LogToolbarProps {
  search: LogSearch;
  searchRef: Ref<HTMLInputElement>;
  timestamps: TimestampMode;
  onTimestamps(mode: TimestampMode): void;
  downloadUrl: string;
  downloadName: string;
  lineCount: number;
}

/** Search box with "N of TOTAL" and next/previous, the timestamps choice, the raw-log download. */
export function LogToolbar({
  search,
  searchRef,
  timestamps,
  onTimestamps,
  downloadUrl,
  downloadName,
  lineCount,
}: LogToolbarProps) {
  const count =
    search.query === ''
      ? ''
      : search.status === 'loading'
        ? 'Searching…'
        : search.status === 'error'
          ? (search.error ?? 'Search failed')
          : search.total === 0
            ? 'No matches'
            : `${search.current?.ordinal ?? 0} of ${search.total.toLocaleString('en-US')}`;
  return (
    <div className="log-toolbar">
      <div className="log-search" role="search">
        <input
          ref={searchRef}
          type="search"
          aria-label="Search the log"
          placeholder="Search the log"
          value={search.query}
          maxLength={200}
          onChange={(event) => search.setQuery(event.target.value)}
          onKeyDown={(event) => {
            if (event.key === 'Enter') {
              event.preventDefault();
              if (event.shiftKey) search.previous();
              else search.next();
            } else if (event.key === 'Escape') {
              event.preventDefault();
              search.clear();
            }
          }}
        />
        <span className="log-search-count" aria-live="polite" data-testid="log-search-count">
          {count}
        </span>
        <button
          type="button"
          className="button ghost"
          aria-label="Previous match"
          disabled={search.total === 0}
          onClick={search.previous}
        >
          ↑
        </button>
        <button
          type="button"
          className="button ghost"
          aria-label="Next match"
          disabled={search.total === 0}
          onClick={search.next}
        >
          ↓
        </button>
      </div>
      <div className="log-toolbar-end">
        <label className="log-times">
          <span className="visually-hidden">Timestamps</span>
          <select
            aria-label="Timestamps"
            value={timestamps}
            onChange={(event) => onTimestamps(event.target.value as TimestampMode)}
          >
            {TIMESTAMP_MODES.map((mode) => (
              <option key={mode} value={mode}>
                {MODE_LABELS[mode]}
              </option>
            ))}
          </select>
        </label>
        <span className="muted log-line-count">{lineCount.toLocaleString('en-US')} lines</span>
        <DownloadLink className="button" href={downloadUrl} filename={downloadName}>
          Download log
        </DownloadLink>
      </div>
    </div>
  );
}
