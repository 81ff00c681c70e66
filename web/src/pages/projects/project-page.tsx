import { useState } from 'react';
import { useNavigate, useParams, useSearchParams } from 'react-router';
import { useCan } from '../../app/session.js';
import { DownloadLink } from '../../components/download-link.js';
import { PageHeader } from '../../components/page-header.js';
import { buildTree } from '../../features/projects/file-tree.js';
import {
  conflictOf,
  projectUrl,
  useProject,
  useProjectActions,
  useRefreshProject,
  useTree,
} from '../../features/projects/project-api.js';
import { defaultRunCommand } from '../../features/projects/run-command.js';
import { FileEditorPanel } from './file-editor-panel.js';
import { FileTreeView } from './file-tree-view.js';
import { RunForm } from './run-form.js';
import { UploadVersionForm } from './upload-version-form.js';
import { VersionsPanel } from './versions-panel.js';
import './projects.css';

/**
 * One project (docs/WORKSPACE.md, Dashboard): its files, the open file in the editor (`?file=`),
 * Run, the versions with rollback, and a new version from an archive. Viewers see it all read-only.
 */
export function ProjectPage() {
  const name = useParams().name ?? '';
  const [search] = useSearchParams();
  const selected = search.get('file');
  const project = useProject(name);
  const tree = useTree(name);
  const refresh = useRefreshProject(name);
  const { create } = useProjectActions(name);
  const navigate = useNavigate();
  const canWrite = useCan('projects:write');
  const canRun = useCan('runs:write');
  const [dirty, setDirty] = useState(false);

  if (project.error) {
    return (
      <div className="page project">
        <PageHeader title={name} />
        <p className="error-text" role="alert">
          {project.error.message}
        </p>
      </div>
    );
  }
  const currentVersion = project.data?.currentVersion;

  const newFile = async () => {
    const path = window
      .prompt('Path of the new file (folders are made as needed), e.g. scripts/build.sh')
      ?.trim();
    if (!path) return;
    const done = await create.mutateAsync(path).catch((error: Error) => {
      // A write without If-Match over an existing file is a 412: here, "it exists".
      window.alert(
        conflictOf(error) ? `${path} exists already.` : `Could not create ${path}: ${error.message}`,
      );
      return null;
    });
    if (done !== null) await navigate(`?${new URLSearchParams({ file: path }).toString()}`);
  };

  return (
    <div className="page project">
      <PageHeader
        title={name}
        actions={
          <DownloadLink href={projectUrl(name, '/archive')} className="button">
            Download ZIP
          </DownloadLink>
        }
      >
        {currentVersion !== undefined && <span className="muted">version {currentVersion}</span>}
      </PageHeader>
      <div className="project-layout">
        <section className="card project-files" aria-label="Project files">
          <div className="card-header">
            <h2>Files</h2>
            {canWrite && (
              <button
                type="button"
                className="button"
                disabled={create.isPending}
                onClick={() => void newFile()}
              >
                New file
              </button>
            )}
          </div>
          {tree.error ? (
            <p className="error-text empty" role="alert">
              {tree.error.message}
            </p>
          ) : tree.data === undefined ? (
            <p className="muted empty">Loading…</p>
          ) : tree.data.entries.length === 0 ? (
            <p className="muted empty">No files yet.{canWrite ? ' Upload an archive or add a file.' : ''}</p>
          ) : (
            <FileTreeView nodes={buildTree(tree.data.entries)} selected={selected} />
          )}
        </section>
        <div className="project-main">
          {selected !== null && currentVersion !== undefined ? (
            <FileEditorPanel
              // Keys: one panel per path, one run form per path (reset to its default command).
              key={`file:${name}:${selected}`}
              project={name}
              path={selected}
              currentVersion={currentVersion}
              canWrite={canWrite}
              onDirtyChange={setDirty}
              onChanged={refresh}
            />
          ) : (
            <p className="card muted empty">Open a file to see it{canWrite ? ' and edit it' : ''}.</p>
          )}
          {canRun && (
            <RunForm
              key={`run:${name}:${selected ?? ''}`}
              project={name}
              defaultCommand={selected === null ? '' : defaultRunCommand(selected)}
              unsaved={dirty}
            />
          )}
        </div>
      </div>
      {currentVersion !== undefined && (
        <VersionsPanel project={name} currentVersion={currentVersion} canWrite={canWrite} />
      )}
      {canWrite && <UploadVersionForm project={name} onUploaded={refresh} />}
    </div>
  );
}
