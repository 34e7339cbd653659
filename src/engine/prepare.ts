// Structural inputs (SPEC §6): values that size buffers or load files reach a node through its
// definition's `prepare`, run here on the control side, never on the render thread. The Preparer sits
// between the Graph and a renderer (in this thread, or a worker): it watches each committed batch for
// changed structural values, runs `prepare`, and sends the results as `configure` ops — in the same batch
// when `prepare` is synchronous (a new DelayNode has its line before its first block), in a later one when
// it is async (a file being read), dropping results a newer change made stale.

import type { NodeDefinition, PrepareContext, RenderHost } from './definition.js';
import type { Graph, GraphOp } from './graph.js';
import { type DataValue, dataEquals } from './types.js';

/** What a renderer applies at a block boundary: graph edits, and prepared structures for nodes. */
export type RenderOp = GraphOp | { op: 'configure'; name: string; prepared: unknown };

/** Reports from `prepare`: warnings (a missing file) for clients and logs. */
export interface PrepareEvent {
  kind: 'warning';
  node: string;
  message: string;
}

export interface PreparerOptions {
  graph: Graph;
  sampleRate: number;
  blockSize: number;
  /** Control-side services for `prepare` (readFile). */
  host: RenderHost;
  /** Receives `configure` ops of async prepares, as their own batch. */
  deliver(ops: RenderOp[]): void;
  onEvent?(event: PrepareEvent): void;
}

interface Entry {
  /** The node's current name (renames move the entry). */
  name: string;
  values: Record<string, DataValue>;
  /** Bumped by every prepare, so a slower, older result is recognised and dropped. */
  generation: number;
}

export class Preparer {
  private readonly options: PreparerOptions;
  private readonly entries = new Map<string, Entry>();
  private readonly pending = new Set<Promise<void>>();

  constructor(options: PreparerOptions) {
    this.options = options;
  }

  /** Number of async prepares still running. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /**
   * A committed batch of graph edits → the ops to send to the renderer: the batch itself, followed by
   * `configure` ops for nodes whose structural values changed and whose `prepare` answered at once.
   */
  process(ops: readonly GraphOp[]): RenderOp[] {
    const graph = this.options.graph;
    const touched = new Set<string>();
    let valueSources: Set<string> | undefined;
    let reloaded: Set<string> | undefined;
    for (const op of ops) {
      switch (op.op) {
        case 'add':
          if (graph.hasNode(op.name) && graph.node(op.name).definition.prepare) touched.add(op.name);
          break;
        case 'remove':
          this.entries.delete(op.name);
          touched.delete(op.name);
          break;
        case 'rename': {
          const entry = this.entries.get(op.from);
          if (entry) {
            this.entries.delete(op.from);
            entry.name = op.to;
            this.entries.set(op.to, entry);
          }
          if (touched.delete(op.from)) touched.add(op.to);
          break;
        }
        case 'link':
        case 'unlink':
          if (this.isStructural(op.sink.node, op.sink.port)) touched.add(op.sink.node);
          break;
        case 'set':
          valueSources ??= new Set();
          valueSources.add(op.name);
          break;
        case 'reload':
          // Same values, new file contents: prepare it even though its values did not change.
          if (graph.hasNode(op.name)) {
            touched.add(op.name);
            reloaded ??= new Set();
            reloaded.add(op.name);
          }
          break;
      }
    }
    if (valueSources) {
      for (const c of graph.connections()) {
        if (valueSources.has(c.source.node) && this.isStructural(c.sink.node, c.sink.port))
          touched.add(c.sink.node);
      }
    }
    if (touched.size === 0) return ops as RenderOp[];
    const out: RenderOp[] = [...ops];
    for (const name of touched) this.prepare(name, reloaded?.has(name) ?? false, out);
    return out;
  }

  /**
   * Every node prepared afresh, for a renderer that starts from the graph's snapshot (a replaced render
   * worker): sync results are appended to `out`, async ones delivered later.
   */
  prepareAll(out: RenderOp[]): RenderOp[] {
    const graph = this.options.graph;
    for (const node of graph.nodes()) if (node.definition.prepare) this.prepare(node.name, true, out);
    return out;
  }

  /** Resolves when no async prepare is running (offline renders wait for their files). */
  async ready(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  // ------------------------------------------------------------------------------- internals

  private isStructural(node: string, port: string): boolean {
    const graph = this.options.graph;
    if (!graph.hasNode(node)) return false;
    const inputs = graph.node(node).inputs;
    return Object.hasOwn(inputs, port) && inputs[port].structural === true;
  }

  private prepare(name: string, force: boolean, out: RenderOp[]): void {
    const graph = this.options.graph;
    if (!graph.hasNode(name)) return;
    const node = graph.node(name);
    const definition = node.definition as NodeDefinition;
    if (!definition.prepare) return;
    const values = graph.structuralValues(name);
    let entry = this.entries.get(name);
    if (entry && !force && sameValues(entry.values, values)) return;
    if (!entry) {
      entry = { name, values, generation: 0 };
      this.entries.set(name, entry);
    }
    entry.values = values;
    const generation = ++entry.generation;
    const current = entry;
    const live = () => this.entries.get(current.name) === current && current.generation === generation;
    const context: PrepareContext = {
      name,
      type: node.type,
      sampleRate: this.options.sampleRate,
      blockSize: this.options.blockSize,
      host: this.options.host,
      registry: graph.registry,
      publish: (exports) => {
        if (live()) graph.updateExports(current.name, exports);
      },
      warn: (message) => {
        if (live()) this.options.onEvent?.({ kind: 'warning', node: current.name, message });
      },
    };
    let result: unknown;
    try {
      result = definition.prepare(values, context);
    } catch (error) {
      context.warn(`could not prepare: ${messageOf(error)}`);
      return;
    }
    if (!isThenable(result)) {
      out.push({ op: 'configure', name, prepared: result });
      return;
    }
    const task = Promise.resolve(result).then(
      (prepared) => {
        if (live()) this.options.deliver([{ op: 'configure', name: current.name, prepared }]);
      },
      (error: unknown) => context.warn(`could not prepare: ${messageOf(error)}`),
    );
    const tracked = task.finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }
}

function sameValues(a: Record<string, DataValue>, b: Record<string, DataValue>): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => Object.hasOwn(b, key) && dataEquals(a[key], b[key]));
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'
  );
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
