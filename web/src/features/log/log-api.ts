import type { Static } from '@sinclair/typebox';
import type { LogOutlineSchema, LogSearchPageSchema } from '../../../../src/protocol/api-schemas.js';
import { apiFetch } from '../../api/client.js';
import type { LogPage } from '../../api/types.js';

/** The log endpoints the viewer pages from (types from the server's schemas). */

export type LogOutline = Static<typeof LogOutlineSchema>;
export type LogSearchPage = Static<typeof LogSearchPageSchema>;

const logsPath = (executionId: string) => `/api/executions/${encodeURIComponent(executionId)}/logs`;

export function fetchOutline(executionId: string, signal?: AbortSignal): Promise<LogOutline> {
  return apiFetch<LogOutline>(`${logsPath(executionId)}/outline`, { signal });
}

export function fetchLogPage(
  executionId: string,
  query: { after: number; limit: number; step?: number; stream?: string; q?: string },
  signal?: AbortSignal,
): Promise<LogPage> {
  return apiFetch<LogPage>(logsPath(executionId), { query, signal });
}

export function fetchSearch(
  executionId: string,
  query: { q: string; after: number; limit: number },
  signal?: AbortSignal,
): Promise<LogSearchPage> {
  return apiFetch<LogSearchPage>(`${logsPath(executionId)}/search`, { query, signal });
}

/** The raw masked log as text (what the download link points at). */
export function rawLogUrl(executionId: string): string {
  return `${logsPath(executionId)}?format=text`;
}
