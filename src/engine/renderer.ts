// The render side's loop: node instances, edits applied at block boundaries, and the plan rendered block by
// block. It receives GraphOps (already validated by Graph). Its helpers: plan building (plan.ts), input steps
// (input-steps.ts), fault handling (faults.ts) and the render-side node (render-node.ts).
// Nothing here allocates per block in steady state; compiling a new plan after an edit may.

import { BufferPool } from './buffers.js';
import { LockstepGroup } from './child-group.js';
import {
  type ChildGroup,
  type ChildPlan,
  DataOutput,
  type NodeInstance,
  type NodeIO,
  type PortSpecs,
  type RenderHost,
  StreamOutput,
} from './definition.js';
import { FaultGuard } from './faults.js';
import { RelinkCrossfade } from './input-steps.js';
import { OpList } from './op-list.js';
import {
  bindInputs,
  NO_STEPS,
  orderNodes,
  PlanLinks,
  placeAsRoot,
  placeSourceBefore,
  renderOrder,
} from './plan.js';
import type { RenderOp } from './prepare.js';
import type { NodeRegistry } from './registry.js';
import {
  buffersOf,
  type MutableContext,
  NO_STREAM_OUTPUTS,
  NOOP_INSTANCE,
  type RenderNode,
  setPorts,
} from './render-node.js';
import { validateBlockSize, validateSampleRate } from './render-settings.js';
import { changeTempo, createTempoState } from './tempo.js';
import { type DataSlotValue, type DataValue, EMPTY_RECORD, objectArray, type PortRef } from './types.js';

const NO_NODES: readonly RenderNode[] = [];
const NO_INDICES: readonly number[] = [];

/** Moves of the order one batch makes before the rest of it makes the order afresh (renderer `manyMoves`). */
const MAX_BATCH_MOVES = 16;

/** Blocks a relink crossfade takes (one to glide, one to restore the target; input-steps.ts). */
const SETTLE_BLOCKS = 2;

/**
 * Some node was first reached by the order pass through a link into `node` (the pass pushed it from here):
 * removing `node` would move it.
 */
function reachesFeeders(node: RenderNode): boolean {
  for (const link of node.inLinks)
    if (link.from !== undefined && link.from.discoveredVia === link) return true;
  return false;
}

/** The node has a relink crossfade in its input steps. */
function gliding(node: RenderNode): boolean {
  for (const step of node.inputSteps) if (step instanceof RelinkCrossfade) return true;
  return false;
}
/** Something the render side tells the control side. Rare: never per block in steady state. */
export type RenderEvent =
  | { kind: 'exports'; node: string; exports: Record<string, unknown> }
  | { kind: 'debug'; node: string; value: unknown }
  | { kind: 'fault'; node: string; message: string }
  | { kind: 'warning'; node: string; message: string };

export interface RendererOptions {
  sampleRate: number;
  blockSize: number;
  registry: NodeRegistry;
  host?: RenderHost;
  onEvent?: (event: RenderEvent) => void;
  /** Most stream buffers in WebAssembly memory (see BufferPool; default 64 MiB worth). */
  maxBuffers?: number;
  /** Stream buffers the WebAssembly memory starts with; it grows as needed (default 1 MiB worth). */
  initialBuffers?: number;
  /**
   * A nested plan (ChildPlan, made by `createChild`): the parent's pool and clock, shared. Its master bus is
   * scratch (PlaybackNodes inside a patch are silent) and rendering it does not advance the clock.
   */
  parent?: { pool: BufferPool; clock: { frames: number }; tempo: Float64Array };
}

type ChildMaker = (context: MutableContext, options?: { host?: RenderHost; label?: string }) => ChildPlan;

/**
 * A node's context. A class, not a literal with closures: a 3,000-node patch made four closures per node
 * here, garbage the build then paid for in GC. Its name follows renames (the renderer sets it).
 */
class RenderContext implements MutableContext {
  constructor(
    private readonly renderer: Renderer,
    public name: string,
    readonly type: string,
    readonly value: DataValue,
    private readonly makeChild: ChildMaker,
  ) {}

  // The renderer's, read through it rather than copied into each of thousands of contexts (nodes read them
  // when made, not per block).
  get sampleRate(): number {
    return this.renderer.sampleRate;
  }

  get blockSize(): number {
    return this.renderer.blockSize;
  }

  get host(): RenderHost {
    return this.renderer.host;
  }

  get clock(): { frames: number } {
    return this.renderer.clock;
  }

  get tempo(): Float64Array {
    return this.renderer.tempo;
  }

  get master(): { left: Float32Array; right: Float32Array } {
    return this.renderer.master;
  }

  publish(exports: Record<string, unknown>): void {
    this.renderer.onEvent({ kind: 'exports', node: this.name, exports });
  }

  debug(value: unknown): void {
    this.renderer.onEvent({ kind: 'debug', node: this.name, value });
  }

  warn(message: string): void {
    this.renderer.onEvent({ kind: 'warning', node: this.name, message });
  }

  createChild(options?: { host?: RenderHost; label?: string }): ChildPlan {
    return this.makeChild(this, options);
  }

  createChildGroup(): ChildGroup {
    return this.renderer.createChildGroup();
  }

  inertChanged(): void {
    this.renderer.inertChanged(this.name);
  }
}
// The value field likewise made general at once (see nodeRecord in graph.ts): a DataNode's number arrived
// as a small integer in round 5 of bench build-3000 and threw away the renderer's optimized addNode.
new RenderContext(null as never, '', '', 0, null as never);
new RenderContext(null as never, '', '', null, null as never);

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
  /**
   * The nodes in the order they were made: the order pass's roots. Not `nodes`' order, which a rename
   * changes (a Map key cannot change in place): the render order depends on no name, so a rename is a
   * look-up change only — as the control side's graph keeps a renamed node's place.
   */
  private readonly roots = new Set<RenderNode>();
  private readonly links = new PlanLinks();
  private readonly queue: RenderOp[][] = [];
  /** The nodes in render order; rebuilt in place when nodes or links change. */
  private readonly plan: RenderNode[] = objectArray();
  /** Nodes whose inputs the edits applied since the last compile touched: bound again by the next. */
  private readonly rebind = new Set<RenderNode>();
  /**
   * An edit since the last compile may have changed the order: the next compile makes it afresh. Edits that
   * provably leave the depth-first pass's order as it was patch `plan` in place instead (`orderPatched`):
   * a node that feeds nothing yet goes to the end, a removed node that was no other's way in is cut out,
   * and a link or unlink the pass would skip over changes nothing (see `link` and `unlink` below); a link
   * from a node placed after its sink moves the nodes the pass would move (`placeSourceBefore`), an unlink
   * may make its source a root at its turn (`placeAsRoot`), a rename changes no order at all.
   */
  private reorder = false;
  /** `plan` was patched in place since the last compile: the op list is patched (or written again). */
  private orderPatched = false;
  /** The patches: nodes put at the end, nodes cut out and the index each had (op-list.ts, `patch`). */
  private readonly appended: RenderNode[] = [];
  private readonly cut: RenderNode[] = [];
  private readonly cutAt: number[] = [];
  /** The nodes a link back or an unlink moved within the order and their old indices (scratch, reused). */
  private readonly moved: RenderNode[] = objectArray();
  private readonly movedFrom: number[] = [];
  /** Moves of the order since the last compile (`manyMoves`). */
  private batchMoves = 0;
  /** The op list no longer matches the order (a move it could not follow): the next compile writes it afresh. */
  private opsStale = false;
  /**
   * Nodes that add to the master bus (PlaybackNode: `masterContribution`). A nested plan's master is
   * scratch, cleared each block only while one does: a VoicesNode renders dozens of nested plans a block.
   */
  private masterWriters = 0;
  /** Stamps order passes (plan.ts, orderNodes) and the order's patches for links back. */
  private orderEpoch = 0;
  /** Nodes made so far (each node's `made`). */
  private made = 0;
  /** Full order passes made, and order patches for links back (placeSourceBefore) that moved nodes. */
  private orderPasses = 0;
  private orderMoves = 0;
  private releaseAfterCompile: Float32Array[] = [];
  private readonly faults = new FaultGuard(
    (event) => this.onEvent(event),
    (node) => {
      this.ops?.setMuted(node, true);
    },
  );
  /** The plan's nodes that have kernels, as ops in WebAssembly memory (null without kernels). */
  private readonly ops: OpList | null;
  /** A plan was built since the ops last rendered: its nodes' `rendered` flags are set after a block. */
  private opsUnrendered = false;
  /**
   * Nodes that glide to a new source (a relink crossfade) render in JS meanwhile; when the glide is over
   * (SETTLE_BLOCKS later) they are bound again, which gives them their ops back.
   */
  private readonly settling: RenderNode[] = [];
  private settleBlocks = 0;
  private dirty = false;
  /** A node's `inert` changed (inertChanged): the op list's schedule is built again at the next compile. */
  private reschedule = false;
  private running = false;
  private readonly nested: boolean;
  /** What a node's context calls to make a nested plan (createChild is private): one function per renderer. */
  private readonly makeChild: ChildMaker = (context, options) => this.createChild(context, options);

  constructor(options: RendererOptions) {
    validateSampleRate(options.sampleRate);
    validateBlockSize(options.blockSize);
    this.sampleRate = options.sampleRate;
    this.blockSize = options.blockSize;
    this.registry = options.registry;
    this.host = options.host ?? {};
    this.onEvent = options.onEvent ?? (() => {});
    this.nested = options.parent !== undefined;
    this.pool =
      options.parent?.pool ??
      new BufferPool(this.blockSize, {
        maxBuffers: options.maxBuffers,
        initialBuffers: options.initialBuffers,
      });
    this.clock = options.parent?.clock ?? { frames: 0 };
    this.tempo = options.parent?.tempo ?? createTempoState();
    this.master = { left: this.pool.alloc(), right: this.pool.alloc() };
    this.ops = this.pool.kernels ? new OpList(this.pool.kernels) : null;
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

  /**
   * How the current plan runs (tests, diagnostics): nodes rendered as WebAssembly ops, the segments they
   * form (one call each), and nodes called in JS (inert nodes, which need no call, are not counted).
   */
  opStats(): { ops: number; segments: number; js: number } {
    if (this.queue.length > 0 || this.dirty) this.applyQueued();
    const ops = this.ops;
    if (ops === null) return { ops: 0, segments: 0, js: this.plan.length };
    return { ops: ops.count, segments: ops.segmentCount, js: ops.schedule.length - ops.segmentCount };
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
    this.faults.clearTail(); // a node removed while stopped left no sound to fade out
    for (const node of this.nodes.values())
      if (node.instance.start) this.faults.safely(node, 'start', () => node.instance.start?.());
  }

  /** Transport: files are flushed and closed. */
  stop(): void {
    this.applyQueued();
    if (!this.running) return;
    this.running = false;
    // Most nodes have no stop (or dispose) hook: test before making a closure for each of thousands of nodes.
    for (const node of this.nodes.values())
      if (node.instance.stop) this.faults.safely(node, 'stop', () => node.instance.stop?.());
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
    this.faults.fadeOutTail(this.master, frames);
    this.faults.scrubMaster(this.plan, this.master, frames);
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
    if (this.masterWriters > 0) {
      this.master.left.fill(0);
      this.master.right.fill(0);
    }
    this.runPlan(frames);
  }

  instance(name: string): NodeInstance | undefined {
    return this.nodes.get(name)?.instance;
  }

  io(name: string): NodeIO | undefined {
    return this.nodes.get(name)?.io;
  }

  muteNonFinite(frames: number): void {
    this.faults.muteNonFinite(this.plan, frames);
  }

  /** Node `name`'s instance changed its `inert`: the op list's schedule is built again before the next block. */
  inertChanged(name: string): void {
    const node = this.nodes.get(name);
    if (node === undefined || node.inert === (node.instance.inert === true)) return;
    node.inert = node.instance.inert === true;
    this.reschedule = true;
    this.dirty = true;
  }

  /** Renders child plans of this renderer together (child-group.ts). */
  createChildGroup(): ChildGroup {
    return new LockstepGroup(this.pool.kernels);
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
    const ops = this.ops;
    if (ops === null) {
      for (let n = 0; n < plan.length; n++) this.runNode(plan[n], frames);
      return;
    }
    const schedule = ops.schedule;
    for (let i = 0; i < schedule.length; i++) {
      const entry = schedule[i];
      if (entry >= 0) this.runNode(plan[entry], frames);
      else this.runSegment(ops, ~entry, frames);
    }
    this.afterPlan();
  }

  // ------------------------------------------------------------------- as a member of a ChildGroup
  // A ChildGroup (child-group.ts) renders sibling child plans as `render` would, one schedule entry of all of
  // them at a time: lockstepBegin, then lockstepNode or the group's op call per entry, then lockstepEnd.

  /** Render side: what `render` does before the plan; returns the op list (null: render it alone). */
  lockstepBegin(): OpList | null {
    if (this.queue.length > 0 || this.dirty) this.applyQueued();
    if (this.masterWriters > 0) {
      this.master.left.fill(0);
      this.master.right.fill(0);
    }
    return this.ops;
  }

  /** Render side: the whole plan, after lockstepBegin (the group could not take it). */
  lockstepAlone(frames: number): void {
    this.runPlan(frames);
  }

  /** Render side: the JS node at `index` in the plan. */
  lockstepNode(index: number, frames: number): void {
    this.runNode(this.plan[index], frames);
  }

  /** Render side: op `index`'s output went non-finite in the group's call: mute its node. */
  lockstepFault(index: number): void {
    if (this.ops !== null) this.faults.fault(this.ops.nodes[index], 'produced NaN or Infinity');
  }

  /** Render side: what `render` does after the plan. */
  lockstepEnd(): void {
    if (this.ops !== null) this.afterPlan();
  }

  private afterPlan(): void {
    const ops = this.ops;
    if (ops === null) return;
    if (this.opsUnrendered) {
      // Op nodes, and inert nodes (never called, but what feeds them was heard: an outlet's input is read by
      // its parent), have rendered now, as every node the JS path calls has: a relink into them glides.
      this.opsUnrendered = false;
      const plan = this.plan;
      for (let i = 0; i < plan.length; i++) if (!plan[i].faulted) plan[i].rendered = true;
    }
    if (this.settleBlocks > 0 && --this.settleBlocks === 0) {
      for (const node of this.settling) if (this.nodes.get(node.name) === node) this.rebind.add(node);
      this.settling.length = 0;
      this.dirty = true;
    }
  }

  /** One segment of ops (one WebAssembly call unless an op's output goes non-finite: it is muted). */
  private runSegment(ops: OpList, k: number, frames: number): void {
    let bad = ops.run(k, frames);
    while (bad >= 0) {
      this.faults.fault(ops.nodes[bad], 'produced NaN or Infinity');
      bad = ops.resume(bad + 1, ops.segments[k].end, frames);
    }
    ops.publish(k, frames);
  }

  private runNode(node: RenderNode, frames: number): void {
    if (node.faulted) return;
    const steps = node.inputSteps;
    for (let c = 0; c < steps.length; c++) steps[c].run(frames);
    try {
      node.instance.process(frames);
      node.rendered = true;
    } catch (error) {
      this.faults.fault(node, error instanceof Error ? error.message : String(error));
      return;
    }
    // Cheap per-node sentinel: first and last sample. The full scan runs on the master below.
    const outputs = node.streamOutputs;
    for (let o = 0; o < outputs.length; o++) {
      const buf = outputs[o].buf;
      const first = buf[0];
      const last = buf[frames - 1];
      if (first - first !== 0 || last - last !== 0) {
        this.faults.fault(node, 'produced NaN or Infinity');
        break;
      }
    }
  }

  /** Stop everything and release files and devices (shutdown). A nested plan gives its buffers back. */
  dispose(): void {
    this.stop();
    for (const node of this.nodes.values()) {
      if (node.instance.dispose) this.faults.safely(node, 'dispose', () => node.instance.dispose?.());
      if (this.nested) {
        for (const buf of buffersOf(node)) this.pool.release(buf);
        if (node.converters) for (const converter of node.converters.values()) converter.release();
        this.ops?.forget(node);
      }
    }
    if (this.nested) {
      for (const buf of this.releaseAfterCompile) this.pool.release(buf);
      this.releaseAfterCompile = [];
      this.pool.release(this.master.left);
      this.pool.release(this.master.right);
    }
    this.nodes.clear();
    this.roots.clear();
    this.plan.length = 0;
    this.rebind.clear();
    this.settling.length = 0;
    this.ops?.release();
  }

  // ------------------------------------------------------------------------------- edits

  private applyQueued(): void {
    const batches = this.queue.splice(0);
    for (const ops of batches) for (const op of ops) this.applyOp(op);
    if (this.dirty) this.compile();
  }

  // One small method per kind of op: the common ones (add, link) are optimized early in a build on their
  // own, not together with the rare ones in one large function that V8 tiers up late.
  private applyOp(op: RenderOp): void {
    switch (op.op) {
      case 'add':
        this.addNode(op.name, op.type, op.value, op.args ?? EMPTY_RECORD, op.inputs, op.outputs);
        break;
      case 'link':
        this.linkPorts(op.source, op.sink);
        break;
      case 'unlink':
        this.unlinkPorts(op.source, op.sink);
        break;
      case 'remove':
        this.removeNode(op.name);
        break;
      case 'set':
        this.setValue(op);
        break;
      case 'ports':
        this.changePorts(op);
        break;
      case 'rename':
        this.renameNode(op.from, op.to);
        break;
      case 'configure':
        this.configureNode(op);
        break;
      case 'tempo':
        changeTempo(this.tempo, op.bpm, this.clock.frames, this.sampleRate);
        break;
      case 'reload':
        break; // the control side prepares the node again; its `configure` follows
    }
  }

  private linkPorts(sourceRef: PortRef, sinkRef: PortRef): void {
    const sink = this.nodes.get(sinkRef.node);
    const link = this.links.link(sourceRef, sinkRef, this.nodes.get(sourceRef.node), sink);
    // A new link is its sink's last feeder: the pass looks at it just before placing the sink, when a
    // source placed earlier is already visited, so the pass skips it (as it does a link to itself). A source
    // placed later moves before the sink with the feeders of it the pass had not visited (plan.ts).
    // One that replaces a link in place is looked at earlier: the order is made again.
    const source = link.from;
    if (this.links.replaced) {
      this.reorder = true;
    } else if (
      !this.reorder &&
      source !== undefined &&
      sink !== undefined &&
      source !== sink &&
      source.planAt > sink.planAt &&
      !this.manyMoves()
    ) {
      const start = sink.planAt;
      const epoch = ++this.orderEpoch;
      this.syncOps();
      if (
        placeSourceBefore(this.plan, this.nodes, sink, source, link, epoch, this.moved, this.movedFrom) >= 0
      ) {
        this.orderMoves++;
        this.moveOps(start, sink);
      }
    }
    this.revive(sinkRef.node);
    this.touch(sinkRef.node);
    this.dirty = true;
  }

  /**
   * The batch has moved the order MAX_BATCH_MOVES times: the rest of it makes the order afresh (one pass)
   * instead. A patch loaded whole (a thousand `new SineNode s; new 440 f; link f -> s`) links back at every
   * line, and a pass over the lot is cheaper than a move and an op-list patch each.
   */
  private manyMoves(): boolean {
    if (++this.batchMoves <= MAX_BATCH_MOVES) return false;
    this.reorder = true;
    return true;
  }

  private unlinkPorts(source: PortRef, sink: PortRef): void {
    const removed = this.links.unlink(source, sink);
    // Only the link the pass reached its source by matters to the order; the pass skipped any other. A
    // source that reached nothing else and now feeds nothing becomes a root at its turn (plan.ts).
    const from = removed?.from;
    if (from !== undefined && from.discoveredVia === removed) {
      const at = from.planAt;
      if (!this.reorder && !this.manyMoves()) this.syncOps();
      if (
        !this.reorder &&
        this.links.outOfNode(from.name).length === 0 &&
        placeAsRoot(this.plan, this.nodes, from)
      ) {
        this.orderMoves++;
        this.moved.length = 0;
        this.movedFrom.length = 0;
        this.moved.push(from);
        this.movedFrom.push(at);
        this.moveOps(from.planAt, this.plan[from.planAt + 1] ?? null);
      } else {
        this.reorder = true;
      }
    }
    this.revive(sink.node);
    this.touch(sink.node);
    this.dirty = true;
  }

  /**
   * Before a move of the order: the op list is brought to match the order as it is (nodes put at the end
   * earlier in the batch are listed, with the indices they have now); after a cut in the batch it cannot
   * be, and the next compile writes it afresh.
   */
  private syncOps(): void {
    const ops = this.ops;
    if (ops === null || this.opsStale) return;
    if (this.cut.length > 0) this.opsStale = true;
    else if (this.appended.length > 0) {
      if (!ops.patch(NO_NODES, NO_NODES, NO_INDICES, this.appended)) this.opsStale = true;
      this.appended.length = 0;
    }
  }

  /**
   * The order moved `moved` (old indices in `movedFrom`) to `start`…, before `before` (null: the end): the
   * op list, synced just before (`syncOps`), follows now (op-list.ts `move`); a move it cannot follow leaves
   * it to the next compile to write afresh.
   */
  private moveOps(start: number, before: RenderNode | null): void {
    const ops = this.ops;
    if (ops === null || this.opsStale) return;
    if (!ops.move(this.moved, this.movedFrom, start, before)) this.opsStale = true;
  }

  private removeNode(name: string): void {
    const node = this.nodes.get(name);
    if (!node) return;
    this.faults.safely(node, 'dispose', () => node.instance.dispose?.());
    this.faults.keepTail(node);
    // Released after the next compile: inputs it fed still read their last samples for crossfades.
    for (const buf of buffersOf(node)) this.releaseAfterCompile.push(buf);
    if (node.converters) for (const converter of node.converters.values()) converter.release();
    this.ops?.forget(node);
    if (node.instance.masterContribution) this.masterWriters--;
    if (!this.reorder && !reachesFeeders(node)) this.cutFromPlan(node);
    else this.reorder = true;
    this.nodes.delete(name);
    this.roots.delete(node);
    this.rebind.delete(node);
    this.links.detach(name);
    this.touchConsumers(name);
    this.dirty = true;
  }

  private setValue(op: Extract<RenderOp, { op: 'set' }>): void {
    const node = this.nodes.get(op.name);
    if (!node) return;
    this.revive(op.name);
    for (const link of this.links.outOfNode(op.name)) this.revive(link.sink.node);
    this.faults.safely(node, 'setValue', () => node.instance.setValue?.(op.value));
  }

  private changePorts(op: Extract<RenderOp, { op: 'ports' }>): void {
    const node = this.nodes.get(op.name);
    if (!node) return;
    setPorts(
      node,
      op.inputs ?? node.definition.inputs,
      op.outputs ?? node.definition.outputs,
      op.args ?? node.args,
      this.pool,
      this.releaseAfterCompile,
    );
    this.faults.safely(node, 'portsChanged', () => node.instance.portsChanged?.());
    this.rebind.add(node);
    this.touchConsumers(op.name);
    this.dirty = true;
  }

  private renameNode(from: string, to: string): void {
    const node = this.nodes.get(from);
    if (!node) return;
    // Names only: bindings, the order and the op list hold node objects (see `roots`, PlanLinks.rename).
    this.nodes.delete(from);
    node.name = to;
    node.context.name = to;
    this.nodes.set(to, node);
    this.links.rename(from, to);
  }

  private configureNode(op: Extract<RenderOp, { op: 'configure' }>): void {
    const node = this.nodes.get(op.name);
    if (!node?.instance.configure) return;
    this.revive(op.name);
    this.faults.safely(node, 'configure', () => node.instance.configure?.(op.prepared));
    // What it took may change its op (a delay line in the kernels' memory, or not): encode it again.
    if (node.instance.encode !== undefined) {
      this.rebind.add(node);
      this.dirty = true;
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
    const context = new RenderContext(this, name, type, value, this.makeChild);
    const node: RenderNode = {
      name,
      type,
      definition,
      context,
      instance: NOOP_INSTANCE,
      io,
      inputSpecs: EMPTY_RECORD,
      outputSpecs: EMPTY_RECORD,
      args: EMPTY_RECORD,
      streamOutputs: NO_STREAM_OUTPUTS,
      midiOutputs: [],
      defaultBuffers: undefined,
      converters: undefined,
      crossfades: undefined,
      inputSteps: NO_STEPS,
      inLinks: this.links.intoNode(name),
      visited: 0,
      planAt: -1,
      made: this.made++,
      discoveredVia: null,
      listedOp: false,
      listedSteps: null,
      inert: false,
      readsData: false,
      publishesExports: false,
      opRecord: -1,
      opBytes: 0,
      opAt: -1,
      rendered: false,
      faulted: false,
    };
    setPorts(node, inputSpecs, outputSpecs, args, this.pool, this.releaseAfterCompile);
    this.nodes.set(name, node);
    this.roots.add(node);
    this.links.attach(node);
    this.rebind.add(node);
    this.touchConsumers(name);
    // The last root of the pass: if no node reads it yet, it is placed last (its feeders are all placed).
    if (!this.reorder && this.links.outOfNode(name).length === 0) this.appendToPlan(node);
    else this.reorder = true;
    try {
      node.instance = definition.create(context, io as never);
      node.inert = node.instance.inert === true;
      node.readsData = node.instance.readData !== undefined;
      node.publishesExports = node.instance.publishExports !== undefined;
      if (node.instance.masterContribution) this.masterWriters++;
      if (this.running) node.instance.start?.();
    } catch (error) {
      this.faults.fault(
        node,
        `could not be created: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    this.dirty = true;
  }

  private appendToPlan(node: RenderNode): void {
    node.planAt = this.plan.length;
    node.discoveredVia = null;
    this.plan.push(node);
    this.appended.push(node);
    this.orderPatched = true;
  }

  /** Takes out of the order a node whose visit pushed no other (`reachesFeeders` false): the rest stay. */
  private cutFromPlan(node: RenderNode): void {
    const plan = this.plan;
    this.cut.push(node);
    this.cutAt.push(node.planAt);
    plan.splice(node.planAt, 1);
    for (let i = node.planAt; i < plan.length; i++) plan[i].planAt = i;
    node.planAt = -1;
    this.orderPatched = true;
  }

  /** The next compile binds `name`'s inputs again. */
  private touch(name: string): void {
    const node = this.nodes.get(name);
    if (node) this.rebind.add(node);
  }

  /** The next compile binds again every node `name` feeds (its outputs came, went or changed). */
  private touchConsumers(name: string): void {
    for (const link of this.links.outOfNode(name)) this.touch(link.sink.node);
  }

  /** An edit touched this node: give a muted node another chance. */
  private revive(name: string): void {
    const node = this.nodes.get(name);
    if (node?.faulted && node.instance !== NOOP_INSTANCE) {
      node.faulted = false;
      this.ops?.setMuted(node, false);
    }
  }

  // ------------------------------------------------------------------------------- compile

  /**
   * Binds the inputs of the nodes edits touched to their sources' buffers and, when nodes or links changed,
   * orders the nodes so each renders after all that feed it (plan.ts). Nodes no edit touched keep their
   * bindings, so one edit costs about the same on a graph of 10 nodes or 10,000.
   */
  private compile(): void {
    this.dirty = false;
    const ops = this.ops;
    for (const node of this.rebind) {
      bindInputs(node, this.pool, this.blockSize);
      if (ops === null || node.instance.encode === undefined) continue;
      ops.encode(node);
      if (gliding(node)) {
        this.settling.push(node);
        this.settleBlocks = SETTLE_BLOCKS;
      }
    }
    if (this.reorder) {
      this.reorder = false;
      this.orderPasses++;
      orderNodes(this.roots, ++this.orderEpoch, this.plan);
      ops?.build(this.plan);
    } else if (ops !== null && (this.reschedule || this.opsStale)) {
      ops.build(this.plan);
    } else if (
      ops !== null &&
      (this.rebind.size > 0 || this.orderPatched) &&
      !ops.patch(this.rebind, this.cut, this.cutAt, this.appended)
    ) {
      ops.build(this.plan);
    }
    this.reschedule = false;
    this.rebind.clear();
    this.orderPatched = false;
    this.opsStale = false;
    this.batchMoves = 0;
    this.appended.length = 0;
    this.cut.length = 0;
    this.cutAt.length = 0;
    this.opsUnrendered = this.ops !== null;
    for (const buf of this.releaseAfterCompile) this.pool.release(buf);
    this.releaseAfterCompile.length = 0;
  }

  /**
   * Makes the next compile bind every node again and make the order afresh, as a from-scratch compile
   * would: the reference the incremental compile is tested against (and a lever for diagnostics).
   */
  invalidatePlan(): void {
    for (const node of this.nodes.values()) this.rebind.add(node);
    this.reorder = true;
    this.dirty = true;
  }

  /**
   * Full order passes and op-list writes so far (tests: an edit that patches the plan makes neither), and
   * the order's patches for links back (which write the op list afresh).
   */
  planPasses(): { order: number; opList: number; moves: number } {
    return { order: this.orderPasses, opList: this.ops?.builds ?? 0, moves: this.orderMoves };
  }

  /**
   * The op list as names (op-list.ts `describe`), as edits left it and as a fresh `build` of the same plan
   * writes it, for tests of the patches (it writes the list afresh: the same list, if the patches are right).
   */
  describeOps(): { patched: unknown[]; fresh: unknown[] } | null {
    if (this.queue.length > 0 || this.dirty) this.applyQueued();
    const ops = this.ops;
    if (ops === null) return null;
    const patched = ops.describe(this.plan);
    ops.build(this.plan);
    return { patched, fresh: ops.describe(this.plan) };
  }

  /** Render order as a full pass over the by-sink links defines it (plan.ts `renderOrder`; roots in the order
   * nodes were made), for tests. */
  referenceOrder(): string[] {
    const roots = new Map<string, RenderNode>();
    for (const node of this.roots) roots.set(node.name, node);
    return renderOrder(roots, this.links.bySink).map((n) => n.name);
  }
}
