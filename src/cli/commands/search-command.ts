import { ERROR_CODES, isStepflowError, StepflowError } from '../../core/errors.js';
import type { RunSearchLineBody, RunSearchPageBody } from '../../protocol/run-search-schemas.js';
import type { ExecutionReadSource } from '../execution-source.js';
import { colorsFor, EXECUTION_ICONS, formatTime, paintStatus, type Colors } from '../format.js';
import { parseLimit, parseStatuses } from '../parse-options.js';

export interface SearchCommandOptions {
  json?: boolean;
  status?: string;
  since?: string;
  limit?: string;
}

/** Pages read past empty ones that stopped at the scan bound, before saying there is no match. */
const MAX_EMPTY_PAGES = 10;

/**
 * `stepflow search <text>`: runs whose log holds the text, newest first, with exact counts and
 * their first matching lines. Exits 0 when something matched, 1 when nothing did, 2 on a bad query
 * (as grep does).
 */
export async function searchCommand(
  source: ExecutionReadSource,
  text: string,
  options: SearchCommandOptions,
): Promise<number> {
  const status = parseStatuses(options.status);
  const limit = parseLimit(options.limit, 100) ?? 20;
  const request = {
    text,
    limit,
    ...(status ? { status } : {}),
    ...(options.since ? { since: options.since } : {}),
  };
  // A bad query is a usage error (exit 2), so exit 1 keeps meaning "no match", as with grep.
  let page = await source.search(request).catch((error: unknown) => {
    if (isStepflowError(error) && error.code === ERROR_CODES.VALIDATION) {
      throw new StepflowError(ERROR_CODES.USAGE, error.message);
    }
    throw error;
  });
  // A page can stop at its cost bound before finding anything; the next one goes on from there.
  for (
    let pages = 1;
    page.items.length === 0 && page.nextCursor !== null && pages < MAX_EMPTY_PAGES;
    pages++
  ) {
    page = await source.search({ ...request, cursor: page.nextCursor });
  }
  if (options.json) {
    process.stdout.write(`${JSON.stringify(page, null, 2)}\n`);
    return page.items.length > 0 ? 0 : 1;
  }
  const c = colorsFor(process.stdout);
  if (page.items.length === 0) {
    process.stderr.write(`No run's log holds ${JSON.stringify(text)}.\n`);
    return 1;
  }
  process.stdout.write(formatPage(c, page));
  if (page.nextCursor !== null) {
    process.stdout.write(
      c.dim(`More runs may match: narrow it with --status/--since, or page with --json's nextCursor.\n`),
    );
  }
  return 0;
}

function formatPage(c: Colors, page: RunSearchPageBody): string {
  let out = '';
  for (const { execution: e, total, lineTotal, lines } of page.items) {
    const counts = `${total} ${total === 1 ? 'match' : 'matches'} in ${lineTotal} ${lineTotal === 1 ? 'line' : 'lines'}`;
    out += `${c.bold(e.id)}  ${paintStatus(c, e.status, `${EXECUTION_ICONS[e.status]} ${e.status}`)}  ${formatTime(e.createdAt)}  ${e.name}  ${c.dim(counts)}\n`;
    const width = Math.max(...lines.map((l) => String(l.seq).length));
    for (const line of lines) {
      const step = line.stepName === null ? '' : c.dim(`[${line.stepName}] `);
      out += `  ${c.dim(`L${String(line.seq).padEnd(width)}`)}  ${step}${marked(c, line)}\n`;
    }
    if (lineTotal > lines.length)
      out += c.dim(`  … ${lineTotal - lines.length} more: stepflow logs ${e.id}\n`);
  }
  return out;
}

/** The excerpt with its matches in bold, control characters shown as `·` (never sent to the terminal). */
function marked(c: Colors, line: RunSearchLineBody): string {
  // eslint-disable-next-line no-control-regex
  const safe = line.text.replace(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g, '·');
  let out = line.clippedStart ? '…' : '';
  let at = 0;
  for (const [start, end] of line.highlights) {
    out += safe.slice(at, start) + c.bold(c.red(safe.slice(start, end)));
    at = end;
  }
  return out + safe.slice(at) + (line.clippedEnd ? '…' : '');
}
