import { useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router';
import { LoadMoreButton } from '../../components/load-more-button.js';
import { PageHeader } from '../../components/page-header.js';
import { QueryState } from '../../components/query-state.js';
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
      <QueryState
        error={list.error}
        items={list.data === undefined ? undefined : groups}
        empty={
          text
            ? 'No artifacts match.'
            : 'No artifacts yet. A script records one by printing ARTIFACT:path[:description].'
        }
      >
        {() => (
          <>
            {groups.map((group) => (
              <ArtifactGroup key={group.executionId} group={group} />
            ))}
            <LoadMoreButton list={list} />
          </>
        )}
      </QueryState>
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
