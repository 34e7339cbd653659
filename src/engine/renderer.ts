// The render side: node instances, their bound buffers, and the plan that renders them block by block.
// It receives GraphOps (already validated by Graph) and applies them only at block boundaries.
// Nothing here allocates per block in steady state; compiling a new plan after an edit may.

import { BufferPool } from './buffers.js';
import {
  type ChildPlan,
  DataInput,
  DataOutput,
  type DataSlot,
  MidiInput,
  MidiOutput,
  type NodeContext,
  type NodeDefinition,
  type NodeInstance,
  type NodeIO,
  type PortSpec,
  type PortSpecs,
  type RenderHost,
  StreamInput,
  StreamOutput,
} from './definition.js';
import { EMPTY_MIDI } from './midi.js';
import type { RenderOp } from './prepare.js';
import type { NodeRegistry } from './registry.js';
import { changeTempo, createTempoState } from './tempo.js';
import { type DataSlotValue, type DataValue, dataToNumber, type PortRef, portKey } from './types.js';

export const MIN_BLOCK_SIZE = 16;
export const MAX_BLOCK_SIZE = 4096;

export function validateBlockSize(blockSize: number): void {
  if (
    !Number.isInteger(blockSize) ||
    blockSize < MIN_BLOCK_SIZE ||
    blockSize > MAX_BLOCK_SIZE ||
    (blockSize & (blockSize - 1)) !== 0
  ) {
    throw new RangeError(
      `block size must be a power of two from ${MIN_BLOCK_SIZE} to ${MAX_BLOCK_SIZE}, got ${blockSize}`,
    );
  }
}

export function validateSampleRate(sampleRate: number): void {
  if (!Number.isFinite(sampleRate) || sampleRate < 1000 || sampleRate > 768000) {
    throw new RangeError(`sample rate must be between 1000 and 768000 Hz, got ${sampleRate}`);
  }
}

/** Something the render side tells the control side. Rare: never per block in steady state. */
export type RenderEvent =
  | { kind: 'exports'; node: string; exports: Record<string, unknown> }
  | { kind: 'debug'; node: string; value: unknown }
  | { kind: 'fault'; node: string; message: string }
  | { kind: 'warning'; node: string; message: string };

/** Work done on a node's inputs before it renders (data→stream conversion, relink crossfades). */
interface InputStep {
  run(frames: number): void;
}

/** Turns a data value into a stream for one stream input; ramps value changes across one block. */
class DataToStream implements InputStep {
  slot: DataSlot;
  readonly buf: Float32Array;
  private readonly input: StreamInput;
  private current = 0;
  private started = false;
  private filled = false;

  constructor(slot: DataSlot, buf: Float32Array, input: StreamInput) {
    this.slot = slot;
    this.buf = buf;
    this.input = input;
  }

  run(frames: number): void {
    const target = dataToNumber(this.slot.value);
    const input = this.input;
    if (target === this.current && this.started) {
      if (!this.filled) {
        this.buf.fill(target);
        this.filled = true;
      }
      input.constant = true;
      return;
    }
    if (!this.started) {
      this.started = true;
      this.current = target;
      this.buf.fill(target);
      this.filled = true;
      input.constant = true;
      return;
    }
    // A control change: glide to the new value over this block instead of jumping (no zipper click).
    const from = this.current;
    const step = (target - from) / frames;
    const buf = this.buf;
    for (let i = 0; i < frames; i++) buf[i] = from + step * (i + 1);
    this.current = target;
    this.filled = false;
    input.constant = false;
  }
}

/**
 * A stream input that was relinked glides, for one block, from the last value it read to its new source,
 * so that changing what feeds an input never clicks (DESIGN principle 5). Then it reads the source itself.
 */
class RelinkCrossfade implements InputStep {
  readonly buf: Float32Array;
  private readonly input: StreamInput;
  private state: 'idle' | 'fading' | 'restoring' = 'idle';
  private from = 0;
  private target: Float32Array;
  /** The target's constant flag to restore, or null when a converter manages it every block. */
  private targetConstant: boolean | null = null;

  constructor(buf: Float32Array, input: StreamInput) {
    this.buf = buf;
    this.input = input;
    this.target = input.buf;
  }

  /** Control side, at compile: the input was bound to `target`; it last read `from`. */
  arm(from: number, target: Float32Array, targetConstant: boolean | null): void {
    this.from = Number.isFinite(from) ? from : 0;
    this.target = target;
    this.targetConstant = targetConstant;
    this.state = 'fading';
  }

  run(frames: number): void {
    const input = this.input;
    if (this.state === 'fading') {
      const target = this.target;
      const buf = this.buf;
      const from = this.from;
      const scale = 1 / frames;
      for (let i = 0; i < frames; i++) buf[i] = from + (target[i] - from) * (i + 1) * scale;
      input.buf = buf;
      input.constant = false;
      this.state = 'restoring';
    } else if (this.state === 'restoring') {
      input.buf = this.target;
      if (this.targetConstant !== null) input.constant = this.targetConstant;
      this.state = 'idle';
    }
  }
}

interface RenderNode {
  name: string;
  readonly type: string;
  readonly definition: NodeDefinition;
  readonly context: MutableContext;
  instance: NodeInstance;
  readonly io: NodeIO;
  /** Its own ports (its type's, or what a `ports` op gave) and literal input values. */
  inputSpecs: PortSpecs;
  outputSpecs: PortSpecs;
  args: Record<string, DataValue>;
  streamOutputs: StreamOutput[];
  midiOutputs: MidiOutput[];
  /** Default-value buffers of stream inputs, by port. */
  readonly defaultBuffers: Map<string, Float32Array>;
  /** Data→stream converters by input port; kept across compiles so ramps and values persist. */
  readonly converters: Map<string, DataToStream>;
  /** Relink crossfades by input port, allocated on the first relink. */
  readonly crossfades: Map<string, RelinkCrossfade>;
  /** Converters, then crossfades, bound in the current plan: run before the node renders. */
  inputSteps: InputStep[];
  /** Has rendered at least one block (only then does a relink need a crossfade). */
  rendered: boolean;
  faulted: boolean;
}

interface MutableContext extends NodeContext {
  name: string;
}

const NOOP_INSTANCE: NodeInstance = { process() {} };

export interface RendererOptions {
  sampleRate: number;
  blockSize: number;
  registry: NodeRegistry;
  host?: RenderHost;
  onEvent?: (event: RenderEvent) => void;
  /** Stream buffers to reserve in WebAssembly memory (see BufferPool; default 64 MiB worth). */
  maxBuffers?: number;
  /**
   * A nested plan (ChildPlan, made by `createChild`): the parent's pool and clock, shared. Its master bus is
   * scratch (PlaybackNodes inside a patch are silent) and rendering it does not advance the clock.
   */
  parent?: { pool: BufferPool; clock: { frames: number }; tempo: Float64Array };
}

export class Renderer implements ChildPlan {
  readonly sampleRate: number;
  readonly blockSize: number;
  readonly registry: NodeRegistry;
  readonly host: RenderHost;
  /** The mix of every PlaybackNode for the block just rendered. */
  readonly master: { left: Float32Array; right: Float32Array };
  /** Frames rendered since creation (the global clock). */
  readonly clock: { frames: number };
  /**
   * The engine tempo and beat grid nodes read (tempo.ts); moved by `tempo` ops at block boundaries. A nested
   * plan shares its parent's, as it shares the clock.
   */
  readonly tempo: Float64Array;
  onEvent: (event: RenderEvent) => void;

  private readonly pool: BufferPool;
  private readonly nodes = new Map<string, RenderNode>();
  private readonly links = new Map<string, { source: PortRef; sink: PortRef }>();
  private readonly queue: RenderOp[][] = [];
  private plan: RenderNode[] = [];
  private releaseAfterCompile: Float32Array[] = [];
  /** What removed or muted nodes last added to the master (left, right): faded out over the next block. */
  private readonly masterTail = new Float64Array(2);
  private dirty = false;
  private running = false;
  private readonly nested: boolean;

  constructor(options: RendererOptions) {
    validateSampleRate(options.sampleRate);
    validateBlockSize(options.blockSize);
    this.sampleRate = options.sampleRate;
    this.blockSize = options.blockSize;
    this.registry = options.registry;
    this.host = options.host ?? {};
    this.onEvent = options.onEvent ?? (() => {});
    this.nested = options.parent !== undefined;
    this.pool = options.parent?.pool ?? new BufferPool(this.blockSize, { maxBuffers: options.maxBuffers });
    this.clock = options.parent?.clock ?? { frames: 0 };
    this.tempo = options.parent?.tempo ?? createTempoState();
    this.master = { left: this.pool.alloc(), right: this.pool.alloc() };
  }

  /** Control side: queue a batch of edits; it takes effect at the start of the next block. */
  enqueue(ops: readonly RenderOp[]): void {
    if (ops.length > 0) this.queue.push([...ops]);
  }

  get nodeCount(): number {
    return this.nodes.size;
  }

  /** Edits are queued that the next block (or `applyPending`) will apply. */
  get hasPending(): boolean {
    return this.queue.length > 0 || this.dirty;
  }

  /** Applies queued edits now (they would be at the start of the next block), e.g. to time them apart. */
  applyPending(): void {
    if (this.queue.length > 0 || this.dirty) this.applyQueued();
  }

  /** Render order of the current plan (node names), for tests and diagnostics. */
  order(): string[] {
    if (this.queue.length > 0 || this.dirty) this.applyQueued();
    return this.plan.map((n) => n.name);
  }

  /** The live buffer of a stream output (render side: valid until the next block), for scopes and meters. */
  streamOutput(ref: PortRef): Float32Array | undefined {
    const outputs = this.nodes.get(ref.node)?.io.outputs;
    const output = outputs && Object.hasOwn(outputs, ref.port) ? outputs[ref.port] : undefined;
    return output instanceof StreamOutput ? output.buf : undefined;
  }

  /** The value a data output holds now (render side), for tests and diagnostics. */
  dataOutput(ref: PortRef): DataSlotValue | undefined {
    const output = this.nodes.get(ref.node)?.io.outputs[ref.port];
    return output instanceof DataOutput ? output.slot.value : undefined;
  }

  isFaulted(name: string): boolean {
    return this.nodes.get(name)?.faulted ?? false;
  }

  /** Transport: nodes that record (WavFileNode) open on their first block after start. */
  start(): void {
    this.applyQueued();
    if (this.running) return;
    this.running = true;
    this.masterTail.fill(0); // a node removed while stopped left no sound to fade out
    for (const node of this.nodes.values()) this.safely(node, 'start', () => node.instance.start?.());
  }

  /** Transport: files are flushed and closed. */
  stop(): void {
    this.applyQueued();
    if (!this.running) return;
    this.running = false;
    for (const node of this.nodes.values()) this.safely(node, 'stop', () => node.instance.stop?.());
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Render one block: apply queued edits, render every node in order, mix the master bus. */
  renderBlock(): void {
    if (this.queue.length > 0 || this.dirty) this.applyQueued();
    const frames = this.blockSize;
    const left = this.master.left;
    const right = this.master.right;
    left.fill(0);
    right.fill(0);
    this.runPlan(frames);
    if (this.masterTail[0] !== 0 || this.masterTail[1] !== 0) this.fadeOutTail(frames);
    if (!allFinite(left, frames) || !allFinite(right, frames)) this.findNonFinite(frames);
    this.clock.frames += frames;
  }

  // ------------------------------------------------------------------------------- as a child plan

  /** ChildPlan: apply edits now (at the parent's block boundary, on the render thread). */
  apply(ops: readonly RenderOp[]): void {
    this.enqueue(ops);
    this.applyQueued();
  }

  /** ChildPlan: render the inner nodes for one block. The master is scratch (silent), the clock the parent's. */
  render(frames: number): void {
    if (this.queue.length > 0 || this.dirty) this.applyQueued();
    this.master.left.fill(0);
    this.master.right.fill(0);
    this.runPlan(frames);
  }

  instance(name: string): NodeInstance | undefined {
    return this.nodes.get(name)?.instance;
  }

  io(name: string): NodeIO | undefined {
    return this.nodes.get(name)?.io;
  }

  muteNonFinite(frames: number): void {
    for (const node of this.plan) {
      if (node.faulted) continue;
      if (node.streamOutputs.some((output) => !allFinite(output.buf, frames))) {
        this.fault(node, 'produced NaN or Infinity');
        return;
      }
    }
  }

  /** A nested plan sharing this one's pool, clock, node types and (unless given) host. */
  private createChild(
    context: MutableContext,
    options: { host?: RenderHost; label?: string } = {},
  ): Renderer {
    const label = options.label ? ` (${options.label})` : '';
    return new Renderer({
      sampleRate: this.sampleRate,
      blockSize: this.blockSize,
      registry: this.registry,
      host: options.host ?? this.host,
      parent: { pool: this.pool, clock: this.clock, tempo: this.tempo },
      onEvent: (event) => {
        const node = `${context.name}/${event.node}`;
        if (event.kind === 'fault' || event.kind === 'warning')
          this.onEvent({ ...event, node, message: `${context.name}${label}: ${event.message}` });
        else this.onEvent({ ...event, node });
      },
    });
  }

  private runPlan(frames: number): void {
    const plan = this.plan;
    for (let n = 0; n < plan.length; n++) {
      const node = plan[n];
      if (node.faulted) continue;
      const steps = node.inputSteps;
      for (let c = 0; c < steps.length; c++) steps[c].run(frames);
      try {
        node.instance.process(frames);
        node.rendered = true;
      } catch (error) {
        this.fault(node, error instanceof Error ? error.message : String(error));
        continue;
      }
      // Cheap per-node sentinel: first and last sample. The full scan runs on the master below.
      const outputs = node.streamOutputs;
      for (let o = 0; o < outputs.length; o++) {
        const buf = outputs[o].buf;
        const first = buf[0];
        const last = buf[frames - 1];
        if (first - first !== 0 || last - last !== 0) {
          this.fault(node, 'produced NaN or Infinity');
          break;
        }
      }
    }
  }

  /** Stop everything and release files and devices (shutdown). A nested plan gives its buffers back. */
  dispose(): void {
    this.stop();
    for (const node of this.nodes.values()) {
      this.safely(node, 'dispose', () => node.instance.dispose?.());
      if (this.nested) for (const buf of buffersOf(node)) this.pool.release(buf);
    }
    if (this.nested) {
      for (const buf of this.releaseAfterCompile) this.pool.release(buf);
      this.releaseAfterCompile = [];
      this.pool.release(this.master.left);
      this.pool.release(this.master.right);
    }
    this.nodes.clear();
    this.plan = [];
  }

  // ------------------------------------------------------------------------------- edits

  private applyQueued(): void {
    const batches = this.queue.splice(0);
    for (const ops of batches) for (const op of ops) this.applyOp(op);
    if (this.dirty) this.compile();
  }

  private applyOp(op: RenderOp): void {
    switch (op.op) {
      case 'add':
        this.addNode(op.name, op.type, op.value, op.args ?? {}, op.inputs, op.outputs);
        break;
      case 'remove': {
        const node = this.nodes.get(op.name);
        if (!node) return;
        this.safely(node, 'dispose', () => node.instance.dispose?.());
        this.keepTail(node);
        // Released after the next compile: inputs it fed still read their last samples for crossfades.
        for (const buf of buffersOf(node)) this.releaseAfterCompile.push(buf);
        this.nodes.delete(op.name);
        this.dirty = true;
        break;
      }
      case 'ports': {
        const node = this.nodes.get(op.name);
        if (!node) return;
        this.setPorts(
          node,
          op.inputs ?? node.definition.inputs,
          op.outputs ?? node.definition.outputs,
          op.args ?? node.args,
        );
        this.safely(node, 'portsChanged', () => node.instance.portsChanged?.());
        this.dirty = true;
        break;
      }
      case 'reload':
        break; // the control side prepares the node again; its `configure` follows

      case 'rename': {
        const node = this.nodes.get(op.from);
        if (!node) return;
        this.nodes.delete(op.from);
        node.name = op.to;
        node.context.name = op.to;
        this.nodes.set(op.to, node);
        for (const [key, link] of [...this.links]) {
          if (link.source.node !== op.from && link.sink.node !== op.from) continue;
          this.links.delete(key);
          const source = link.source.node === op.from ? { ...link.source, node: op.to } : link.source;
          const sink = link.sink.node === op.from ? { ...link.sink, node: op.to } : link.sink;
          this.links.set(portKey(sink), { source, sink });
        }
        this.dirty = true;
        break;
      }
      case 'link':
        this.links.set(portKey(op.sink), { source: op.source, sink: op.sink });
        this.revive(op.sink.node);
        this.dirty = true;
        break;
      case 'unlink': {
        const existing = this.links.get(portKey(op.sink));
        if (existing && portKey(existing.source) === portKey(op.source)) this.links.delete(portKey(op.sink));
        this.revive(op.sink.node);
        this.dirty = true;
        break;
      }
      case 'set': {
        const node = this.nodes.get(op.name);
        if (!node) return;
        this.revive(op.name);
        for (const link of this.links.values()) if (link.source.node === op.name) this.revive(link.sink.node);
        this.safely(node, 'setValue', () => node.instance.setValue?.(op.value));
        break;
      }
      case 'tempo':
        changeTempo(this.tempo, op.bpm, this.clock.frames, this.sampleRate);
        break;
      case 'configure': {
        const node = this.nodes.get(op.name);
        if (!node?.instance.configure) return;
        this.revive(op.name);
        this.safely(node, 'configure', () => node.instance.configure?.(op.prepared));
        break;
      }
    }
  }

  private addNode(
    name: string,
    type: string,
    value: DataValue,
    args: Record<string, DataValue>,
    inputSpecs: PortSpecs = this.registry.get(type).inputs,
    outputSpecs: PortSpecs = this.registry.get(type).outputs,
  ): void {
    const definition = this.registry.get(type);
    const io = { inputs: {}, outputs: {} } as NodeIO;
    const renderer = this;
    const context: MutableContext = {
      name,
      type,
      sampleRate: this.sampleRate,
      blockSize: this.blockSize,
      host: this.host,
      clock: this.clock,
      tempo: this.tempo,
      master: this.master,
      value,
      publish(exports) {
        renderer.onEvent({ kind: 'exports', node: context.name, exports });
      },
      debug(debugValue) {
        renderer.onEvent({ kind: 'debug', node: context.name, value: debugValue });
      },
      warn(message) {
        renderer.onEvent({ kind: 'warning', node: context.name, message });
      },
      createChild(options) {
        return renderer.createChild(context, options);
      },
    };
    const node: RenderNode = {
      name,
      type,
      definition,
      context,
      instance: NOOP_INSTANCE,
      io,
      inputSpecs: {},
      outputSpecs: {},
      args: {},
      streamOutputs: [],
      midiOutputs: [],
      defaultBuffers: new Map(),
      converters: new Map(),
      crossfades: new Map(),
      inputSteps: [],
      rendered: false,
      faulted: false,
    };
    this.setPorts(node, inputSpecs, outputSpecs, args);
    this.nodes.set(name, node);
    try {
      node.instance = definition.create(context, io as never);
      if (this.running) node.instance.start?.();
    } catch (error) {
      this.fault(node, `could not be created: ${error instanceof Error ? error.message : String(error)}`);
    }
    this.dirty = true;
  }

  /**
   * Makes a node's runtime ports match `inputSpecs`/`outputSpecs`: ports that stay (same kind) keep their
   * objects, so what nodes hold stays valid; new ones are made; those gone give their buffers back after
   * the next compile. A stream input reads its literal (`args`) or default while unlinked.
   */
  private setPorts(
    node: RenderNode,
    inputSpecs: PortSpecs,
    outputSpecs: PortSpecs,
    args: Record<string, DataValue>,
  ): void {
    const inputs = node.io.inputs as Record<string, StreamInput | DataInput | MidiInput>;
    const outputs = node.io.outputs as Record<string, StreamOutput | DataOutput | MidiOutput>;
    const fallbackOf = (port: string, spec: PortSpec): DataValue =>
      Object.hasOwn(args, port) ? args[port] : (spec.default ?? null);
    for (const port of Object.keys(inputs)) {
      const spec = Object.hasOwn(inputSpecs, port) ? inputSpecs[port] : undefined;
      const old = node.inputSpecs[port];
      if (spec && spec.kind === old.kind && dataEqualsLoose(fallbackOf(port, spec), fallbackOf(port, old)))
        continue;
      const buf = node.defaultBuffers.get(port);
      if (buf) this.releaseAfterCompile.push(buf);
      node.defaultBuffers.delete(port);
      const converter = node.converters.get(port);
      if (converter) this.releaseAfterCompile.push(converter.buf);
      node.converters.delete(port);
      const fade = node.crossfades.get(port);
      if (fade) this.releaseAfterCompile.push(fade.buf);
      node.crossfades.delete(port);
      delete inputs[port];
    }
    for (const [port, spec] of Object.entries(inputSpecs)) {
      if (Object.hasOwn(inputs, port)) continue;
      const fallback = fallbackOf(port, spec);
      if (spec.kind === 'stream') {
        const number = typeof fallback === 'number' || typeof fallback === 'boolean' ? Number(fallback) : 0;
        const buf = this.pool.alloc();
        buf.fill(number);
        node.defaultBuffers.set(port, buf);
        inputs[port] = new StreamInput(number, buf);
      } else if (spec.kind === 'data') {
        inputs[port] = new DataInput(fallback);
      } else {
        inputs[port] = new MidiInput();
      }
    }
    for (const port of Object.keys(outputs)) {
      const spec = Object.hasOwn(outputSpecs, port) ? outputSpecs[port] : undefined;
      if (spec && spec.kind === node.outputSpecs[port].kind) continue;
      const output = outputs[port];
      if (output instanceof StreamOutput) this.releaseAfterCompile.push(output.buf);
      delete outputs[port];
    }
    for (const [port, spec] of Object.entries(outputSpecs)) {
      if (Object.hasOwn(outputs, port)) continue;
      outputs[port] =
        spec.kind === 'stream'
          ? new StreamOutput(this.pool.alloc())
          : spec.kind === 'data'
            ? new DataOutput()
            : new MidiOutput();
    }
    node.inputSpecs = inputSpecs;
    node.outputSpecs = outputSpecs;
    node.args = args;
    node.streamOutputs = Object.values(outputs).filter((o) => o instanceof StreamOutput);
    node.midiOutputs = Object.values(outputs).filter((o) => o instanceof MidiOutput);
  }

  /** An edit touched this node: give a muted node another chance. */
  private revive(name: string): void {
    const node = this.nodes.get(name);
    if (node?.faulted && node.instance !== NOOP_INSTANCE) node.faulted = false;
  }

  private fault(node: RenderNode, message: string): void {
    if (!node.faulted) this.keepTail(node);
    node.faulted = true;
    for (const output of node.streamOutputs) output.buf.fill(0);
    for (const output of node.midiOutputs) output.buf.clear();
    this.onEvent({
      kind: 'fault',
      node: node.name,
      message: `${node.type} \`${node.name}\` ${message}; muted`,
    });
  }

  private safely(node: RenderNode, what: string, fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.onEvent({
        kind: 'warning',
        node: node.name,
        message: `${what} failed: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  }

  /**
   * A node that played into the master stops (removed, `clear`, muted): its last output fades to 0 over the
   * next block instead of stopping dead, which clicked at the level it was playing (0.9 for a 0.9 sine).
   */
  private keepTail(node: RenderNode): void {
    const last = node.instance.masterContribution;
    if (!last) return;
    if (Number.isFinite(last[0]) && Number.isFinite(last[1])) {
      this.masterTail[0] += last[0];
      this.masterTail[1] += last[1];
    }
    last.fill(0);
  }

  private fadeOutTail(frames: number): void {
    const tailLeft = this.masterTail[0];
    const tailRight = this.masterTail[1];
    const left = this.master.left;
    const right = this.master.right;
    const scale = 1 / frames;
    for (let i = 0; i < frames; i++) {
      const remaining = 1 - (i + 1) * scale;
      left[i] += tailLeft * remaining;
      right[i] += tailRight * remaining;
    }
    this.masterTail.fill(0);
  }

  /** The master went non-finite: find and mute the first node whose stream output did, scrub the block. */
  private findNonFinite(frames: number): void {
    for (const node of this.plan) {
      if (node.faulted) continue;
      if (node.streamOutputs.some((output) => !allFinite(output.buf, frames))) {
        this.fault(node, 'produced NaN or Infinity');
        break;
      }
    }
    scrub(this.master.left, frames);
    scrub(this.master.right, frames);
  }

  // ------------------------------------------------------------------------------- compile

  /**
   * Binds every input to its source's buffer and orders nodes so each renders after all that feed it.
   * A link that closes a cycle is a back edge: its sink reads the source's previous block (a one-block
   * delay), because output buffers persist between blocks.
   */
  private compile(): void {
    this.dirty = false;
    for (const node of this.nodes.values()) this.bind(node);
    this.plan = this.renderOrder();
    for (const buf of this.releaseAfterCompile) this.pool.release(buf);
    this.releaseAfterCompile = [];
  }

  private bind(node: RenderNode): void {
    const converters: InputStep[] = [];
    const fades: InputStep[] = [];
    for (const [port, spec] of Object.entries(node.inputSpecs)) {
      const link = this.links.get(`${node.name}.${port}`);
      const source = link ? this.nodes.get(link.source.node) : undefined;
      const sourceOutput =
        source && Object.hasOwn(source.io.outputs, link!.source.port)
          ? (source.io.outputs[link!.source.port] as unknown)
          : undefined;
      const input = node.io.inputs[port];
      if (spec.kind === 'stream') {
        const streamInput = input as unknown as StreamInput;
        const previous = streamInput.buf;
        let targetConstant: boolean | null;
        streamInput.linked = sourceOutput instanceof StreamOutput || sourceOutput instanceof DataOutput;
        if (sourceOutput instanceof StreamOutput) {
          streamInput.buf = sourceOutput.buf;
          streamInput.constant = false;
          targetConstant = false;
        } else if (sourceOutput instanceof DataOutput) {
          let converter = node.converters.get(port);
          if (!converter) {
            converter = new DataToStream(sourceOutput.slot, this.pool.alloc(), streamInput);
            node.converters.set(port, converter);
          }
          converter.slot = sourceOutput.slot;
          streamInput.buf = converter.buf;
          converters.push(converter);
          targetConstant = null;
        } else {
          streamInput.buf = node.defaultBuffers.get(port)!;
          streamInput.constant = true;
          targetConstant = true;
        }
        const fade = node.crossfades.get(port);
        if (node.rendered && previous !== streamInput.buf && previous !== fade?.buf) {
          let crossfade = fade;
          if (!crossfade) {
            crossfade = new RelinkCrossfade(this.pool.alloc(), streamInput);
            node.crossfades.set(port, crossfade);
          }
          crossfade.arm(previous[this.blockSize - 1], streamInput.buf, targetConstant);
          fades.push(crossfade);
        } else if (fade && previous === fade.buf) {
          // Relinked again mid-fade: glide on from where the fade is now.
          fade.arm(previous[this.blockSize - 1], streamInput.buf, targetConstant);
          fades.push(fade);
        }
      } else if (spec.kind === 'data') {
        const dataInput = input as unknown as DataInput;
        if (sourceOutput instanceof DataOutput) dataInput.source = sourceOutput.slot;
        else if (sourceOutput instanceof StreamOutput) dataInput.source = sourceOutput.asData;
        else dataInput.source = dataInput.defaultSlot;
      } else {
        (input as unknown as MidiInput).source =
          sourceOutput instanceof MidiOutput ? sourceOutput.buf : EMPTY_MIDI;
      }
    }
    node.inputSteps = converters.length + fades.length > 0 ? [...converters, ...fades] : converters;
  }

  /** Depth-first post-order over "is fed by" edges, iterative (chains of thousands of nodes are fine). */
  private renderOrder(): RenderNode[] {
    const order: RenderNode[] = [];
    const state = new Map<string, 1 | 2>(); // 1: on the stack, 2: done
    const feeders = new Map<string, string[]>();
    for (const link of this.links.values()) {
      const list = feeders.get(link.sink.node);
      if (list) list.push(link.source.node);
      else feeders.set(link.sink.node, [link.source.node]);
    }
    for (const root of this.nodes.keys()) {
      if (state.has(root)) continue;
      const stack: Array<{ name: string; next: number }> = [{ name: root, next: 0 }];
      state.set(root, 1);
      while (stack.length > 0) {
        const top = stack[stack.length - 1];
        const sources = feeders.get(top.name) ?? [];
        if (top.next < sources.length) {
          const source = sources[top.next++];
          if (!state.has(source) && this.nodes.has(source)) {
            state.set(source, 1);
            stack.push({ name: source, next: 0 });
          }
          // state 1 → back edge (cycle): left as a one-block delay. state 2 → already ordered.
        } else {
          stack.pop();
          state.set(top.name, 2);
          order.push(this.nodes.get(top.name)!);
        }
      }
    }
    return order;
  }
}

function allFinite(buf: Float32Array, frames: number): boolean {
  let sum = 0;
  for (let i = 0; i < frames; i++) sum += buf[i] * 0;
  return sum === 0;
}

function scrub(buf: Float32Array, frames: number): void {
  for (let i = 0; i < frames; i++) {
    const x = buf[i];
    if (x - x !== 0) buf[i] = 0;
  }
}

/** Every pool buffer a node holds (outputs, defaults, converters, crossfades). */
function buffersOf(node: RenderNode): Float32Array[] {
  const bufs: Float32Array[] = [];
  for (const output of node.streamOutputs) bufs.push(output.buf);
  for (const buf of node.defaultBuffers.values()) bufs.push(buf);
  for (const converter of node.converters.values()) bufs.push(converter.buf);
  for (const fade of node.crossfades.values()) bufs.push(fade.buf);
  return bufs;
}

function dataEqualsLoose(a: DataValue, b: DataValue): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}
