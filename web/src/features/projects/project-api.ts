import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Static } from '@sinclair/typebox';
import { ApiError, apiFetch, errorFrom, requestHeaders } from '../../api/client.js';
import type {
  FileWrittenSchema,
  ProjectJson,
  ProjectTreeSchema,
  ProjectVersionJson,
} from '../../../../src/protocol/project-schemas.js';

export type ProjectTree = Static<typeof ProjectTreeSchema>;
export type TreeEntry = ProjectTree['entries'][number];
type FileWritten = Static<typeof FileWrittenSchema>;

/** `/api/projects/NAME` + a sub-path, the name encoded once here. */
export function projectUrl(name: string, sub = ''): string {
  return `/api/projects/${encodeURIComponent(name)}${sub}`;
}

/** `…/file?path=P` (the path is one query value, so `/` in it stays as is). */
export function fileUrl(name: string, path: string): string {
  return `${projectUrl(name, '/file')}?${new URLSearchParams({ path }).toString()}`;
}

const PROJECTS_KEY = ['projects'] as const;
const projectKey = (name: string) => ['projects', name] as const;

export function useProjects() {
  return useQuery({
    queryKey: PROJECTS_KEY,
    queryFn: ({ signal }) => apiFetch<{ projects: ProjectJson[] }>('/api/projects', { signal }),
  });
}

export function useProject(name: string) {
  return useQuery({
    queryKey: [...projectKey(name), 'info'],
    queryFn: ({ signal }) => apiFetch<ProjectJson>(projectUrl(name), { signal }),
  });
}

export function useVersions(name: string) {
  return useQuery({
    queryKey: [...projectKey(name), 'versions'],
    queryFn: ({ signal }) =>
      apiFetch<{ versions: ProjectVersionJson[] }>(projectUrl(name, '/versions'), { signal }),
  });
}

export function useTree(name: string) {
  return useQuery({
    queryKey: [...projectKey(name), 'tree'],
    queryFn: ({ signal }) => apiFetch<ProjectTree>(projectUrl(name, '/tree'), { signal }),
  });
}

/** Every change makes a new version: the project, its versions and its tree are all stale after one. */
export function useRefreshProject(name: string): () => Promise<void> {
  const queryClient = useQueryClient();
  return async () => {
    await Promise.all([
      queryClient.invalidateQueries({ queryKey: projectKey(name) }),
      queryClient.invalidateQueries({ queryKey: PROJECTS_KEY, exact: true }),
    ]);
  };
}

/** The changes of one project: each refreshes what it made stale. */
export function useProjectActions(name: string) {
  const refresh = useRefreshProject(name);
  const rollback = useMutation({
    mutationFn: (version: number) =>
      apiFetch<ProjectJson>(projectUrl(name, '/rollback'), { method: 'POST', body: { version } }),
    onSuccess: refresh,
  });
  // Not awaited: the caller opens the file's new path (or none) first, so the panel of the old
  // path is gone before the new version would make it read a file that is no longer there.
  const move = useMutation({
    mutationFn: (body: { from: string; to: string }) =>
      apiFetch<ProjectVersionJson>(projectUrl(name, '/move'), { method: 'POST', body }),
    onSuccess: () => void refresh(),
  });
  const remove = useMutation({
    mutationFn: (path: string) => apiFetch<ProjectVersionJson>(fileUrl(name, path), { method: 'DELETE' }),
    onSuccess: () => void refresh(),
  });
  const create = useMutation({
    mutationFn: (path: string) => writeFile(name, path, '', null),
    onSuccess: refresh,
  });
  return { rollback, move, remove, create };
}

/** A file's text and the etag it was read with (the `If-Match` of the next save). */
export interface LoadedFile {
  etag: string;
  /** The project version it was read from. */
  version: number;
  /** Null when the bytes are not UTF-8 text (or too big to edit here): download only. */
  text: string | null;
  size: number;
}

/** Files above this are offered for download, not opened in the editor. */
const MAX_EDIT_BYTES = 5 * 1024 * 1024;

export async function readFile(name: string, path: string, signal?: AbortSignal): Promise<LoadedFile> {
  const response = await fetch(fileUrl(name, path), { headers: requestHeaders('GET'), signal });
  if (!response.ok) throw await errorFrom(response);
  const etag = response.headers.get('etag') ?? '';
  const version = Number(response.headers.get('x-stepflow-project-version'));
  const bytes = new Uint8Array(await response.arrayBuffer());
  const size = bytes.length;
  if (size > MAX_EDIT_BYTES || bytes.includes(0)) return { etag, version, text: null, size };
  try {
    return { etag, version, text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), size };
  } catch {
    // Not UTF-8: editing it as text would change its bytes on save.
    return { etag, version, text: null, size };
  }
}

/**
 * Writes a file (the next version). `etag` null: a new file (the server refuses it with 412 when
 * one exists). A 412 is an {@link ApiError} whose `details.etag` is the file's current etag.
 */
export async function writeFile(
  name: string,
  path: string,
  text: string,
  etag: string | null,
): Promise<FileWritten> {
  const headers = { ...requestHeaders('PUT'), 'content-type': 'application/octet-stream' };
  const response = await fetch(fileUrl(name, path), {
    method: 'PUT',
    headers: etag === null ? headers : { ...headers, 'if-match': etag },
    body: text,
  });
  if (!response.ok) throw await errorFrom(response);
  return (await response.json()) as FileWritten;
}

/**
 * When the error is a 412 (the file changed since it was read): the file's current etag, or null
 * when it was deleted meanwhile. Undefined for any other error.
 */
export function conflictOf(error: unknown): { etag: string | null } | undefined {
  if (!(error instanceof ApiError) || error.status !== 412) return undefined;
  const etag = (error.details as { etag?: unknown } | undefined)?.etag;
  return { etag: typeof etag === 'string' ? etag : null };
}
