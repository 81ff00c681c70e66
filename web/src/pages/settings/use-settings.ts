import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Static } from '@sinclair/typebox';
import { apiFetch } from '../../api/client.js';
import type {
  SettingsSchema,
  UpdateSettingsBodySchema,
} from '../../../../src/protocol/environment-schemas.js';

export type SettingsJson = Static<typeof SettingsSchema>;
export type SettingsChange = Static<typeof UpdateSettingsBodySchema>;

const SETTINGS_KEY = ['settings'] as const;

/** `GET /api/settings` (everyone signed in). */
export function useSettings() {
  return useQuery({
    queryKey: SETTINGS_KEY,
    queryFn: ({ signal }) => apiFetch<SettingsJson>('/api/settings', { signal }),
  });
}

/** `PUT /api/settings` (admins): the answer is the settings as now stored. */
export function useSaveSettings() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: SettingsChange) => apiFetch<SettingsJson>('/api/settings', { method: 'PUT', body }),
    onSuccess: (saved) => queryClient.setQueryData(SETTINGS_KEY, saved),
  });
}
