import { lazy, Suspense, useEffect, useEffectEvent, useRef, useState } from 'react';
import { DownloadLink } from '../../components/download-link.js';
import { formatBytes } from '../../format.js';
import { languageOf } from '../../features/projects/editor-language.js';
import {
  conflictOf,
  fileUrl,
  readFile,
  writeFile,
  type LoadedFile,
} from '../../features/projects/project-api.js';
import { useUnsavedWarning } from '../../features/projects/use-unsaved-warning.js';
import { FileActions } from './file-actions.js';

// Its own chunk: CodeMirror is fetched when a file is first opened (see code-editor.tsx).
const CodeEditor = lazy(() =>
  import('../../features/projects/code-editor.js').then((module) => ({ default: module.CodeEditor })),
);

interface Props {
  project: string;
  path: string;
  /** The project's current version: when it moves (a rollback, another editor), an unchanged file reloads. */
  currentVersion: number;
  canWrite: boolean;
  onDirtyChange: (dirty: boolean) => void;
  /** After a save, rename or delete (a new version). */
  onChanged: () => Promise<void>;
}

/**
 * One file in the editor: load it with its etag, save with `If-Match` (button or Ctrl/Cmd-S). A
 * 412 means someone changed it since it was opened: the panel says so and offers to reload (drop
 * these edits) or overwrite (save these edits over theirs, with their etag).
 */
export function FileEditorPanel({
  project,
  path,
  currentVersion,
  canWrite,
  onDirtyChange,
  onChanged,
}: Props) {
  const [file, setFile] = useState<LoadedFile | null>(null);
  const [loadError, setLoadError] = useState<Error | null>(null);
  // A new key remounts the editor with the newly loaded text.
  const [editorKey, setEditorKey] = useState(0);
  const text = useRef('');
  const [dirty, setDirty] = useState(false);
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<Error | null>(null);
  const [conflict, setConflict] = useState<{ etag: string | null } | null>(null);
  const [saved, setSaved] = useState(false);

  const show = (loaded: LoadedFile) => {
    text.current = loaded.text ?? '';
    setFile(loaded);
    setLoadError(null);
    setDirty(false);
    setConflict(null);
    setSaveError(null);
    setEditorKey((key) => key + 1);
  };
  // Reads the file and shows it (dropping edits): on opening, on Reload, on a version move.
  const reload = (signal?: AbortSignal) =>
    readFile(project, path, signal).then(show, (error: unknown) => {
      // Aborted: the panel closed; anything else is shown in its place.
      if (!signal?.aborted) setLoadError(error instanceof Error ? error : new Error(String(error)));
    });
  const load = useEffectEvent(reload);

  // One path per mount (the page keys the panel by it).
  useEffect(() => {
    const controller = new AbortController();
    void load(controller.signal);
    return () => controller.abort();
  }, []);

  // Only on a move of the version (not on a mismatch: the project's answer may be older than the
  // file's, and a rollback moves it down).
  const seenVersion = useRef(currentVersion);
  useEffect(() => {
    if (seenVersion.current === currentVersion) return;
    seenVersion.current = currentVersion;
    if (file !== null && file.version !== currentVersion && !dirty && !saving) void load();
  }, [currentVersion, file, dirty, saving]);

  useEffect(() => {
    onDirtyChange(dirty);
    // Closed (another file, none): nothing unsaved is left open.
    return () => onDirtyChange(false);
  }, [dirty, onDirtyChange]);
  useUnsavedWarning(dirty);

  const save = async (etag: string | null) => {
    if (file === null || file.text === null || saving) return;
    const content = text.current;
    setSaving(true);
    setSaveError(null);
    try {
      const written = await writeFile(project, path, content, etag);
      setFile({ ...file, etag: written.etag, text: content, version: written.version.version });
      setDirty(text.current !== content);
      setConflict(null);
      setSaved(true);
      await onChanged();
    } catch (error) {
      const conflictFound = conflictOf(error);
      if (conflictFound) {
        setConflict(conflictFound);
        // Someone made a new version: the tree and the versions show it too.
        await onChanged();
      } else setSaveError(error instanceof Error ? error : new Error(String(error)));
    } finally {
      setSaving(false);
    }
  };

  // Ctrl/Cmd-S saves wherever the focus is on the page (not the browser's "save page"), also
  // right after a dialog took the focus out of the editor.
  const saveShortcut = useEffectEvent((event: KeyboardEvent) => {
    if (!(event.ctrlKey || event.metaKey) || event.altKey || event.key.toLowerCase() !== 's') return;
    event.preventDefault();
    if (canWrite && file !== null && dirty) void save(file.etag);
  });
  useEffect(() => {
    window.addEventListener('keydown', saveShortcut);
    return () => window.removeEventListener('keydown', saveShortcut);
  }, []);

  const header = (
    <div className="card-header file-panel-header">
      <h2 className="mono file-panel-path">
        {path}
        {dirty && (
          <span className="unsaved-marker" title="Unsaved changes" aria-label="Unsaved changes">
            {' '}
            ●
          </span>
        )}
      </h2>
      <div className="file-panel-actions">
        {saved && !dirty && (
          <span className="muted" role="status">
            Saved
          </span>
        )}
        <DownloadLink href={fileUrl(project, path)} className="button">
          Download
        </DownloadLink>
        {canWrite && <FileActions project={project} path={path} />}
        {canWrite && file?.text != null && (
          <button
            type="button"
            className="button primary"
            disabled={!dirty || saving}
            onClick={() => void save(file.etag)}
            title="Save (Ctrl+S)"
          >
            {saving ? 'Saving…' : 'Save'}
          </button>
        )}
      </div>
    </div>
  );

  return (
    <section className="card file-panel" aria-label="Editor">
      {header}
      {conflict && (
        <div className="file-conflict" role="alert">
          <p>
            <strong>{path}</strong> changed since you opened it
            {conflict.etag === null ? ' (it was deleted)' : ''}. Reload to see the current file (your edits
            here are dropped), or overwrite it with your version.
          </p>
          <button type="button" className="button" onClick={() => void reload()}>
            Reload
          </button>
          <button type="button" className="button danger" onClick={() => void save(conflict.etag)}>
            Overwrite
          </button>
        </div>
      )}
      {saveError && (
        <p className="error-text file-panel-message" role="alert">
          {saveError.message}
        </p>
      )}
      {loadError ? (
        <p className="error-text file-panel-message" role="alert">
          {loadError.message}
        </p>
      ) : file === null ? (
        <p className="muted file-panel-message">Loading…</p>
      ) : file.text === null ? (
        <p className="muted file-panel-message">
          Not shown: a binary file or one over 5 MB ({formatBytes(file.size)}). Download it instead.
        </p>
      ) : (
        <Suspense fallback={<p className="muted file-panel-message">Loading the editor…</p>}>
          <CodeEditor
            key={editorKey}
            doc={file.text}
            language={languageOf(path)}
            readOnly={!canWrite}
            label={`Contents of ${path}`}
            onChange={(next) => {
              text.current = next;
              setDirty(next !== file.text);
            }}
          />
        </Suspense>
      )}
    </section>
  );
}
