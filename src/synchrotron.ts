// The library API: a graph and a renderer in one object, for offline rendering, tests and embedding.
// `new Synchrotron({sampleRate, blockSize})`, add nodes, link them, render blocks. The server uses the
// same Graph with a Renderer in a worker thread instead.

import type { RenderHost } from './engine/definition.js';
import { SynchrotronError } from './engine/errors.js';
import {
  type Connection,
  Graph,
  type GraphListener,
  type GraphNode,
  type ReloadReport,
} from './engine/graph.js';
import type { Limits } from './engine/limits.js';
import { Preparer } from './engine/prepare.js';
import { NodeRegistry } from './engine/registry.js';
import { type RenderEvent, Renderer, type RendererOptions } from './engine/renderer.js';
import type { DataValue, PortRef } from './engine/types.js';
import { type ExecuteResult, execute, exportScript, PatchLoader } from './lang/index.js';
import { builtinNodes } from './nodes/index.js';

export interface SynchrotronOptions {
  /** Frames per second, default 44100. */
  sampleRate?: number;
  /** Frames per block, a power of two from 16 to 4096, default 128. */
  blockSize?: number;
  /** Files, MIDI ports and device name available to nodes (none by default: pure offline). */
  host?: RenderHost;
  /** Node types; the built-ins by default. */
  registry?: NodeRegistry;
  /** Source of randomness for invented names (tests pass a seeded one). */
  random?: () => number;
  /** Limits on nodes, values and script results (none by default; the server's are in src/io/security.ts). */
  limits?: Partial<Limits>;
  /**
   * Makes the renderer (default: a Renderer). Node programs pass a ThreadedRenderer (src/io/render-threads.ts)
   * to render independent parts of the graph on several threads.
   */
  createRenderer?: (options: RendererOptions) => Renderer;
}

/** `"node.port"` or `{node, port}` → PortRef. */
export function toPortRef(ref: string | PortRef): PortRef {
  if (typeof ref !== 'string') {
    // Plain JavaScript callers can pass anything: say what was wrong instead of a TypeError deep inside.
    const { node, port } = (ref ?? {}) as Partial<PortRef>;
    if (typeof node === 'string' && typeof port === 'string') return ref;
    throw new SynchrotronError(
      'invalid',
      `expected a port as \`node.port\` or {node, port}, got ${ref === null ? 'null' : typeof ref === 'object' ? JSON.stringify(ref) : String(ref)}`,
    );
  }
  const dot = ref.indexOf('.');
  if (dot <= 0 || dot === ref.length - 1) {
    throw new SynchrotronError('invalid', `expected a port as \`node.port\`, got \`${ref}\``);
  }
  return { node: ref.slice(0, dot), port: ref.slice(dot + 1) };
}

export function createRegistry(): NodeRegistry {
  return new NodeRegistry(builtinNodes);
}

export class Synchrotron {
  readonly graph: Graph;
  readonly renderer: Renderer;
  private readonly preparer: Preparer;
  private readonly maxResultBytes: number | undefined;
  private readonly eventListeners = new Set<(event: RenderEvent) => void>();
  private disposed = false;

  /** Patch files read for PatchNode and VoicesNode (when the host reads files: `readFileSync`). */
  readonly patches: PatchLoader | undefined;

  constructor(options: SynchrotronOptions = {}) {
    const registry = options.registry ?? createRegistry();
    const host = options.host ?? {};
    // The control side's host: the render host plus patch files, read through its confined reader.
    let control: RenderHost = host;
    if (host.readFileSync && !host.loadPatch) {
      const readFileSync = host.readFileSync.bind(host);
      this.patches = new PatchLoader({
        registry,
        readFile: (path, readOptions) => readFileSync(path, readOptions),
        limits: options.limits,
        sampleRate: options.sampleRate ?? 44100,
        blockSize: options.blockSize ?? 128,
      });
      control = Object.create(host) as RenderHost;
      control.loadPatch = (path) => this.patches!.load(path);
    }
    const rendererOptions: RendererOptions = {
      sampleRate: options.sampleRate ?? 44100,
      blockSize: options.blockSize ?? 128,
      registry,
      host,
      onEvent: (event) => this.dispatch(event),
    };
    this.renderer = options.createRenderer?.(rendererOptions) ?? new Renderer(rendererOptions);
    this.graph = new Graph(registry, { host: control, random: options.random, limits: options.limits });
    this.maxResultBytes = options.limits?.maxResultBytes;
    this.preparer = new Preparer({
      graph: this.graph,
      sampleRate: this.renderer.sampleRate,
      blockSize: this.renderer.blockSize,
      host: control,
      deliver: (ops) => {
        if (!this.disposed) this.renderer.enqueue(ops);
      },
      onEvent: (event) => this.dispatch(event),
    });
    this.graph.on({ batch: (ops) => this.renderer.enqueue(this.preparer.process(ops)) });
  }

  /**
   * Resolves when every structural input's preparation has finished (files read and decoded), so the next
   * block renders with them. Offline renders await it before their first block, for repeatable output.
   */
  ready(): Promise<void> {
    return this.preparer.ready();
  }

  get sampleRate(): number {
    return this.renderer.sampleRate;
  }

  get blockSize(): number {
    return this.renderer.blockSize;
  }

  /** Frames rendered so far (the global clock). */
  get frames(): number {
    return this.renderer.clock.frames;
  }

  // ------------------------------------------------------------------------------- editing

  /** Adds a node of `type` (an invented name when none is given). */
  add(type: string, name?: string): GraphNode {
    this.assertLive();
    if (typeof type !== 'string')
      throw new SynchrotronError(
        'invalid',
        `expected a node type name (e.g. 'SineNode'), got ${String(type)}`,
      );
    return this.graph.addNode(type, name);
  }

  /** Adds a DataNode holding `value`. */
  addValue(value: DataValue, name?: string): GraphNode {
    this.assertLive();
    return this.graph.addNode('DataNode', name, value);
  }

  remove(name: string): GraphNode {
    this.assertLive();
    return this.graph.removeNode(name);
  }

  link(source: string | PortRef, sink: string | PortRef): Connection {
    this.assertLive();
    return this.graph.link(toPortRef(source), toPortRef(sink));
  }

  unlink(source: string | PortRef, sink: string | PortRef): Connection | null {
    this.assertLive();
    return this.graph.unlink(toPortRef(source), toPortRef(sink));
  }

  setValue(name: string, value: DataValue): GraphNode {
    this.assertLive();
    return this.graph.setValue(name, value);
  }

  clear(): number {
    this.assertLive();
    return this.graph.clear();
  }

  /** The engine tempo in beats per minute (TransportNode, MidiClockOutNode, `$tempo`). */
  get tempo(): number {
    return this.graph.tempo;
  }

  /** Sets the engine tempo (20…999 bpm); it lands at the next block boundary, the beat phase carries on. */
  setTempo(bpm: number): number {
    this.assertLive();
    return this.graph.setTempo(bpm);
  }

  /** Several edits as one batch: all arrive at the same block boundary, or none if `fn` throws. */
  transaction<T>(fn: () => T): T {
    this.assertLive();
    return this.graph.transaction(fn);
  }

  /** Runs a Synchrolang script: all its edits or none (throws a SynchrolangError saying where and why). */
  execute(script: string): ExecuteResult {
    this.assertLive();
    return execute(
      {
        graph: this.graph,
        sampleRate: this.sampleRate,
        blockSize: this.blockSize,
        clock: () => this.frames,
        start: () => this.start(),
        stop: () => this.stop(),
        maxResultBytes: this.maxResultBytes,
      },
      script,
    );
  }

  /**
   * Reads every patch file again and updates the nodes made from them (as Synchrolang's `reload`): each
   * instance at one block boundary, inner nodes that did not change keeping their state. Nodes whose file no
   * longer loads are listed in `failed` and keep the version they have.
   */
  reloadPatches(): ReloadReport {
    this.assertLive();
    return this.graph.reloadPatches();
  }

  /** The graph as a Synchrolang script that rebuilds it (`export`). */
  export(): string {
    return exportScript(this.graph);
  }

  /** Graph changes (batches of ops, exports). */
  onGraph(listener: GraphListener): () => void {
    return this.graph.on(listener);
  }

  /** Render-side reports: faults, warnings, debug values. */
  onEvent(listener: (event: RenderEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  // ------------------------------------------------------------------------------- rendering

  start(): void {
    this.assertLive();
    this.renderer.start();
  }

  stop(): void {
    this.renderer.stop();
  }

  get running(): boolean {
    return this.renderer.isRunning;
  }

  /** Renders one block; returns the master bus (views, overwritten by the next block). */
  renderBlock(): { left: Float32Array; right: Float32Array } {
    this.assertLive();
    this.renderer.renderBlock();
    return this.renderer.master;
  }

  /** Renders `frames` frames (rounded up to whole blocks) and returns copies of the master mix. */
  renderFrames(frames: number): { left: Float32Array; right: Float32Array } {
    this.assertLive();
    if (!Number.isFinite(frames) || frames < 0)
      throw new SynchrotronError('invalid', `frames to render must be a finite number ≥ 0, got ${frames}`);
    const blocks = Math.ceil(frames / this.blockSize);
    const left = new Float32Array(blocks * this.blockSize);
    const right = new Float32Array(blocks * this.blockSize);
    for (let b = 0; b < blocks; b++) {
      this.renderer.renderBlock();
      left.set(this.renderer.master.left, b * this.blockSize);
      right.set(this.renderer.master.right, b * this.blockSize);
    }
    return { left: left.subarray(0, frames), right: right.subarray(0, frames) };
  }

  renderSeconds(seconds: number): { left: Float32Array; right: Float32Array } {
    if (!Number.isFinite(seconds) || seconds < 0)
      throw new SynchrotronError('invalid', `seconds to render must be a finite number ≥ 0, got ${seconds}`);
    return this.renderFrames(Math.round(seconds * this.sampleRate));
  }

  /** Stops, closes files and devices. The engine cannot be used afterwards; disposing again does nothing. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.renderer.dispose();
  }

  /** After dispose the renderer has let its nodes go: edits would reach the graph but never sound. */
  private assertLive(): void {
    if (this.disposed)
      throw new SynchrotronError('invalid', 'this Synchrotron was disposed: create a new one to go on');
  }

  private dispatch(event: RenderEvent): void {
    if (event.kind === 'exports') this.graph.updateExports(event.node, event.exports);
    for (const listener of this.eventListeners) listener(event);
  }
}
