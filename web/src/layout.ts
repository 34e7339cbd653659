// Auto-layout for graphs built without positions (from the console, another client or a .syn file):
// layers by render order — each node one column right of the deepest node feeding it.

import type { ApiConnection, ApiNode } from './api';
import type { Position } from './store';

export const COLUMN_WIDTH = 250;
const ROW_GAP = 36;

/** Rough drawn height of a node (header + ports + exports), px. */
export function estimateHeight(node: ApiNode): number {
  const rows = Math.max(node.inputs.length, node.outputs.length);
  const exportRows = node.type === 'DataNode' ? 1 : Object.keys(node.exports).length;
  return 46 + rows * 24 + exportRows * 20;
}

export function layeredLayout(
  nodes: ApiNode[],
  connections: ApiConnection[],
  origin: Position = { x: 0, y: 0 },
): Record<string, Position> {
  const names = new Set(nodes.map((n) => n.name));
  const depth = new Map<string, number>(nodes.map((n) => [n.name, 0]));
  const edges = connections.filter((c) => names.has(c.source.node_name) && names.has(c.sink.node_name));
  // Longest-path relaxation; bounded so a cycle (allowed: one-block delay) cannot loop forever.
  for (let round = 0; round < nodes.length; round++) {
    let changed = false;
    for (const c of edges) {
      const d = (depth.get(c.source.node_name) ?? 0) + 1;
      if (d > (depth.get(c.sink.node_name) ?? 0) && d < nodes.length) {
        depth.set(c.sink.node_name, d);
        changed = true;
      }
    }
    if (!changed) break;
  }
  const columns = new Map<number, ApiNode[]>();
  for (const node of nodes) {
    const d = depth.get(node.name) ?? 0;
    columns.set(d, [...(columns.get(d) ?? []), node]);
  }
  // Within a column, order nodes by the mean row of what feeds them, so edges cross less.
  const row = new Map<string, number>();
  const positions: Record<string, Position> = {};
  for (const d of [...columns.keys()].sort((a, b) => a - b)) {
    const column = columns.get(d)!;
    const score = (node: ApiNode) => {
      const feeds = edges
        .filter((c) => c.sink.node_name === node.name)
        .map((c) => row.get(c.source.node_name));
      const known = feeds.filter((v): v is number => v !== undefined);
      return known.length ? known.reduce((a, b) => a + b, 0) / known.length : Number.POSITIVE_INFINITY;
    };
    column.sort((a, b) => score(a) - score(b) || a.name.localeCompare(b.name));
    let y = origin.y;
    column.forEach((node, index) => {
      row.set(node.name, index);
      positions[node.name] = { x: origin.x + d * COLUMN_WIDTH, y };
      y += estimateHeight(node) + ROW_GAP;
    });
  }
  return positions;
}

/** Positions for the nodes that have none: all of them laid out, or the newcomers below the rest. */
export function placeMissing(
  nodes: ApiNode[],
  connections: ApiConnection[],
  positions: Record<string, Position>,
): Record<string, Position> {
  const missing = nodes.filter((n) => !positions[n.name]);
  if (!missing.length) return {};
  const placed = nodes.filter((n) => positions[n.name]);
  if (!placed.length) return layeredLayout(nodes, connections);
  let bottom = Number.NEGATIVE_INFINITY;
  let left = Number.POSITIVE_INFINITY;
  for (const node of placed) {
    const p = positions[node.name];
    bottom = Math.max(bottom, p.y + estimateHeight(node));
    left = Math.min(left, p.x);
  }
  return layeredLayout(missing, connections, { x: left, y: bottom + 60 });
}
