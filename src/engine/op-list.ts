// The compiled plan's WebAssembly part (issue 14 item 1): the nodes that have a kernel, as a flat list of op
// records in the kernels' memory (wasm/ops.ts), cut into segments at the nodes that render in JS. One
// `runOps` call renders a whole segment; JS nodes are called at their place in the order between segments.
// Written when a plan is built (renderer.ts compile, render thread at a block boundary; may allocate);
// running it allocates nothing.
//
// A node with input steps other than data→stream converters (a relink crossfade) renders in JS for that
// plan. Converters of a segment's nodes run before the segment: each reads a data slot, which only JS nodes
// write, and those all ran before the segment (or, across a cycle, after it in either case), and each
// writes a buffer only its own node reads. The converters mirror `constant` into the flag an op reads.

import type { StreamInput } from './definition.js';
import { DataToStream, type InputStep } from './input-steps.js';
import type { RenderNode } from './render-node.js';
import { ALWAYS_CONSTANT, type Kernels, NEVER_CONSTANT, SINE_TABLE_OFFSET } from './wasm/kernels.js';
import { OP_BYTES, OP_WORDS, type OpWriter } from './wasm/ops.js';

/** A run of consecutive ops in the render order, and the converters of their nodes (run first). */
export class Segment {
  first = 0;
  end = 0;
  readonly steps: InputStep[] = [];
}

const NO_STEPS: InputStep[] = [];

/** The least op capacity an op list reserves; it doubles when a plan needs more. */
const MIN_OPS = 64;

export class OpList implements OpWriter {
  /**
   * What the plan runs, in order: an index ≥ 0 is a JS node (`plan[index]`), ~k a segment (`segments[k]`).
   * Reused from plan to plan.
   */
  readonly schedule: number[] = [];
  readonly segments: Segment[] = [];
  segmentCount = 0;
  /** The node of each op, by op index (for faults and the `rendered` flag). */
  readonly nodes: RenderNode[] = [];
  count = 0;
  private readonly kernels: Kernels;
  private capacity = 0;
  private at = -1;
  private words: Int32Array;
  /** Where the next operand goes (word index), and the node being encoded. */
  private cursor = 0;
  private node: RenderNode | null = null;

  constructor(kernels: Kernels) {
    this.kernels = kernels;
    this.words = new Int32Array(0);
  }

  /** Writes the op list for `plan` (in render order) from scratch. */
  build(plan: readonly RenderNode[]): void {
    this.reserve(plan.length);
    this.schedule.length = 0;
    this.segmentCount = 0;
    this.count = 0;
    let open: Segment | null = null;
    for (let n = 0; n < plan.length; n++) {
      const node = plan[n];
      node.op = -1;
      if (this.count < this.capacity && this.encodeAt(node, this.count)) {
        if (open === null) {
          open = this.segment();
          open.first = this.count;
          this.schedule.push(~(this.segmentCount - 1));
        }
        node.op = this.count;
        this.nodes[this.count] = node;
        this.count++;
        open.end = this.count;
        const steps = node.inputSteps;
        for (let s = 0; s < steps.length; s++) open.steps.push(steps[s]);
      } else if (node.instance.inert !== true || node.inputSteps.length > 0) {
        open = null;
        this.schedule.push(n);
      }
    }
    this.nodes.length = this.count;
  }

  /**
   * Writes the ops of `nodes` (their inputs were bound again, the order is unchanged) in place. False when
   * that cannot be done in place (a node gained or lost its op, or an inert node its input steps): the
   * caller builds the list again.
   */
  update(nodes: Iterable<RenderNode>): boolean {
    for (const node of nodes) {
      if (node.op < 0) {
        if (node.instance.encode !== undefined && this.eligible(node)) return false;
        if (node.instance.inert === true) return false;
        continue;
      }
      if (!this.encodeAt(node, node.op)) return false;
    }
    // Converters may have come or gone: collect each segment's again (cheap: a pass over their nodes).
    for (let k = 0; k < this.segmentCount; k++) {
      const segment = this.segments[k];
      segment.steps.length = 0;
      for (let i = segment.first; i < segment.end; i++) {
        const steps = this.nodes[i].inputSteps;
        for (let s = 0; s < steps.length; s++) segment.steps.push(steps[s]);
      }
    }
    return true;
  }

  /** Marks op `op` muted (its node faulted) or not. */
  setMuted(op: number, muted: boolean): void {
    this.words[op * OP_WORDS + 1] = muted ? 1 : 0;
  }

  /**
   * Runs segment `k` for one block: its converters, then its ops. Returns the index of an op whose output
   * went non-finite, or -1; the caller mutes that node and calls `resume` from the next op.
   */
  run(k: number, frames: number): number {
    const segment = this.segments[k];
    const steps = segment.steps;
    for (let s = 0; s < steps.length; s++) steps[s].run(frames);
    return this.resume(segment.first, segment.end, frames);
  }

  /** Runs ops `from` … `end` − 1; as `run`. */
  resume(from: number, end: number, frames: number): number {
    if (from >= end) return -1;
    const bad = this.kernels.exports.runOps(this.at + from * OP_BYTES, end - from, frames, SINE_TABLE_OFFSET);
    return bad < 0 ? -1 : from + bad;
  }

  /** Gives the list's memory back (the renderer is disposed). */
  release(): void {
    this.kernels.releaseState(this.at, this.capacity * OP_BYTES);
    this.at = -1;
    this.capacity = 0;
    this.count = 0;
    this.segmentCount = 0;
    this.schedule.length = 0;
  }

  // ---------------------------------------------------------------------------- OpWriter (nodes' encode)

  begin(opcode: number, out: Float32Array): boolean {
    const base = this.cursor;
    if (out.buffer !== this.kernels.heap) return false;
    this.words[base] = opcode;
    this.words[base + 1] = this.node?.faulted ? 1 : 0;
    this.words[base + 2] = out.byteOffset;
    this.cursor = base + 3;
    return true;
  }

  input(input: StreamInput): boolean {
    const buf = input.buf;
    if (buf.buffer !== this.kernels.heap) return false;
    let flag = input.constant ? ALWAYS_CONSTANT : NEVER_CONSTANT;
    const steps = this.node?.inputSteps ?? NO_STEPS;
    for (let s = 0; s < steps.length; s++) {
      const step = steps[s];
      if (step instanceof DataToStream && step.input === input) {
        if (step.constantAt < 0 || step.buf !== buf) return false;
        flag = step.constantAt;
      }
    }
    this.words[this.cursor++] = buf.byteOffset;
    this.words[this.cursor++] = flag;
    return true;
  }

  pointer(byteOffset: number): boolean {
    if (byteOffset < 0) return false;
    this.words[this.cursor++] = byteOffset;
    return true;
  }

  // ----------------------------------------------------------------------------------------- inside

  /** A node whose op the list can hold: a kernel, and no input steps but converters. */
  private eligible(node: RenderNode): boolean {
    const steps = node.inputSteps;
    for (let s = 0; s < steps.length; s++) if (!(steps[s] instanceof DataToStream)) return false;
    return true;
  }

  /** Encodes `node` as op `index`; false when it renders in JS (the record is then not valid). */
  private encodeAt(node: RenderNode, index: number): boolean {
    const instance = node.instance;
    if (instance.encode === undefined || !this.eligible(node)) return false;
    this.node = node;
    this.cursor = index * OP_WORDS;
    let ok = false;
    try {
      ok = instance.encode(this);
    } catch {
      ok = false; // a node that cannot say its op renders by `process`, where a throw is a fault
    }
    this.node = null;
    return ok;
  }

  private segment(): Segment {
    if (this.segmentCount === this.segments.length) this.segments.push(new Segment());
    const segment = this.segments[this.segmentCount++];
    segment.steps.length = 0;
    return segment;
  }

  /** Room for `ops` ops (a new, larger block of state memory when needed). */
  private reserve(ops: number): void {
    if (ops <= this.capacity) return;
    let capacity = Math.max(MIN_OPS, this.capacity * 2);
    while (capacity < ops) capacity *= 2;
    let at = this.kernels.allocState(capacity * OP_BYTES);
    if (at < 0) {
      // State memory is short: take what fits of exactly what is needed; the rest renders in JS.
      at = this.kernels.allocState(ops * OP_BYTES);
      if (at < 0) return;
      capacity = ops;
    }
    this.kernels.releaseState(this.at, this.capacity * OP_BYTES);
    this.at = at;
    this.capacity = capacity;
    this.words = new Int32Array(this.kernels.heap, at, capacity * OP_WORDS);
  }
}
