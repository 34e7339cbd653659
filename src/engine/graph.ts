// The graph as the control side sees it: nodes, ports and connections, with every rule of SPEC §1
// checked here. Each successful edit (or batch of edits) is emitted as a list of GraphOps, which the
// renderer applies at a block boundary — in this thread, or in a worker that keeps its own copy.

import type { NodeDefinition, NodePorts, PortSpec, PortSpecs, RenderHost } from './definition.js';
import { SynchrotronError, suggest } from './errors.js';
import { formatBytes, type Limits, limitError, valueBytes } from './limits.js';
import type { NodeRegistry } from './registry.js';
import { DEFAULT_TEMPO, validateTempo } from './tempo.js';
import {
  type ConnectionRef,
  type DataValue,
  dataEquals,
  EMPTY_RECORD,
  isDataValue,
  objectArray,
  type PortDirection,
  type PortRef,
  portKey,
} from './types.js';

export const MAX_NAME_LENGTH = 64;
const NAME_PATTERN = /^(?:[a-z]|_[a-z])[A-Za-z0-9_]*$/;

export interface GraphNode {
  readonly name: string;
  readonly type: string;
  readonly definition: NodeDefinition;
  /** The held value of a DataNode-like node; null for others. */
  value: DataValue;
  /** Facts shown to clients, e.g. `{Value: 440}`. Updated by edits and by the render side. */
  exports: Record<string, unknown>;
  /**
   * Its own ports: its type's `inputs`/`outputs`, or for types that declare `ports` (PatchNode, VoicesNode,
   * InletNode, OutletNode) what that answered for its structural values. Links validate against these.
   */
  inputs: PortSpecs;
  outputs: PortSpecs;
  /** Literal input values given with the node (`new VoicesNode(patch: "voice.syn", voices: 16)`): what
   * those inputs read while nothing is linked to them; structural ones are prepared from them. */
  readonly args: Record<string, DataValue>;
  /** Nodes it counts for against the node limit: 1, or more for a node holding a patch. */
  weight: number;
  /** For nodes holding patches: the revision of the patch (see NodePorts.revision). */
  revision?: string;
}

export type Connection = ConnectionRef;

/** One primitive edit. A batch of them is applied atomically at a block boundary. */
export type GraphOp =
  | {
      op: 'add';
      name: string;
      type: string;
      value: DataValue;
      /** Literal input values (absent: none). */
      args?: Record<string, DataValue>;
      /** The node's own ports, when they are not its type's. */
      inputs?: PortSpecs;
      outputs?: PortSpecs;
    }
  /** A node's ports (absent: its type's) or literal values changed; links to ports gone were unlinked first. */
  | {
      op: 'ports';
      name: string;
      inputs?: PortSpecs;
      outputs?: PortSpecs;
      args?: Record<string, DataValue>;
    }
  /** What a node's ports were built from changed (its patch file was edited): prepare it again. */
  | { op: 'reload'; name: string }
  | { op: 'remove'; name: string }
  | { op: 'rename'; from: string; to: string }
  | { op: 'link'; source: PortRef; sink: PortRef }
  | { op: 'unlink'; source: PortRef; sink: PortRef }
  | { op: 'set'; name: string; value: DataValue }
  /** The engine tempo (bpm) changes; it takes over from the current beat phase. */
  | { op: 'tempo'; bpm: number };

export interface GraphListener {
  /** A committed batch of edits (one script, one API call). */
  batch?(ops: readonly GraphOp[]): void;
  /** A node's exports changed (by an edit or by the render side). */
  exports?(name: string, exports: Record<string, unknown>): void;
}

export function validateNodeName(name: string): void {
  if (name.length > MAX_NAME_LENGTH) {
    throw new SynchrotronError(
      'invalid',
      `node name too long: ${name.length} characters (at most ${MAX_NAME_LENGTH})`,
    );
  }
  if (!NAME_PATTERN.test(name)) {
    throw new SynchrotronError(
      'invalid',
      `invalid node name \`${name}\`: a name starts with a lower-case letter (or _ and a lower-case letter) followed by letters, digits or _`,
    );
  }
}

function linkable(source: PortSpec, sink: PortSpec): boolean {
  if (source.kind === 'midi' || sink.kind === 'midi') return source.kind === sink.kind;
  return true; // stream/data mix freely: data → constant stream, stream → block as array
}

interface Snapshot {
  nodes: Map<string, GraphNode>;
  links: Map<string, Connection>;
  pending: number;
  tempo: number;
  valueBytes: number;
  fileNodes: number;
  weight: number;
  portsNodes: number;
}

/** What a reload did: nodes updated to their files' new text, and those whose new text was refused. */
export interface ReloadReport {
  reloaded: string[];
  failed: Array<{ node: string; message: string }>;
}

function samePorts(a: PortSpecs, b: PortSpecs): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

/** The limits a Graph enforces (the rest belong to the evaluator and the host). */
export type GraphLimits = Pick<Limits, 'maxNodes' | 'maxValueBytes' | 'maxOpenFiles'>;

const UNLIMITED: GraphLimits = {
  maxNodes: Number.POSITIVE_INFINITY,
  maxValueBytes: Number.POSITIVE_INFINITY,
  maxOpenFiles: Number.POSITIVE_INFINITY,
};

/** The declaration of `port` on one side of a node, own properties only (a port is never `toString`). */
function ownPort(specs: Record<string, PortSpec>, port: string): PortSpec | undefined {
  return Object.hasOwn(specs, port) ? specs[port] : undefined;
}

/** A node's record, made in this one place: every record shares the field layout primed at the file's end. */
function nodeRecord(
  name: string,
  type: string,
  definition: NodeDefinition,
  value: DataValue,
  exports: Record<string, unknown>,
  inputs: PortSpecs,
  outputs: PortSpecs,
  args: Record<string, DataValue>,
  weight: number,
): GraphNode {
  return { name, type, definition, value, exports, inputs, outputs, args, weight };
}

/** Each port declaration's names as its keys spell them (see canonicalPort). */
const portNames = new WeakMap<PortSpecs, Map<string, string>>();

/**
 * `port` as the declaration's own key: the same characters, but the one string V8 keeps for a property
 * name. A name read from a script is a fresh slice of its text; the render side compares link ports with
 * `===` against the declaration's keys thousands of times a build, and V8 optimizes that compare for the
 * kind of strings it has met: a slice arriving after the keys sent the plan code back to be recompiled
 * (rounds 2–3 of bench build-3000). Only for a port `ownPort` found.
 */
function canonicalPort(specs: PortSpecs, port: string): string {
  let names = portNames.get(specs);
  if (names === undefined) {
    names = new Map();
    for (const key of Object.keys(specs)) names.set(key, key);
    portNames.set(specs, names);
  }
  return names.get(port) ?? port;
}

export class Graph {
  readonly registry: NodeRegistry;
  private readonly host: RenderHost;
  private nodeMap = new Map<string, GraphNode>();
  /** Connections keyed by their sink (`node.port`): an input has at most one source. */
  private links = new Map<string, Connection>();
  private listeners = new Set<GraphListener>();
  private pending: GraphOp[] = objectArray();
  private depth = 0;
  private random: () => number;
  /** Beats per minute of the whole engine (TransportNode, MIDI clock out, $tempo). */
  private tempoValue = DEFAULT_TEMPO;
  /** What this graph may hold; every edit, from any entry point, is checked here. */
  readonly limits: GraphLimits;
  /** Sum of `valueBytes` over the held values, and the nodes that hold a file open (limits). */
  private valueTotal = 0;
  private fileNodes = 0;
  /** Sum of the nodes' weights: the expanded node count the node limit applies to. */
  private weightTotal = 0;
  /** Nodes whose type answers its own ports (a value change may change theirs). */
  private portsNodes = 0;
  private revisionCount = 0;

  constructor(
    registry: NodeRegistry,
    options: { host?: RenderHost; random?: () => number; limits?: Partial<GraphLimits> } = {},
  ) {
    this.registry = registry;
    this.host = options.host ?? {};
    this.random = options.random ?? Math.random;
    this.limits = { ...UNLIMITED, ...options.limits };
  }

  // ------------------------------------------------------------------------------- queries

  get size(): number {
    return this.nodeMap.size;
  }

  /** Nodes counted against the node limit: every node, with those inside patches and voices. */
  get expandedSize(): number {
    return this.weightTotal;
  }

  /** Changes with every committed batch and every exports update: answers built from the graph can be
   * reused while it stays the same. */
  get revision(): number {
    return this.revisionCount;
  }

  nodes(): GraphNode[] {
    return [...this.nodeMap.values()];
  }

  connections(): Connection[] {
    return [...this.links.values()];
  }

  /** The engine tempo in beats per minute. */
  get tempo(): number {
    return this.tempoValue;
  }

  hasNode(name: string): boolean {
    return this.nodeMap.has(name);
  }

  /** The node called `name`, or an error suggesting the nearest name. */
  node(name: string): GraphNode {
    const node = this.nodeMap.get(name);
    if (node) return node;
    const suggestion = suggest(name, this.nodeMap.keys());
    throw new SynchrotronError(
      'unknown_node',
      `unknown node \`${name}\`${suggestion ? ` — did you mean \`${suggestion}\`?` : ''}`,
      suggestion ? { suggestion } : {},
    );
  }

  /** The connection feeding an input, if any. */
  sourceOf(sink: PortRef): Connection | undefined {
    return this.links.get(portKey(sink));
  }

  /** Connections leaving an output. */
  sinksOf(source: PortRef): Connection[] {
    return this.connections().filter((c) => c.source.node === source.node && c.source.port === source.port);
  }

  /**
   * The values of a node's structural inputs (PortSpec.structural): each linked DataNode's value, else the
   * port's default. What its definition's `prepare` builds from.
   */
  structuralValues(name: string): Record<string, DataValue> {
    const node = this.node(name);
    return this.structuralOf(name, node.inputs, node.args);
  }

  /** Each structural input's value: its linked DataNode's, else its literal, else its default. */
  private structuralOf(
    name: string,
    inputs: PortSpecs,
    args: Record<string, DataValue>,
  ): Record<string, DataValue> {
    const values: Record<string, DataValue> = {};
    for (const [port, spec] of Object.entries(inputs)) {
      if (!spec.structural) continue;
      const link = this.links.get(`${name}.${port}`);
      values[port] = link
        ? (this.nodeMap.get(link.source.node)?.value ?? null)
        : Object.hasOwn(args, port)
          ? args[port]
          : (spec.default ?? null);
    }
    return values;
  }

  /** Checks that `ref` names an existing port of that direction and returns its declaration. */
  port(ref: PortRef, direction: PortDirection): PortSpec {
    const node = this.node(ref.node);
    const own = direction === 'input' ? node.inputs : node.outputs;
    const spec = ownPort(own, ref.port);
    if (spec) return spec;
    const other = direction === 'input' ? node.outputs : node.inputs;
    const names = Object.keys(own);
    if (ownPort(other, ref.port)) {
      throw new SynchrotronError(
        'invalid',
        `\`${portKey(ref)}\` is an ${direction === 'input' ? 'output' : 'input'}, not an ${direction}: links go from an output to an input` +
          (names.length ? ` (${direction}s of ${ref.node}: ${names.join(', ')})` : ''),
        { ports: names },
      );
    }
    const suggestion = suggest(ref.port, names);
    throw new SynchrotronError(
      'unknown_port',
      `${node.type} \`${ref.node}\` has no ${direction} \`${ref.port}\`` +
        (suggestion ? ` — did you mean \`${suggestion}\`?` : '') +
        (names.length ? ` (its ${direction}s: ${names.join(', ')})` : ` (it has no ${direction}s)`),
      { ports: names, ...(suggestion ? { suggestion } : {}) },
    );
  }

  /** A fresh name: `_` and five lower-case letters, unique in the graph. */
  inventName(): string {
    for (;;) {
      let name = '_';
      for (let i = 0; i < 5; i++) name += String.fromCharCode(97 + Math.floor(this.random() * 26));
      if (!this.nodeMap.has(name)) return name;
    }
  }

  // ------------------------------------------------------------------------------- edits

  /**
   * Adds a node. `args` gives literal values to its inputs (structural ones included: a PatchNode's
   * `path`), checked against its ports; a type with `ports` answers its own ports for them here.
   */
  addNode(
    type: string,
    name?: string,
    value: DataValue = null,
    args?: Record<string, DataValue>,
    /** Ports known already (a client mirroring a server's graph): the type's `ports` is not asked. */
    known?: NodePorts,
  ): GraphNode {
    const definition = this.registry.get(type);
    if (name === undefined) name = this.inventName();
    validateNodeName(name);
    if (this.nodeMap.has(name)) {
      throw new SynchrotronError(
        'conflict',
        `a node called \`${name}\` already exists (a ${this.nodeMap.get(name)!.type})`,
      );
    }
    if (!isDataValue(value))
      throw new SynchrotronError('invalid', 'a node value must be a number, string, boolean, null or array');
    if (this.weightTotal + 1 > this.limits.maxNodes) {
      throw limitError('maxNodes', `too many nodes: a graph holds at most ${this.limits.maxNodes}`);
    }
    const literal = args === undefined ? EMPTY_RECORD : this.checkArgs(definition, type, args);
    let inputs: PortSpecs = definition.inputs;
    let outputs: PortSpecs = definition.outputs;
    let weight = 1;
    let revision: string | undefined;
    if (definition.ports) {
      // No links yet: its structural values are its literals or defaults.
      const ports =
        known ?? this.answerPorts(definition, this.structuralOf(name, definition.inputs, literal));
      ({ inputs, outputs } = ports);
      weight = ports.weight ?? 1;
      revision = ports.revision;
      this.checkWeight(weight, 0, type);
      this.checkArgs(definition, type, literal, inputs);
    }
    if (definition.holdsFile && this.fileNodes >= this.limits.maxOpenFiles) {
      throw limitError(
        'maxOpenFiles',
        `too many open files: at most ${this.limits.maxOpenFiles} nodes may hold a file open (like this ${type})`,
      );
    }
    const bytes = definition.holdsValue ? this.checkValueBytes(value, 0) : 0;
    const node = nodeRecord(
      name,
      type,
      definition,
      definition.holdsValue ? value : null,
      definition.initialExports?.(value, this.host) ?? EMPTY_RECORD,
      inputs,
      outputs,
      literal,
      weight,
    );
    if (revision !== undefined) node.revision = revision;
    // Inside a batch (a script) there is nothing to snapshot: no closure per node (edit's fast path).
    if (this.depth > 0) return this.commitAdd(node, bytes);
    return this.edit(() => this.commitAdd(node, bytes));
  }

  private commitAdd(node: GraphNode, bytes: number): GraphNode {
    const definition = node.definition;
    this.nodeMap.set(node.name, node);
    this.valueTotal += bytes;
    this.weightTotal += node.weight;
    if (definition.ports) this.portsNodes++;
    if (definition.holdsFile) this.fileNodes++;
    this.pending.push(addOp(node));
    return node;
  }

  removeNode(name: string): GraphNode {
    const node = this.node(name);
    return this.edit(() => {
      this.removeLinks((c) => c.source.node === name || c.sink.node === name, name);
      this.nodeMap.delete(name);
      this.weightTotal -= node.weight;
      if (node.definition.ports) this.portsNodes--;
      if (node.definition.holdsValue) this.valueTotal -= valueBytes(node.value);
      if (node.definition.holdsFile) this.fileNodes--;
      this.pending.push({ op: 'remove', name });
      return node;
    });
  }

  renameNode(from: string, to: string): GraphNode {
    const node = this.node(from);
    if (from === to) return node;
    validateNodeName(to);
    if (this.nodeMap.has(to))
      throw new SynchrotronError('conflict', `a node called \`${to}\` already exists`);
    return this.edit(() => {
      const renamed: GraphNode = { ...node, name: to };
      // Keep insertion order: rebuild the map with the new key in the old place.
      this.nodeMap = new Map(
        [...this.nodeMap].map(([key, value]) => (key === from ? [to, renamed] : [key, value])),
      );
      const relinked = new Map<string, Connection>();
      for (const connection of this.links.values()) {
        const source =
          connection.source.node === from ? { ...connection.source, node: to } : connection.source;
        const sink = connection.sink.node === from ? { ...connection.sink, node: to } : connection.sink;
        relinked.set(portKey(sink), { source, sink });
      }
      this.links = relinked;
      this.pending.push({ op: 'rename', from, to });
      return renamed;
    });
  }

  /** Connects an output to an input, replacing the input's old source. */
  link(source: PortRef, sink: PortRef): Connection {
    const sourceSpec = this.port(source, 'output');
    const sinkSpec = this.port(sink, 'input');
    if (!linkable(sourceSpec, sinkSpec)) {
      throw new SynchrotronError(
        'invalid',
        `cannot link \`${portKey(source)}\` (${sourceSpec.kind}) to \`${portKey(sink)}\` (${sinkSpec.kind}): MIDI ports link only to MIDI ports`,
      );
    }
    if (sinkSpec.structural) {
      const feeder = this.node(source.node);
      if (!feeder.definition.holdsValue) {
        throw new SynchrotronError(
          'invalid',
          `\`${portKey(sink)}\` is structural (it sizes buffers or loads a file, off the render thread): it takes a value, not the output of a ${feeder.type} — e.g. \`new 5 v; link v.out -> ${portKey(sink)}\``,
        );
      }
    }
    const connection: Connection = {
      source: { node: source.node, port: canonicalPort(this.node(source.node).outputs, source.port) },
      sink: { node: sink.node, port: canonicalPort(this.node(sink.node).inputs, sink.port) },
    };
    if (this.depth > 0) return this.commitLink(connection, sinkSpec);
    return this.edit(() => this.commitLink(connection, sinkSpec));
  }

  private commitLink(connection: Connection, sinkSpec: PortSpec): Connection {
    const { sink } = connection;
    const key = portKey(sink);
    const old = this.links.get(key);
    if (old) this.pending.push({ op: 'unlink', source: old.source, sink: old.sink });
    this.links.set(key, connection);
    this.pending.push({ op: 'link', source: connection.source, sink });
    if (sinkSpec.structural) this.refreshPorts(sink.node);
    return connection;
  }

  /** Removes the connection from `source` to `sink`; null when there is none. */
  unlink(source: PortRef, sink: PortRef): Connection | null {
    this.port(source, 'output');
    this.port(sink, 'input');
    const existing = this.links.get(portKey(sink));
    if (!existing || portKey(existing.source) !== portKey(source)) return null;
    return this.edit(() => {
      this.links.delete(portKey(sink));
      this.pending.push({ op: 'unlink', source: existing.source, sink: existing.sink });
      if (this.port(sink, 'input').structural) this.refreshPorts(sink.node);
      return existing;
    });
  }

  /** Removes every connection of a node; returns how many. */
  unlinkNode(name: string): number {
    this.node(name);
    return this.removeLinks((c) => c.source.node === name || c.sink.node === name);
  }

  /** Removes every connection of one port (input or output); returns how many. */
  unlinkPort(ref: PortRef): number {
    const node = this.node(ref.node);
    const { inputs, outputs } = node;
    if (!ownPort(inputs, ref.port) && !ownPort(outputs, ref.port)) this.port(ref, 'input');
    const key = portKey(ref);
    return this.removeLinks((c) => portKey(c.source) === key || portKey(c.sink) === key);
  }

  /** Sets the held value of a DataNode-like node. */
  setValue(name: string, value: DataValue): GraphNode {
    const node = this.node(name);
    if (!node.definition.holdsValue) {
      throw new SynchrotronError(
        'invalid',
        `\`${name}\` is a ${node.type}, which holds no value (only DataNode does)`,
      );
    }
    if (!isDataValue(value))
      throw new SynchrotronError('invalid', 'a node value must be a number, string, boolean, null or array');
    if (dataEquals(node.value, value)) return node;
    const old = valueBytes(node.value);
    const bytes = this.checkValueBytes(value, old);
    return this.edit(() => {
      this.valueTotal += bytes - old;
      node.value = value;
      node.exports = { ...node.exports, ...(node.definition.initialExports?.(value, this.host) ?? {}) };
      this.pending.push({ op: 'set', name, value });
      // Nodes whose ports this value decides (a PatchNode's path) follow in the same batch.
      if (this.portsNodes === 0) return node;
      for (const c of this.connections()) {
        if (c.source.node !== name) continue;
        const sink = this.nodeMap.get(c.sink.node);
        if (sink?.definition.ports && ownPort(sink.inputs, c.sink.port)?.structural)
          this.refreshPorts(c.sink.node);
      }
      return node;
    });
  }

  /**
   * Sets the engine tempo (bpm, 20…999; anything else is refused). It lands at a block boundary and the beat
   * grid carries on from its current phase. `clear` leaves it alone: it belongs to the engine, not to a node.
   */
  setTempo(bpm: number): number {
    validateTempo(bpm);
    if (bpm === this.tempoValue) return bpm;
    return this.edit(() => {
      this.tempoValue = bpm;
      this.pending.push({ op: 'tempo', bpm });
      return bpm;
    });
  }

  clear(): number {
    const count = this.nodeMap.size;
    // In bulk: removing nodes one by one scans every connection each time (minutes for 20,000 nodes).
    this.edit(() => {
      for (const c of this.links.values())
        this.pending.push({ op: 'unlink', source: c.source, sink: c.sink });
      this.links.clear();
      for (const name of this.nodeMap.keys()) this.pending.push({ op: 'remove', name });
      this.nodeMap.clear();
      this.valueTotal = 0;
      this.weightTotal = 0;
      this.portsNodes = 0;
      this.fileNodes = 0;
    });
    return count;
  }

  /**
   * Runs `fn` as one batch: all of its edits take effect together at one block boundary, or — if it
   * throws — none do and the graph is exactly as before.
   */
  transaction<T>(fn: () => T): T {
    return this.edit(fn);
  }

  /** Render side published new exports for a node (merged into what clients see). */
  updateExports(name: string, exports: Record<string, unknown>): void {
    const node = this.nodeMap.get(name);
    if (!node) return;
    node.exports = { ...node.exports, ...exports };
    this.revisionCount++;
    for (const listener of this.listeners) listener.exports?.(name, node.exports);
  }

  on(listener: GraphListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Reads every patch file again and brings each node made from one (PatchNode, VoicesNode, and nodes
   * holding those inside) to its file's present text, as one batch: ports follow (links to ports gone are
   * removed), and the render side updates every instance at one block boundary, keeping the state of inner
   * nodes that did not change. A file that no longer loads (a mistake in it) is reported and its
   * instances keep the version they have.
   */
  reloadPatches(): ReloadReport {
    const report: ReloadReport = { reloaded: [], failed: [] };
    this.edit(() => {
      for (const node of [...this.nodeMap.values()]) {
        if (!node.definition.ports || node.revision === undefined) continue;
        try {
          if (this.refreshPorts(node.name)) report.reloaded.push(node.name);
        } catch (error) {
          report.failed.push({
            node: node.name,
            message: error instanceof Error ? error.message : String(error),
          });
        }
      }
    });
    return report;
  }

  /** The ops that would rebuild this graph from empty (for a renderer that joins late). */
  snapshotOps(): GraphOp[] {
    const ops: GraphOp[] = [];
    for (const node of this.nodeMap.values()) ops.push(addOp(node));
    for (const c of this.links.values()) ops.push({ op: 'link', source: c.source, sink: c.sink });
    if (this.tempoValue !== DEFAULT_TEMPO) ops.push({ op: 'tempo', bpm: this.tempoValue });
    return ops;
  }

  // ------------------------------------------------------------------------------- internals

  /** Removes the links that match; nodes whose ports a removed link decided follow (except `removing`). */
  private removeLinks(match: (c: Connection) => boolean, removing?: string): number {
    const doomed = this.connections().filter(match);
    if (doomed.length === 0) return 0;
    this.edit(() => {
      const refresh = new Set<string>();
      for (const c of doomed) {
        this.links.delete(portKey(c.sink));
        this.pending.push({ op: 'unlink', source: c.source, sink: c.sink });
        const sink = this.nodeMap.get(c.sink.node);
        if (
          c.sink.node !== removing &&
          sink?.definition.ports &&
          ownPort(sink.inputs, c.sink.port)?.structural
        )
          refresh.add(c.sink.node);
      }
      for (const name of refresh) if (this.nodeMap.has(name)) this.refreshPorts(name);
    });
    return doomed.length;
  }

  private answerPorts(definition: NodeDefinition, values: Record<string, DataValue>): NodePorts {
    return definition.ports!(values, { host: this.host, registry: this.registry });
  }

  /**
   * Asks a node's type for its ports again (its structural values changed, or its patch file did). New
   * ports take effect in this batch; links to ports that are gone, or that changed kind so the link no
   * longer fits, are removed first. Returns true when the revision changed (the node is prepared again).
   * Throws (refusing the edit) when the type cannot use the values or the node limit would be passed.
   */
  private refreshPorts(name: string): boolean {
    const node = this.nodeMap.get(name);
    if (!node?.definition.ports) return false;
    const ports = this.answerPorts(node.definition, this.structuralValues(name));
    const weight = ports.weight ?? 1;
    this.checkWeight(weight, node.weight, node.type);
    const changedPorts = !samePorts(node.inputs, ports.inputs) || !samePorts(node.outputs, ports.outputs);
    const changedRevision = node.revision !== ports.revision;
    if (changedPorts) {
      const fits = (c: Connection): boolean => {
        if (c.sink.node === name) {
          const spec = ownPort(ports.inputs, c.sink.port);
          const source = this.nodeMap.get(c.source.node);
          const sourceSpec = source && (c.source.node === name ? ports.outputs : source.outputs);
          const out = sourceSpec && ownPort(sourceSpec, c.source.port);
          if (!spec || !out || !linkable(out, spec)) return false;
          if (spec.structural && !source?.definition.holdsValue) return false;
        }
        if (c.source.node === name) {
          const spec = ownPort(ports.outputs, c.source.port);
          const sinkSpec = c.sink.node === name ? ports.inputs : this.nodeMap.get(c.sink.node)?.inputs;
          const into = sinkSpec && ownPort(sinkSpec, c.sink.port);
          if (!spec || !into || !linkable(spec, into)) return false;
        }
        return true;
      };
      for (const c of this.connections()) {
        if ((c.sink.node === name || c.source.node === name) && !fits(c)) {
          this.links.delete(portKey(c.sink));
          this.pending.push({ op: 'unlink', source: c.source, sink: c.sink });
        }
      }
      node.inputs = ports.inputs;
      node.outputs = ports.outputs;
      this.pending.push({ op: 'ports', name, inputs: ports.inputs, outputs: ports.outputs });
    }
    this.weightTotal += weight - node.weight;
    node.weight = weight;
    if (changedRevision) {
      node.revision = ports.revision;
      this.pending.push({ op: 'reload', name });
    }
    return changedRevision;
  }

  /** Refuses a node counting `weight` (replacing `replacing`) when the expanded count would pass maxNodes. */
  private checkWeight(weight: number, replacing: number, type: string): void {
    const total = this.weightTotal - replacing + weight;
    if (total <= this.limits.maxNodes) return;
    throw limitError(
      'maxNodes',
      `too many nodes: a graph holds at most ${this.limits.maxNodes}, counting the nodes inside patches and voices; ` +
        `this ${type} counts ${weight} and ${this.weightTotal - replacing} are there already`,
      { weight },
    );
  }

  /**
   * Literal input values, checked: each names an input of the node (among `inputs`, its type's ports when
   * absent), a stream input takes a number, a MIDI input none. Returns them as an own-properties record.
   */
  private checkArgs(
    definition: NodeDefinition,
    type: string,
    args: Record<string, DataValue>,
    inputs: PortSpecs = definition.inputs,
  ): Record<string, DataValue> {
    let any = false;
    for (const _ in args) {
      any = true;
      break;
    }
    if (!any) return EMPTY_RECORD;
    const checked: Record<string, DataValue> = {};
    for (const [port, value] of Object.entries(args)) {
      const spec = ownPort(inputs, port) ?? ownPort(definition.inputs, port);
      if (!spec) {
        const names = Object.keys(inputs).filter((p) => inputs[p].kind !== 'midi');
        const suggestion = suggest(port, names);
        throw new SynchrotronError(
          'unknown_port',
          `${type} has no input \`${port}\` to give a value` +
            (suggestion ? ` — did you mean \`${suggestion}\`?` : '') +
            (names.length ? ` (its inputs: ${names.join(', ')})` : ''),
          { ports: names, ...(suggestion ? { suggestion } : {}) },
        );
      }
      if (!isDataValue(value))
        throw new SynchrotronError(
          'invalid',
          `the value of \`${port}\` must be a number, string, boolean, null or array`,
        );
      if (spec.kind === 'midi')
        throw new SynchrotronError(
          'invalid',
          `\`${port}\` is a MIDI input: link a MIDI output to it instead of a value`,
        );
      if (spec.kind === 'stream' && typeof value !== 'number' && typeof value !== 'boolean')
        throw new SynchrotronError(
          'invalid',
          `\`${port}\` is a stream input: its value is a number, not ${value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`}`,
        );
      checked[port] = value;
    }
    if (definition.holdsValue && Object.keys(checked).length > 0)
      throw new SynchrotronError('invalid', `a ${type} takes its value with \`new VALUE\`, not input values`);
    return checked;
  }

  /**
   * The size `value` counts for, when it replaces a held value of `replacing` bytes; refused when the
   * graph's values would pass maxValueBytes together.
   */
  private checkValueBytes(value: DataValue, replacing: number): number {
    const room = this.limits.maxValueBytes - (this.valueTotal - replacing);
    const bytes = valueBytes(value, room);
    if (bytes > room) {
      throw limitError(
        'maxValueBytes',
        `values too large: a graph's values hold at most ${formatBytes(this.limits.maxValueBytes)} together; ` +
          `${formatBytes(this.valueTotal - replacing)} are held and this one needs more than the ${formatBytes(Math.max(0, room))} left`,
      );
    }
    return bytes;
  }

  private snapshot(): Snapshot {
    const nodes = new Map<string, GraphNode>();
    for (const [name, node] of this.nodeMap) nodes.set(name, { ...node, exports: { ...node.exports } });
    return {
      nodes,
      links: new Map(this.links),
      pending: this.pending.length,
      valueBytes: this.valueTotal,
      fileNodes: this.fileNodes,
      tempo: this.tempoValue,
      weight: this.weightTotal,
      portsNodes: this.portsNodes,
    };
  }

  private restore(snapshot: Snapshot): void {
    // Put the very objects back, so references callers held before the batch stay valid.
    for (const [name, copy] of snapshot.nodes) {
      const live = this.nodeMap.get(name);
      if (live && live.type === copy.type && live.name === copy.name) {
        live.value = copy.value;
        live.exports = copy.exports;
        live.inputs = copy.inputs;
        live.outputs = copy.outputs;
        live.weight = copy.weight;
        live.revision = copy.revision;
        snapshot.nodes.set(name, live);
      }
    }
    this.nodeMap = snapshot.nodes;
    this.links = snapshot.links;
    this.pending.length = snapshot.pending;
    this.tempoValue = snapshot.tempo;
    this.valueTotal = snapshot.valueBytes;
    this.fileNodes = snapshot.fileNodes;
    this.weightTotal = snapshot.weight;
    this.portsNodes = snapshot.portsNodes;
  }

  /** Runs `fn` as an edit: the outermost one snapshots first, restores on a throw and flushes after.
   * Inside a batch it only runs `fn` (so addNode and link call their commit directly there). */
  private edit<T>(fn: () => T): T {
    const outermost = this.depth === 0;
    const before = outermost ? this.snapshot() : undefined;
    this.depth++;
    let result: T;
    try {
      result = fn();
    } catch (error) {
      this.depth--;
      if (before) this.restore(before);
      throw error;
    }
    this.depth--;
    if (outermost) this.flush();
    return result;
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    this.revisionCount++;
    const ops = this.pending;
    this.pending = objectArray();
    // The names whose exports changed, only when someone listens for exports (the library and `render` do
    // not: a set of every new node's name was built for nothing).
    for (const listener of this.listeners) listener.batch?.(ops);
    let listening = false;
    for (const listener of this.listeners) if (listener.exports !== undefined) listening = true;
    if (!listening) return;
    const exportsChanged = new Set<string>();
    for (const op of ops) if (op.op === 'set' || op.op === 'add') exportsChanged.add(op.name);
    for (const name of exportsChanged) {
      const node = this.nodeMap.get(name);
      if (node) for (const listener of this.listeners) listener.exports?.(name, node.exports);
    }
  }
}

/** The op that adds `node` as it is now (literals and own ports included when it has them). */
function addOp(node: GraphNode): GraphOp {
  // Built in one shape, no spreads: one op per new node lives until the renderer applies the batch.
  const op: GraphOp = { op: 'add', name: node.name, type: node.type, value: node.value };
  if (node.args !== EMPTY_RECORD && Object.keys(node.args).length > 0) op.args = node.args;
  if (node.definition.ports !== undefined) {
    op.inputs = node.inputs;
    op.outputs = node.outputs;
  }
  return op;
}

// V8 stores a field in the narrowest form it has met (a small integer, a boxed number, any value). A value
// arrives boxed (110.0) from unoptimized code and as a small integer (110) once the evaluator is optimized,
// so the first such node widened `value` late and threw away all code built on the narrow form: in bench
// build-3000, the graph's and the renderer's optimized addNode in round 5. A record and an add op made
// once here with each kind have the general form from the start (docs/decisions.md).
for (const value of [0, null])
  addOp(
    nodeRecord(
      '',
      '',
      {} as NodeDefinition,
      value,
      EMPTY_RECORD,
      EMPTY_RECORD,
      EMPTY_RECORD,
      EMPTY_RECORD,
      1,
    ),
  );
