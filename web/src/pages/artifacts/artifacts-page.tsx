import { useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router';
import { LoadMoreButton } from '../../components/load-more-button.js';
import { PageHeader } from '../../components/page-header.js';
import { useExecutionsFeed } from '../../features/executions-list/use-executions-feed.js';
import { ArtifactGroup } from './artifact-group.js';
import { groupByExecution } from './group-by-execution.js';
import { useArtifacts } from './use-artifacts.js';
import './artifacts.css';

/** Every artifact, grouped by the execution that recorded it; `?q=` filters (kept in the URL). */
export function ArtifactsPage() {
  const [params, setParams] = useSearchParams();
  const text = params.get('q') ?? '';
  const list = useArtifacts(text);
  // New artifacts come with executions: refresh the list when one starts or ends.
  useExecutionsFeed();
  const groups = groupByExecution(list.data?.pages.flatMap((page) => page.items) ?? []);

  return (
    <div className="page artifacts">
      <PageHeader title="Artifacts">
        <SearchBox key={text} initial={text} onSearch={(q) => setParams(q ? { q } : {})} />
      </PageHeader>
      {list.error ? (
        <p className="error-text" role="alert">
          {list.error.message}
        </p>
      ) : list.data === undefined ? (
        <p className="muted">Loading…</p>
      ) : groups.length === 0 ? (
        <p className="muted">
          {text
            ? 'No artifacts match.'
            : 'No artifacts yet. A script records one by printing ARTIFACT:path[:description].'}
        </p>
      ) : (
        <>
          {groups.map((group) => (
            <ArtifactGroup key={group.executionId} group={group} />
          ))}
          <LoadMoreButton list={list} />
        </>
      )}
    </div>
  );
}

function SearchBox({ initial, onSearch }: { initial: string; onSearch: (text: string) => void }) {
  const [text, setText] = useState(initial);
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    onSearch(text.trim());
  };
  return (
    <form role="search" className="artifact-search" onSubmit={onSubmit}>
      <label>
        <span className="visually-hidden">Search artifacts</span>
        <input
          type="search"
          value={text}
          placeholder="Path, description or execution"
          onChange={(event) => setText(event.target.value)}
        />
      </label>
      <button type="submit" className="button">
        Search
      </button>
    </form>
  );
}
