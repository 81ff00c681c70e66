/**
 * Where each node of a pipeline graph goes: one column per dependency level (the server's: a node
 * sits one column right of the deepest node it needs), rows in the file's order within a column. Edges run from the
 * right side of a needed node to the left side of its dependant. Pure, so the page only draws.
 */

export interface GraphNodeInput {
  name: string;
  needs: readonly string[];
  /** Its dependency level, as the server computed it (0: needs nothing). */
  level: number;
}

interface PlacedNode<T extends GraphNodeInput> {
  node: T;
  level: number;
  row: number;
  x: number;
  y: number;
}

interface PlacedEdge {
  from: string;
  to: string;
  /** An SVG path: a horizontal S-curve between the two boxes. */
  path: string;
}

export interface GraphLayout<T extends GraphNodeInput> {
  nodes: PlacedNode<T>[];
  edges: PlacedEdge[];
  width: number;
  height: number;
}

export const NODE_WIDTH = 190;
export const NODE_HEIGHT = 48;
const COLUMN_GAP = 56;
const ROW_GAP = 14;
const MARGIN = 8;

export function layoutGraph<T extends GraphNodeInput>(nodes: readonly T[]): GraphLayout<T> {
  const rowsUsed: number[] = [];
  const placed = nodes.map((node) => {
    const { level } = node;
    const row = rowsUsed[level] ?? 0;
    rowsUsed[level] = row + 1;
    return {
      node,
      level,
      row,
      x: MARGIN + level * (NODE_WIDTH + COLUMN_GAP),
      y: MARGIN + row * (NODE_HEIGHT + ROW_GAP),
    };
  });
  const at = new Map(placed.map((p) => [p.node.name, p]));
  const edges: PlacedEdge[] = [];
  for (const target of placed) {
    for (const need of target.node.needs) {
      const source = at.get(need);
      if (source === undefined) continue;
      const x1 = source.x + NODE_WIDTH;
      const y1 = source.y + NODE_HEIGHT / 2;
      const x2 = target.x;
      const y2 = target.y + NODE_HEIGHT / 2;
      const bend = Math.max(24, (x2 - x1) / 2);
      edges.push({
        from: need,
        to: target.node.name,
        path: `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`,
      });
    }
  }
  const columns = rowsUsed.length;
  const rows = Math.max(1, ...rowsUsed);
  return {
    nodes: placed,
    edges,
    width: MARGIN * 2 + columns * NODE_WIDTH + Math.max(0, columns - 1) * COLUMN_GAP,
    height: MARGIN * 2 + rows * NODE_HEIGHT + Math.max(0, rows - 1) * ROW_GAP,
  };
}
