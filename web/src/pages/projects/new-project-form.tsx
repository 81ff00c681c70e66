import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { apiFetch } from '../../api/client.js';
import { ProgressBar } from '../../components/progress-bar.js';
import { projectUrl } from '../../features/projects/project-api.js';
import { useArchiveUpload } from '../../features/projects/use-archive-upload.js';
import type { ProjectJson } from '../../../../src/protocol/project-schemas.js';

/**
 * "New project": a name and, optionally, a ZIP or tar.gz that becomes version 2. As
 * `stepflow projects create --from` does, a refused archive deletes the just-created project
 * again, so trying once more with a fixed archive needs no clean-up; the server's message (the
 * entry and the rule) is shown.
 */
export function NewProjectForm({ onCreated }: { onCreated: () => Promise<void> }) {
  const [name, setName] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [busy, setBusy] = useState(false);
  const { upload, progress, error, setError } = useArchiveUpload();
  const navigate = useNavigate();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const project = await apiFetch<ProjectJson>('/api/projects', { method: 'POST', body: { name } });
      if (file !== null && (await upload(project.name, file)) === null) {
        // Refused or failed: leave nothing half-made. The upload's message is the one shown; a
        // delete that fails too leaves an empty project in the list, which says so itself.
        await apiFetch(projectUrl(project.name), { method: 'DELETE' }).catch(() => undefined);
        await onCreated();
        return;
      }
      await onCreated();
      await navigate(`/projects/${encodeURIComponent(project.name)}`);
    } catch (failure) {
      setError(failure instanceof Error ? failure : new Error(String(failure)));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card project-form" aria-label="New project" onSubmit={(event) => void submit(event)}>
      <label htmlFor="project-name">Name</label>
      <input
        id="project-name"
        value={name}
        maxLength={64}
        placeholder="site, nightly-etl…"
        autoComplete="off"
        onChange={(event) => setName(event.target.value)}
      />
      <label htmlFor="project-archive">Files (optional)</label>
      <input
        id="project-archive"
        type="file"
        accept=".zip,.tar.gz,.tgz,application/zip,application/gzip"
        onChange={(event) => setFile(event.target.files?.[0] ?? null)}
      />
      <button type="submit" className="button primary" disabled={name.trim() === '' || busy}>
        {file === null ? 'Create empty project' : 'Create and upload'}
      </button>
      {progress !== null && <ProgressBar fraction={progress} label="Upload progress" />}
      {error && (
        <p className="error-text project-form-error" role="alert">
          {error.message}
        </p>
      )}
    </form>
  );
}
