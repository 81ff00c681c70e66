import type { TreeEntry } from './project-api.js';

/** A folder or file of the tree view, its children sorted folders first, then by name. */
export interface TreeNode {
  name: string;
  path: string;
  type: 'file' | 'directory';
  size: number;
  modifiedAt: string;
  children: TreeNode[];
}

/**
 * Nests the API's flat list (`a`, `a/b.txt`) into folders. A folder the list leaves out but a
 * path implies is made up, so no file is ever lost from the view.
 */
export function buildTree(entries: readonly TreeEntry[]): TreeNode[] {
  const root: TreeNode = { name: '', path: '', type: 'directory', size: 0, modifiedAt: '', children: [] };
  const folders = new Map<string, TreeNode>([['', root]]);
  const folderOf = (path: string): TreeNode => {
    const known = folders.get(path);
    if (known) return known;
    const slash = path.lastIndexOf('/');
    const parent = folderOf(slash < 0 ? '' : path.slice(0, slash));
    const node: TreeNode = {
      name: path.slice(slash + 1),
      path,
      type: 'directory',
      size: 0,
      modifiedAt: '',
      children: [],
    };
    parent.children.push(node);
    folders.set(path, node);
    return node;
  };
  for (const entry of entries) {
    if (entry.type === 'directory') {
      Object.assign(folderOf(entry.path), { modifiedAt: entry.modifiedAt });
      continue;
    }
    const slash = entry.path.lastIndexOf('/');
    folderOf(slash < 0 ? '' : entry.path.slice(0, slash)).children.push({
      name: entry.path.slice(slash + 1),
      path: entry.path,
      type: 'file',
      size: entry.size,
      modifiedAt: entry.modifiedAt,
      children: [],
    });
  }
  sortAndSum(root);
  return root.children;
}

/** Sorts each level and gives each folder the total size of the files under it. */
function sortAndSum(node: TreeNode): number {
  if (node.type === 'file') return node.size;
  node.children.sort((a, b) =>
    a.type === b.type ? a.name.localeCompare(b.name) : a.type === 'directory' ? -1 : 1,
  );
  node.size = node.children.reduce((sum, child) => sum + sortAndSum(child), 0);
  return node.size;
}
