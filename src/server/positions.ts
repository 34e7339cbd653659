// Where each node sits in the editor, kept by the server (GET/PUT /positions) so that a session restores the
// layout with the graph and every browser sees the same one. Positions follow the graph: a renamed node
// keeps its place, a removed node's is forgotten.

import { SynchrotronError } from '../engine/errors.js';
import type { Graph, GraphOp } from '../engine/graph.js';

export interface Position {
  x: number;
  y: number;
}

/** Coordinates beyond this are refused (a canvas is never that large; it keeps JSON numbers plain). */
const MAX_COORDINATE = 1e7;

/** `{x, y}` or `[x, y]` of finite numbers within ±MAX_COORDINATE, else undefined. */
export function toPosition(value: unknown): Position | undefined {
  let x: unknown;
  let y: unknown;
  if (Array.isArray(value)) [x, y] = value;
  else if (value && typeof value === 'object') ({ x, y } = value as { x?: unknown; y?: unknown });
  const ok = (v: unknown): v is number =>
    typeof v === 'number' && Number.isFinite(v) && Math.abs(v) <= MAX_COORDINATE;
  return ok(x) && ok(y) ? { x, y } : undefined;
}

export class NodePositions {
  private readonly graph: Graph;
  private readonly map = new Map<string, Position>();
  private readonly listeners = new Set<(changed: Record<string, Position | null>) => void>();

  constructor(graph: Graph) {
    this.graph = graph;
    graph.on({ batch: (ops) => this.follow(ops) });
  }

  /** Every known position, by node name (a plain object without prototype: names are data). */
  all(): Record<string, Position> {
    const out: Record<string, Position> = Object.create(null);
    for (const [name, position] of this.map) out[name] = position;
    return out;
  }

  get size(): number {
    return this.map.size;
  }

  /**
   * Sets positions of nodes (`null` forgets one). Entries for nodes the graph does not have are skipped —
   * another client may have removed them meanwhile — and reported back as skipped. A value that is not a
   * position is refused whole (nothing changes), naming the node.
   */
  set(patch: unknown): { changed: Record<string, Position | null>; skipped: string[] } {
    if (!patch || typeof patch !== 'object' || Array.isArray(patch)) {
      throw new SynchrotronError('invalid', 'positions are an object: {"node name": {"x": 10, "y": 20}, …}');
    }
    const wanted = new Map<string, Position | null>();
    for (const [name, value] of Object.entries(patch as Record<string, unknown>)) {
      if (value === null) {
        wanted.set(name, null);
        continue;
      }
      const position = toPosition(value);
      if (!position) {
        throw new SynchrotronError(
          'invalid',
          `the position of \`${name.slice(0, 100)}\` must be {"x": number, "y": number} (finite, within ±${MAX_COORDINATE})`,
        );
      }
      wanted.set(name, position);
    }
    const changed: Record<string, Position | null> = Object.create(null);
    const skipped: string[] = [];
    for (const [name, position] of wanted) {
      if (!this.graph.hasNode(name)) {
        skipped.push(name);
        continue;
      }
      const before = this.map.get(name);
      if (position === null) {
        if (!before) continue;
        this.map.delete(name);
      } else {
        if (before && before.x === position.x && before.y === position.y) continue;
        this.map.set(name, position);
      }
      changed[name] = position;
    }
    if (Object.keys(changed).length > 0) this.notify(changed);
    return { changed, skipped };
  }

  /** Called with what changed (null: forgotten), after every change. */
  onChange(listener: (changed: Record<string, Position | null>) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private follow(ops: readonly GraphOp[]): void {
    const changed: Record<string, Position | null> = Object.create(null);
    for (const op of ops) {
      if (op.op === 'remove' && this.map.delete(op.name)) changed[op.name] = null;
      else if (op.op === 'rename') {
        const position = this.map.get(op.from);
        if (!position) continue;
        this.map.delete(op.from);
        this.map.set(op.to, position);
        changed[op.from] = null;
        changed[op.to] = position;
      }
    }
    if (Object.keys(changed).length > 0) this.notify(changed);
  }

  private notify(changed: Record<string, Position | null>): void {
    for (const listener of this.listeners) listener(changed);
  }
}
