import { DownloadLink } from '../../components/download-link.js';
import { QueryState } from '../../components/query-state.js';
import { formatAgo, formatBytes } from '../../format.js';
import { projectUrl, useProjectActions, useVersions } from '../../features/projects/project-api.js';

/** The kept versions, newest first: each downloadable as a ZIP; a rollback (asked first) makes one current. */
export function VersionsPanel({
  project,
  currentVersion,
  canWrite,
}: {
  project: string;
  currentVersion: number;
  canWrite: boolean;
}) {
  const versions = useVersions(project);
  const { rollback } = useProjectActions(project);
  const roll = (version: number) => {
    if (
      window.confirm(
        `Make version ${version} of ${project} current? Runs use it from now on and the next edit starts from it (the newer versions are kept).`,
      )
    )
      rollback.mutate(version);
  };
  return (
    <section className="card project-versions" aria-label="Versions">
      <div className="card-header">
        <h2>Versions</h2>
      </div>
      {rollback.error && (
        <p className="error-text empty" role="alert">
          {rollback.error.message}
        </p>
      )}
      <QueryState error={versions.error} items={versions.data?.versions} inCard empty="No versions.">
        {(items) => (
          <div className="projects-scroll">
            <table className="data versions-table">
              <thead>
                <tr>
                  <th>Version</th>
                  <th>Made by</th>
                  <th>What</th>
                  <th>Files</th>
                  <th>When</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {items.map((version) => (
                  <tr key={version.version} data-version={version.version}>
                    <td>
                      v{version.version}
                      {version.version === currentVersion && <span className="current-badge">current</span>}
                    </td>
                    <td>{version.createdBy ?? <span className="muted">—</span>}</td>
                    <td>
                      {version.source}
                      {version.note && <span className="muted">: {version.note}</span>}
                    </td>
                    <td>
                      {version.files} ({formatBytes(version.bytes)})
                    </td>
                    <td title={version.createdAt}>{formatAgo(version.createdAt)}</td>
                    <td className="versions-actions">
                      <DownloadLink
                        href={`${projectUrl(project, '/archive')}?version=${version.version}`}
                        className="button ghost"
                      >
                        ZIP
                      </DownloadLink>
                      {canWrite && version.version !== currentVersion && (
                        <button
                          type="button"
                          className="button"
                          disabled={rollback.isPending}
                          onClick={() => roll(version.version)}
                        >
                          Roll back
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryState>
    </section>
  );
}
