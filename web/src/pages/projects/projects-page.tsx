import { useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { PageHeader } from '../../components/page-header.js';
import { QueryState } from '../../components/query-state.js';
import { useCan } from '../../app/session.js';
import { formatAgo, formatBytes } from '../../format.js';
import { useProjects, useVersions } from '../../features/projects/project-api.js';
import { NewProjectForm } from './new-project-form.js';
import './projects.css';

/** Every project (docs/WORKSPACE.md) with its current version's size; operators create new ones. */
export function ProjectsPage() {
  const list = useProjects();
  const canWrite = useCan('projects:write');
  const queryClient = useQueryClient();
  return (
    <div className="page projects">
      <PageHeader title="Projects" />
      {canWrite && (
        <NewProjectForm onCreated={() => queryClient.invalidateQueries({ queryKey: ['projects'] })} />
      )}
      <div className="card">
        <QueryState
          error={list.error}
          items={list.data?.projects}
          inCard
          empty="No projects yet. Create one here, or with: stepflow projects create NAME --from files.zip"
        >
          {(projects) => (
            <table className="data projects-table">
              <caption className="visually-hidden">Projects</caption>
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Version</th>
                  <th>Size</th>
                  <th>Updated</th>
                </tr>
              </thead>
              <tbody>
                {projects.map((project) => (
                  <tr key={project.id}>
                    <td>
                      <Link to={`/projects/${encodeURIComponent(project.name)}`}>{project.name}</Link>
                    </td>
                    <td>v{project.currentVersion}</td>
                    <td>
                      <CurrentSize name={project.name} version={project.currentVersion} />
                    </td>
                    <td title={project.updatedAt}>{formatAgo(project.updatedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </QueryState>
      </div>
    </div>
  );
}

/**
 * The current version's files and bytes. The list answer has no sizes, so each row asks for its
 * versions (a few rows; the request is cached with the project page's).
 */
function CurrentSize({ name, version }: { name: string; version: number }) {
  const versions = useVersions(name);
  const current = versions.data?.versions.find((item) => item.version === version);
  if (current === undefined) return <span className="muted">…</span>;
  return (
    <span>
      {formatBytes(current.bytes)} <span className="muted">({current.files} files)</span>
    </span>
  );
}
