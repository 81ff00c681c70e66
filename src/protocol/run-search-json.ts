import { lineExcerpt } from '../core/search/line-excerpt.js';
import { searchNeedle } from '../core/search/log-text-search.js';
import type { RunSearchPage } from '../core/search/run-search.js';
// Types only: the schemas' module loads TypeBox, which the CLI's reads should not pay for.
import type { RunSearchPageBody } from './run-search-schemas.js';

/** The store's page as the API sends it: each line reduced to an excerpt with its matches marked. */
export function toRunSearchPageJson(page: RunSearchPage, text: string): RunSearchPageBody {
  const needle = searchNeedle(text);
  return {
    ...page,
    items: page.items.map(({ execution, total, lineTotal, lines }) => ({
      execution,
      total,
      lineTotal,
      lines: lines.map(({ text: raw, ...line }) => ({ ...line, ...lineExcerpt(raw, needle) })),
    })),
  };
}
