import { keepPreviousData, useInfiniteQuery } from '@tanstack/react-query';
import { apiFetch } from '../../api/client.js';
import type { ArtifactPageBody } from '../../../../src/protocol/api-schemas.js';

export type ArtifactItem = ArtifactPageBody['items'][number];

const PAGE_SIZE = 200;

/** `GET /api/artifacts`, newest execution first, by pages ("Load more"). */
export function useArtifacts(text: string) {
  return useInfiniteQuery({
    queryKey: ['artifacts', text],
    queryFn: ({ pageParam, signal }) =>
      apiFetch<ArtifactPageBody>('/api/artifacts', {
        query: { q: text, limit: PAGE_SIZE, cursor: pageParam },
        signal,
      }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.nextCursor ?? undefined,
    placeholderData: keepPreviousData,
  });
}
