// The compiled plan's WebAssembly part (issue 14 item 1): the nodes that have a kernel, as a flat list of ops
// in the kernels' memory (wasm/ops.ts), cut into segments at the nodes that render in JS. One `runOps` call
// renders a whole segment; JS nodes are called at their place in the order between segments.
// Each such node owns its op record (opcode, operands), written only when its inputs are bound again; the
// list itself is an array of record pointers in render order, so rebuilding it after an edit is one word a
// node (edits to a 3,000-node graph must cost the render thread well under 0.5 ms). Written when a plan is
// built (renderer.ts compile, render thread at a block boundary; may allocate); running allocates nothing.
//
// A node with input steps other than data→stream converters (a relink crossfade) renders in JS for that
// plan. Converters of a segment's nodes run before the segment: each reads a data slot, which only JS nodes
// write, and those all ran before the segment (or, across a cycle, after it in either case), and each
// writes a buffer only its own node reads. The converters mirror `constant` into the flag an op reads.
// Likewise a node whose op depends on a data input reads it (`readData`) before the segment, whenever a data
// value may have changed since the segment last ran: the same gate as the converters', so nothing while
// no data value changes.

import { dataChangeCount, type StreamInput } from './definition.js';
import { DataToStream, type InputStep } from './input-steps.js';
import type { RenderNode } from './render-node.js';
import { ALWAYS_CONSTANT, type Kernels, NEVER_CONSTANT, SINE_TABLE_OFFSET } from './wasm/kernels.js';
import { OP_BYTES, type OpWriter } from './wasm/ops.js';

/** A run of consecutive ops in the render order, and the converters of their nodes (run first). */
export class Segment {
  first = 0;
  end = 0;
  readonly steps: InputStep[] = [];
  /** Its nodes whose op depends on a data input (`readData`): read before the ops, with the converters. */
  readonly readers: RenderNode[] = [];
  /** Its nodes that publish exports from their op's state (`publishExports`): called after the ops. */
  readonly publishers: RenderNode[] = [];
  /**
   * `dataChangeCount()` when its converters last ran and had all settled; -1 when they must run. While no
   * data value anywhere has changed since, running them again would only repeat the same flags, and a
   * patch with thousands of fixed values paid that every block.
   */
  settledAt = -1;
}

const NO_STEPS: InputStep[] = [];

/** The least op capacity a list reserves; it doubles when a plan needs more. */
const MIN_OPS = 256;

export class OpList implements OpWriter {
  /**
   * What the plan runs, in order: an index ≥ 0 is a JS node (`plan[index]`), ~k a segment (`segments[k]`).
   * Reused from plan to plan.
   */
  readonly schedule: number[] = [];
  readonly segments: Segment[] = [];
  segmentCount = 0;
  /** The node of each op, by its index in the list (for faults and the `rendered` flag). */
  readonly nodes: RenderNode[] = [];
  count = 0;
  private readonly kernels: Kernels;
  /** The list: `capacity` i32 record pointers at byte offset `at`. */
  private capacity = 0;
  private at = -1;
  private list: Int32Array;
  /** The whole memory as words, remade after the memory grew (it then has a larger buffer). */
  private words: Int32Array;
  /**
   * Where the next operand goes (word index in `words`) and the end of the record being written (an operand
   * past it makes the node render by `process`, never overwrites the next block), and the node being encoded.
   */
  private cursor = 0;
  private limit = 0;
  private node: RenderNode | null = null;

  constructor(kernels: Kernels) {
    this.kernels = kernels;
    this.words = new Int32Array(kernels.heap);
    this.list = new Int32Array(0);
  }

  /**
   * Writes `node`'s op record after its inputs were bound (`node.opAt` ≥ 0 when it renders as an op, -1 when
   * by `process`: no kernel, input steps other than converters, or an operand a kernel cannot reach).
   */
  encode(node: RenderNode): void {
    const instance = node.instance;
    node.opAt = -1;
    if (instance.encode === undefined || !convertersOnly(node)) return;
    this.node = node;
    this.cursor = 0;
    this.limit = 0;
    let ok = false;
    try {
      ok = instance.encode(this);
    } catch {
      ok = false; // a node that cannot say its op renders by `process`, where a throw is a fault
    }
    this.node = null;
    if (ok && this.limit > 0) node.opAt = node.opRecord;
  }

  /** Gives a removed node's record back. */
  forget(node: RenderNode): void {
    this.kernels.releaseState(node.opRecord, node.opBytes);
    node.opRecord = -1;
    node.opBytes = 0;
    node.opAt = -1;
  }

  /** Writes the list for `plan` (in render order, nodes encoded). */
  build(plan: readonly RenderNode[]): void {
    this.reserve(plan.length);
    this.schedule.length = 0;
    this.segmentCount = 0;
    this.count = 0;
    const list = this.list;
    let open: Segment | null = null;
    for (let n = 0; n < plan.length; n++) {
      const node = plan[n];
      if (node.opAt >= 0 && this.count < this.capacity) {
        if (open === null) {
          open = this.segment();
          open.first = this.count;
          this.schedule.push(~(this.segmentCount - 1));
        }
        list[this.count] = node.opAt;
        this.nodes[this.count] = node;
        this.count++;
        open.end = this.count;
        const steps = node.inputSteps;
        for (let s = 0; s < steps.length; s++) open.steps.push(steps[s]);
        if (node.instance.readData !== undefined) open.readers.push(node);
        if (node.instance.publishExports !== undefined) open.publishers.push(node);
      } else if (!node.inert || node.inputSteps.length > 0) {
        open = null;
        this.schedule.push(n);
      }
    }
    this.nodes.length = this.count;
  }

  /** Marks `node`'s op muted (it faulted) or not. */
  setMuted(node: RenderNode, muted: boolean): void {
    if (node.opRecord >= 0) this.words[(node.opRecord >> 2) + 1] = muted ? 1 : 0;
    // A muted node's data were not read (as `process` is not called); unmuted, it reads them next block.
    if (!muted) for (let k = 0; k < this.segmentCount; k++) this.segments[k].settledAt = -1;
  }

  /**
   * Runs segment `k` for one block: its converters, then its ops. Returns the index of an op whose output
   * went non-finite, or -1; the caller mutes that node and calls `resume` from the next op.
   */
  run(k: number, frames: number): number {
    this.prepare(k, frames);
    const segment = this.segments[k];
    return this.resume(segment.first, segment.end, frames);
  }

  /** Segment `k`'s converters and data readers, which `run` calls before its ops. */
  prepare(k: number, frames: number): void {
    const segment = this.segments[k];
    const changes = dataChangeCount();
    if (segment.settledAt !== changes) {
      const steps = segment.steps;
      let settled = true;
      for (let s = 0; s < steps.length; s++) {
        const step = steps[s];
        step.run(frames);
        if (settled && !(step instanceof DataToStream && step.settled)) settled = false;
      }
      const readers = segment.readers;
      for (let r = 0; r < readers.length; r++) if (!readers[r].faulted) readers[r].instance.readData?.();
      segment.settledAt = settled ? changes : -1;
    }
  }

  /** The record pointer of op `i` (ChildGroup lists ops of several plans side by side). */
  recordAt(i: number): number {
    return this.list[i];
  }

  /** After segment `k` ran (faults and all): its nodes publish the exports their ops left in their state. */
  publish(k: number, frames: number): void {
    const publishers = this.segments[k].publishers;
    for (let p = 0; p < publishers.length; p++)
      if (!publishers[p].faulted) publishers[p].instance.publishExports?.(frames);
  }

  /** Runs ops `from` … `end` − 1; as `run`. */
  resume(from: number, end: number, frames: number): number {
    if (from >= end) return -1;
    const bad = this.kernels.exports.runOps(this.at + from * 4, end - from, frames, SINE_TABLE_OFFSET);
    return bad < 0 ? -1 : from + bad;
  }

  /** Gives the list's memory back (the renderer is disposed). */
  release(): void {
    this.kernels.releaseState(this.at, this.capacity * 4);
    this.at = -1;
    this.capacity = 0;
    this.list = new Int32Array(0);
    this.count = 0;
    this.segmentCount = 0;
    this.schedule.length = 0;
  }

  // ---------------------------------------------------------------------------- OpWriter (nodes' encode)

  begin(opcode: number, out: Float32Array, bytes = OP_BYTES): boolean {
    const node = this.node;
    if (node === null || !this.kernels.holds(out)) return false;
    if (node.opBytes < bytes) {
      // First encode, or a node that now needs a longer record: a new one (records never shrink).
      this.kernels.releaseState(node.opRecord, node.opBytes);
      node.opRecord = this.kernels.allocState(bytes);
      node.opBytes = node.opRecord < 0 ? 0 : bytes;
      if (node.opRecord < 0) return false;
    }
    if (this.words.buffer !== this.kernels.heap) this.words = new Int32Array(this.kernels.heap);
    const base = node.opRecord >> 2;
    this.limit = base + (bytes >> 2);
    this.words[base] = opcode;
    this.words[base + 1] = node.faulted ? 1 : 0;
    this.words[base + 2] = out.byteOffset;
    this.cursor = base + 3;
    return true;
  }

  input(input: StreamInput): boolean {
    const buf = input.buf;
    if (this.cursor + 2 > this.limit || !this.kernels.holds(buf)) return false;
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
    if (byteOffset < 0 || this.cursor >= this.limit) return false;
    this.words[this.cursor++] = byteOffset;
    return true;
  }

  // ----------------------------------------------------------------------------------------- inside

  private segment(): Segment {
    if (this.segmentCount === this.segments.length) this.segments.push(new Segment());
    const segment = this.segments[this.segmentCount++];
    segment.steps.length = 0;
    segment.readers.length = 0;
    segment.publishers.length = 0;
    segment.settledAt = -1;
    return segment;
  }

  /** Room for `ops` pointers (a new, larger block of state memory when needed). */
  private reserve(ops: number): void {
    if (ops <= this.capacity) return;
    let capacity = Math.max(MIN_OPS, this.capacity * 2);
    while (capacity < ops) capacity *= 2;
    let at = this.kernels.allocState(capacity * 4);
    if (at < 0) {
      // State memory is short: take what fits of exactly what is needed; the rest renders in JS.
      at = this.kernels.allocState(ops * 4);
      if (at < 0) return;
      capacity = ops;
    }
    this.kernels.releaseState(this.at, this.capacity * 4);
    this.at = at;
    this.capacity = capacity;
    this.list = new Int32Array(this.kernels.heap, at, capacity);
  }
}

/** Its input steps are data→stream converters only (a relink crossfade swaps buffers under the op). */
function convertersOnly(node: RenderNode): boolean {
  const steps = node.inputSteps;
  for (let s = 0; s < steps.length; s++) if (!(steps[s] instanceof DataToStream)) return false;
  return true;
}
