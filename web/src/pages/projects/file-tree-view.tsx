import { useState } from 'react';
import { Link } from 'react-router';
import { formatAgo, formatBytes } from '../../format.js';
import type { TreeNode } from '../../features/projects/file-tree.js';

/**
 * The project's files: folders open and close (all open at first), a file opens in the editor
 * (its path is the page URL's `file`, so an open file is a link).
 */
export function FileTreeView({ nodes, selected }: { nodes: TreeNode[]; selected: string | null }) {
  return (
    <ul className="file-tree" aria-label="Files">
      {nodes.map((node) => (
        <TreeRow key={node.path} node={node} depth={0} selected={selected} />
      ))}
    </ul>
  );
}

function TreeRow({ node, depth, selected }: { node: TreeNode; depth: number; selected: string | null }) {
  const [open, setOpen] = useState(true);
  const indent = { paddingInlineStart: `${depth * 14 + 6}px` };
  const meta = (
    <span className="file-tree-meta muted">
      <span>{formatBytes(node.size)}</span>
      {node.modifiedAt && <span title={node.modifiedAt}>{formatAgo(node.modifiedAt)}</span>}
    </span>
  );
  if (node.type === 'file') {
    return (
      <li>
        <Link
          to={`?${new URLSearchParams({ file: node.path }).toString()}`}
          className="file-tree-row"
          style={indent}
          data-path={node.path}
          aria-current={node.path === selected ? 'page' : undefined}
        >
          <span className="file-tree-name">{node.name}</span>
          {meta}
        </Link>
      </li>
    );
  }
  return (
    <li>
      <button
        type="button"
        className="file-tree-row file-tree-folder"
        style={indent}
        aria-expanded={open}
        data-path={node.path}
        onClick={() => setOpen(!open)}
      >
        <span className="file-tree-name">
          <span aria-hidden="true">{open ? '▾' : '▸'}</span> {node.name}/
        </span>
        {meta}
      </button>
      {open && (
        <ul>
          {node.children.map((child) => (
            <TreeRow key={child.path} node={child} depth={depth + 1} selected={selected} />
          ))}
        </ul>
      )}
    </li>
  );
}
