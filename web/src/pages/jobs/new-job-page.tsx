import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { apiFetch } from '../../api/client.js';
import type { Job } from '../../api/types.js';
import { PageHeader } from '../../components/page-header.js';
import { emptyJobForm, jobBody, type JobFormValues } from '../../features/jobs/job-form-values.js';
import { jobKeys } from '../../features/jobs/job-queries.js';
import { JobForm } from './job-form.js';

/** Creates a job (`POST /api/jobs`) and opens its page. */
export function NewJobPage() {
  const [initial] = useState(emptyJobForm);
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const create = useMutation({
    mutationFn: (values: JobFormValues) =>
      apiFetch<Job>('/api/jobs', { method: 'POST', body: jobBody(values) }),
    onSuccess: async (job) => {
      queryClient.setQueryData(jobKeys.job(job.id), job);
      void queryClient.invalidateQueries({ queryKey: jobKeys.lists() });
      await navigate(`/jobs/${job.id}`);
    },
  });
  return (
    <div className="page new-job">
      <PageHeader title="New job" />
      <JobForm
        initial={initial}
        label="New job"
        submitLabel="Create job"
        pendingLabel="Creating…"
        pending={create.isPending}
        error={create.error}
        cancelTo="/jobs"
        onSubmit={(values) => create.mutate(values)}
        onEdit={() => create.reset()}
      />
    </div>
  );
}
