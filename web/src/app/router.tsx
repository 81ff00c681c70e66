import { createBrowserRouter } from 'react-router';
import { ArtifactsPage } from '../pages/artifacts/artifacts-page.js';
import { DashboardPage } from '../pages/dashboard/dashboard-page.js';
import { ExecutionPage } from '../pages/execution/execution-page.js';
import { HistoryPage } from '../pages/history/history-page.js';
import { EditJobPage } from '../pages/jobs/edit-job-page.js';
import { JobPage } from '../pages/jobs/job-page.js';
import { JobsPage } from '../pages/jobs/jobs-page.js';
import { NewJobPage } from '../pages/jobs/new-job-page.js';
import { NewExecutionPage } from '../pages/new-execution/new-execution-page.js';
import { WorkersPage } from '../pages/workers/workers-page.js';
import { UsersPage } from '../pages/users/users-page.js';
import { TokensPage } from '../pages/tokens/tokens-page.js';
import { AuditPage } from '../pages/audit/audit-page.js';
import { PipelinesPage } from '../pages/pipelines/pipelines-page.js';
import { PipelineRunsPage } from '../pages/pipelines/pipeline-runs-page.js';
import { PipelineRunPage } from '../pages/pipelines/pipeline-run-page.js';
import { SavedPipelinePage } from '../pages/pipelines/saved-pipeline-page.js';
import { HostPage } from '../pages/host/host-page.js';
import { ProjectsPage } from '../pages/projects/projects-page.js';
import { ProjectPage } from '../pages/projects/project-page.js';
import { SettingsPage } from '../pages/settings/settings-page.js';
import { EnvironmentsPage } from '../pages/environments/environments-page.js';
import { Layout } from './layout.js';
import { NotFoundPage } from './not-found-page.js';

/** Every page of the dashboard; the server answers any of these paths with the app shell. */
export const router = createBrowserRouter([
  {
    element: <Layout />,
    children: [
      { index: true, element: <DashboardPage /> },
      { path: 'new', element: <NewExecutionPage /> },
      { path: 'executions/:id', element: <ExecutionPage /> },
      { path: 'history', element: <HistoryPage /> },
      { path: 'artifacts', element: <ArtifactsPage /> },
      { path: 'jobs', element: <JobsPage /> },
      { path: 'jobs/new', element: <NewJobPage /> },
      { path: 'jobs/:id', element: <JobPage /> },
      { path: 'jobs/:id/edit', element: <EditJobPage /> },
      { path: 'workers', element: <WorkersPage /> },
      { path: 'users', element: <UsersPage /> },
      { path: 'tokens', element: <TokensPage /> },
      { path: 'audit', element: <AuditPage /> },
      { path: 'pipelines', element: <PipelinesPage /> },
      { path: 'pipelines/runs', element: <PipelineRunsPage /> },
      { path: 'pipelines/runs/:id', element: <PipelineRunPage /> },
      { path: 'pipelines/saved/:name', element: <SavedPipelinePage /> },
      { path: 'host', element: <HostPage /> },
      { path: 'projects', element: <ProjectsPage /> },
      { path: 'projects/:name', element: <ProjectPage /> },
      { path: 'settings', element: <SettingsPage /> },
      { path: 'environments', element: <EnvironmentsPage /> },
      { path: '*', element: <NotFoundPage /> },
    ],
  },
]);
