// Auto-layout for graphs built without positions (from the console, another client or a .syn file):
// layers by render order — each node one column right of the deepest node feeding it.

import type { ApiConnection, ApiNode } from './api';
import { literal } from './lang';
import type { Position } from './store';

/** Flow units between columns and between nodes in a column: room for cables, no more (a laptop screen
 * must show a 20-node patch whole at a readable zoom). */
const COLUMN_GAP = 34;
const ROW_GAP = 14;

export type Size = { width: number; height: number };
export type Measure = (node: ApiNode) => Size;

/** Width of monospace text at the node's 11 px, and of its 12 px bold names. */
const MONO = 6.7;
const NAME = 7.4;

/**
 * Drawn size of a node before it has been drawn (header, value, ports, exports), from its text: close
 * enough that an automatic layout of nodes not yet drawn does not overlap them.
 */
export const estimateSize: Measure = (node) => {
  const header =
    node.name.length * NAME + (node.type === 'DataNode' ? 0 : (node.type.length - 4) * 6.2 + 8) + 22;
  if (node.type === 'DataNode') {
    const value = node.exports.Value;
    const text = typeof value === 'number' ? 10 : Math.min(16, Math.max(6, literal(value).length + 1)) + 1.2;
    const long = typeof value !== 'number' && literal(value).length > 28;
    return { width: Math.min(240, Math.max(84, header, text * MONO + 30)), height: long ? 74 : 46 };
  }
  const rows = Math.max(node.inputs.length, node.outputs.length);
  let widest = 0;
  for (let i = 0; i < rows; i++) {
    const a = node.inputs[i]?.port_name.length ?? 0;
    const b = node.outputs[i]?.port_name.length ?? 0;
    // An unlinked input may carry a 62 px control; outputs a scope toggle.
    const control =
      node.inputs[i] && !node.inputs[i].source && node.inputs[i].type === 'StreamInput' ? 66 : 0;
    widest = Math.max(widest, (a + b) * MONO + control + (b ? 18 : 0) + 30);
  }
  const exportRows = Object.entries(node.exports);
  const exportsWidth = Math.max(0, ...exportRows.map(([k, v]) => (k.length + String(v).length) * MONO + 24));
  return {
    width: Math.min(230, Math.max(88, header, widest, exportsWidth)),
    height: 40 + rows * 17 + (exportRows.length ? 6 + exportRows.length * 15 : 0),
  };
};

export function layeredLayout(
  nodes: ApiNode[],
  connections: ApiConnection[],
  origin: Position = { x: 0, y: 0 },
  size: Measure = estimateSize,
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
  // Sources (values, clocks…) sit just left of their first consumer, not all in the first column.
  for (const node of nodes) {
    if (edges.some((c) => c.sink.node_name === node.name)) continue;
    const sinks = edges
      .filter((c) => c.source.node_name === node.name)
      .map((c) => depth.get(c.sink.node_name) ?? 0);
    if (sinks.length) depth.set(node.name, Math.max(0, Math.min(...sinks) - 1));
  }
  const columns = new Map<number, ApiNode[]>();
  for (const node of nodes) {
    const d = depth.get(node.name) ?? 0;
    columns.set(d, [...(columns.get(d) ?? []), node]);
  }
  // Within a column, order nodes by the mean row of what feeds them, so edges cross less.
  const row = new Map<string, number>();
  const positions: Record<string, Position> = {};
  let x = origin.x;
  for (const d of [...columns.keys()].sort((a, b) => a - b)) {
    const column = columns.get(d)!;
    const score = (node: ApiNode) => {
      const feeds = edges
        .filter((c) => c.sink.node_name === node.name)
        .map((c) => row.get(c.source.node_name));
      const known = feeds.filter((v): v is number => v !== undefined);
      return known.length ? known.reduce((a, b) => a + b, 0) / known.length : Number.POSITIVE_INFINITY;
    };
    // Nodes linked to nothing go below the rest of their column, out of the signal's way.
    const isolated = (node: ApiNode) =>
      edges.some((c) => c.source.node_name === node.name || c.sink.node_name === node.name) ? 0 : 1;
    column.sort((a, b) => isolated(a) - isolated(b) || score(a) - score(b) || a.name.localeCompare(b.name));
    let y = origin.y;
    let width = 0;
    column.forEach((node, index) => {
      row.set(node.name, index);
      positions[node.name] = { x, y };
      const box = size(node);
      y += box.height + ROW_GAP;
      width = Math.max(width, box.width);
    });
    x += width + COLUMN_GAP;
  }
  return positions;
}

/** Positions for the nodes that have none: all of them laid out, or the newcomers below the rest. */
export function placeMissing(
  nodes: ApiNode[],
  connections: ApiConnection[],
  positions: Record<string, Position>,
  size: Measure = estimateSize,
): Record<string, Position> {
  const missing = nodes.filter((n) => !positions[n.name]);
  if (!missing.length) return {};
  const placed = nodes.filter((n) => positions[n.name]);
  if (!placed.length) return layeredLayout(nodes, connections, { x: 0, y: 0 }, size);
  let bottom = Number.NEGATIVE_INFINITY;
  let left = Number.POSITIVE_INFINITY;
  for (const node of placed) {
    const p = positions[node.name];
    bottom = Math.max(bottom, p.y + size(node).height);
    left = Math.min(left, p.x);
  }
  return layeredLayout(missing, connections, { x: left, y: bottom + 60 }, size);
}
