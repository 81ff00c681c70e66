import { useNavigate } from 'react-router';
import { useProjectActions } from '../../features/projects/project-api.js';

/** Rename (move) and delete the open file; each makes a new version (the mutations refresh the page). Delete asks first. */
export function FileActions({ project, path }: { project: string; path: string }) {
  const { move, remove } = useProjectActions(project);
  const navigate = useNavigate();
  const open = (file: string | null) =>
    navigate(file === null ? '?' : `?${new URLSearchParams({ file }).toString()}`, { replace: true });

  const rename = async () => {
    const to = window.prompt(`Rename or move ${path} to:`, path)?.trim();
    if (!to || to === path) return;
    const done = await move.mutateAsync({ from: path, to }).catch((error: Error) => {
      window.alert(`Could not rename ${path}: ${error.message}`);
      return null;
    });
    if (done === null) return;
    await open(to);
  };
  const del = async () => {
    if (!window.confirm(`Delete ${path}? It stays in the earlier versions (roll back to get it again).`))
      return;
    const done = await remove.mutateAsync(path).catch((error: Error) => {
      window.alert(`Could not delete ${path}: ${error.message}`);
      return null;
    });
    if (done === null) return;
    await open(null);
  };
  return (
    <>
      <button type="button" className="button" disabled={move.isPending} onClick={() => void rename()}>
        Rename
      </button>
      <button type="button" className="button danger" disabled={remove.isPending} onClick={() => void del()}>
        Delete
      </button>
    </>
  );
}
