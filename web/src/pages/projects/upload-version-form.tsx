import { useRef, useState, type FormEvent } from 'react';
import { ProgressBar } from '../../components/progress-bar.js';
import { useArchiveUpload } from '../../features/projects/use-archive-upload.js';

/** Re-upload: a ZIP or tar.gz becomes the next version (the whole tree, replacing the current one's). */
export function UploadVersionForm({
  project,
  onUploaded,
}: {
  project: string;
  onUploaded: () => Promise<void>;
}) {
  const [file, setFile] = useState<File | null>(null);
  const input = useRef<HTMLInputElement>(null);
  const { upload, progress, error } = useArchiveUpload();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (file === null) return;
    const version = await upload(project, file);
    if (version === null) return;
    setFile(null);
    if (input.current) input.current.value = '';
    await onUploaded();
  };
  return (
    <form
      className="card project-upload"
      aria-label="Upload a new version"
      onSubmit={(event) => void submit(event)}
    >
      <label htmlFor="project-upload-file">New version from an archive (.zip, .tar.gz)</label>
      <input
        id="project-upload-file"
        ref={input}
        type="file"
        accept=".zip,.tar.gz,.tgz,application/zip,application/gzip"
        onChange={(event) => setFile(event.target.files?.[0] ?? null)}
      />
      <button type="submit" className="button" disabled={file === null || progress !== null}>
        Upload
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
