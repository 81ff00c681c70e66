import type Database from 'better-sqlite3';
import type { ExecutionPage, ExecutionQuery } from '../store.js';

const MAX_PAGES = 64;

export interface ListingCache {
  /** The page for `query`: remembered while the database is unchanged, else read by `load`. */
  get(query: ExecutionQuery | undefined, load: () => ExecutionPage): ExecutionPage;
  /** This connection changed executions (`data_version` only counts other connections). */
  invalidate(): void;
}

/**
 * Dashboards poll the same listing many times a second while runs write every 100 ms: reading and
 * decoding 50 wide rows each time was the main cost of `GET /api/executions`. A page stays valid
 * until any connection commits: `PRAGMA data_version` (other connections: another process on the
 * same database, e.g. `stepflow run`) or {@link ListingCache.invalidate} (this one). Pages are
 * shared: read-only.
 */
export function createListingCache(db: Database.Database): ListingCache {
  const dataVersion = db.prepare('PRAGMA data_version').pluck();
  const pages = new Map<string, ExecutionPage>();
  let seenVersion: unknown;
  let ownChanges = 0;
  let seenOwnChanges = 0;
  return {
    get(query, load) {
      const version = dataVersion.get();
      if (version !== seenVersion || ownChanges !== seenOwnChanges) {
        pages.clear();
        seenVersion = version;
        seenOwnChanges = ownChanges;
      }
      const key = JSON.stringify(query ?? {});
      let page = pages.get(key);
      if (page === undefined) {
        page = load();
        if (pages.size >= MAX_PAGES) pages.clear();
        pages.set(key, page);
      }
      return page;
    },
    invalidate() {
      ownChanges++;
    },
  };
}
