import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useMemo } from 'react';
import { useNavigate, useParams } from 'react-router';
import { apiFetch } from '../../api/client.js';
import type { Job } from '../../api/types.js';
import { PageHeader } from '../../components/page-header.js';
import { changedFields, jobFormFromJob, type JobFormValues } from '../../features/jobs/job-form-values.js';
import { jobKeys, useJob } from '../../features/jobs/job-queries.js';
import { JobForm } from './job-form.js';
import { JobUnavailable } from './job-unavailable.js';

/** Changes a job: only the fields that differ from the saved job are sent (`PATCH /api/jobs/:id`). */
export function EditJobPage() {
  const { id = '' } = useParams();
  const job = useJob(id);
  if (job.error) return <JobUnavailable title="Edit job" error={job.error} />;
  if (job.data === undefined) return <p className="page muted">Loading…</p>;
  // Keyed by the saved version: a save (or another tab's) starts the form from the new state.
  return <EditForm key={job.data.updatedAt} job={job.data} />;
}

function EditForm({ job }: { job: Job }) {
  const saved = useMemo(() => jobFormFromJob(job), [job]);
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const update = useMutation({
    mutationFn: (values: JobFormValues) =>
      apiFetch<Job>(`/api/jobs/${encodeURIComponent(job.id)}`, {
        method: 'PATCH',
        body: changedFields(values, saved),
      }),
    onSuccess: async (updated) => {
      queryClient.setQueryData(jobKeys.job(updated.id), updated);
      void queryClient.invalidateQueries({ queryKey: jobKeys.all });
      await navigate(`/jobs/${updated.id}`);
    },
  });
  return (
    <div className="page edit-job">
      <PageHeader title={`Edit ${job.name}`} />
      <JobForm
        initial={saved}
        label="Edit job"
        submitLabel="Save job"
        pendingLabel="Saving…"
        pending={update.isPending}
        error={update.error}
        editing
        envNames={job.envNames}
        cancelTo={`/jobs/${job.id}`}
        onSubmit={(values) => update.mutate(values)}
        onEdit={() => update.reset()}
      />
    </div>
  );
}
