import { useQuery } from '@tanstack/react-query';
import { apiFetch } from '../../api/client.js';
import { FormField } from '../../components/form-field.js';
import type { SavedPipelineListBody } from '../../../../src/protocol/pipeline-file-schemas.js';

/** A pipeline job's saved pipeline: a select of those saved (GET /api/pipelines). */
export function SavedPipelineField({
  value,
  onChange,
  error,
}: {
  value: string;
  onChange: (name: string) => void;
  error: string | undefined;
}) {
  const list = useQuery({
    queryKey: ['pipelines'],
    queryFn: ({ signal }) => apiFetch<SavedPipelineListBody>('/api/pipelines', { signal }),
  });
  const names = (list.data?.items ?? []).map((item) => item.name);
  return (
    <FormField
      label="Saved pipeline"
      hint={
        list.error
          ? `The saved pipelines could not be read: ${list.error.message}`
          : 'Each fire runs it as it is then (docs/JOBS.md, "Pipeline jobs").'
      }
      error={error}
    >
      <select value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">choose a pipeline…</option>
        {/* A saved name no longer in the list (deleted) stays shown, so the form says what it is. */}
        {value !== '' && !names.includes(value) ? <option value={value}>{value}</option> : null}
        {names.map((name) => (
          <option key={name} value={name}>
            {name}
          </option>
        ))}
      </select>
    </FormField>
  );
}
