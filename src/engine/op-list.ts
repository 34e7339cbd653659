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
import { objectArray } from './types.js';
import { ALWAYS_CONSTANT, type Kernels, NEVER_CONSTANT, SINE_TABLE_OFFSET } from './wasm/kernels.js';
import { OP_BYTES, type OpWriter } from './wasm/ops.js';

/** A run of consecutive ops in the render order, and the converters of their nodes (run first). */
export class Segment {
  first = 0;
  end = 0;
  readonly steps: InputStep[] = objectArray();
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
  /** Times the list was written afresh (`build`), for tests of the patches. */
  builds = 0;
  /**
   * Changes whenever the schedule, the segments or the listed record pointers may have changed (`build`,
   * `patch`, `release`): a ChildGroup keeps its interleaved list while every member's revision stays.
   */
  revision = 0;
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
    this.builds++;
    this.revision++;
    this.reserve(plan.length);
    this.schedule.length = 0;
    this.segmentCount = 0;
    this.count = 0;
    let open: Segment | null = null;
    for (let n = 0; n < plan.length; n++) {
      const node = plan[n];
      if (node.opAt >= 0 && this.count < this.capacity) {
        open = this.listOp(node, open);
      } else {
        node.listedOp = false;
        if (!node.inert || node.inputSteps.length > 0) {
          open = null;
          this.schedule.push(n);
        }
      }
      node.listedSteps = node.inputSteps;
    }
    this.nodes.length = this.count;
  }

  /**
   * Brings the list up to date after edits that kept the render order but for nodes cut out of it (`cuts`,
   * each with the index it had, in the order they were cut) or put at its end (`appends`), and nodes whose
   * inputs were bound again (`rebound`): a few words and array entries instead of a pass over every node
   * (the pass reads thousands of node objects, ~60 µs on a 3,000-node graph). False when the edits are not
   * such a patch — a node turned from op to JS or back, a segment would vanish or two merge, the list is
   * full, cuts and appends in one batch —: the caller then writes the list afresh with `build`.
   * The order of converters within a segment does not matter (each writes a buffer only its node reads), so
   * a rebound node's new converters go to its segment's end.
   */
  patch(
    rebound: Iterable<RenderNode>,
    cuts: readonly RenderNode[],
    cutAt: readonly number[],
    appends: readonly RenderNode[],
  ): boolean {
    this.revision++;
    if (cuts.length > 0 && appends.length > 0) return false;
    for (let c = 0; c < cuts.length; c++) if (!this.cut(cuts[c], cutAt[c])) return false;
    for (const node of rebound)
      if (node.planAt >= 0 && node.listedSteps !== null && !this.refresh(node)) return false;
    for (let a = 0; a < appends.length; a++) if (!this.append(appends[a])) return false;
    // As `build` does: every segment's converters run on its next block.
    for (let k = 0; k < this.segmentCount; k++) this.segments[k].settledAt = -1;
    return true;
  }

  /**
   * The order moved `moved` (their old indices in `from`) to indices `start`… , right before `before` (null:
   * to the end), the others keeping their order (plan.ts `placeSourceBefore`, `placeAsRoot`): each is cut
   * from its old place and its op listed right before `before`'s, in its segment, or at the list's end —
   * what a fresh list does there —, a few words however far they moved. False when a moved node renders in
   * JS, or an op's new neighbour is not an op: the caller writes the list afresh (it may be half patched).
   * The list must match the order as it was before the move; `patch` then refreshes nodes bound again.
   */
  move(
    moved: readonly RenderNode[],
    from: readonly number[],
    start: number,
    before: RenderNode | null,
  ): boolean {
    this.revision++; // a ChildGroup's kept interleaving is stale now
    let ops = false;
    for (const node of moved) {
      if (node.listedOp) ops = true;
      else if (!node.inert || node.listedSteps === null || node.listedSteps.length > 0) return false;
    }
    if (ops && before !== null && !before.listedOp) return false;
    // Cut from the highest old index down: each index is still right when its turn comes.
    const byIndex = moved.map((_, m) => m).sort((x, y) => from[y] - from[x]);
    const placed: (InputStep[] | null)[] = moved.map((node) => node.listedSteps);
    for (const m of byIndex) if (!this.cut(moved[m], from[m])) return false;
    const schedule = this.schedule;
    let regroup: Segment | null = null;
    for (let m = 0; m < moved.length; m++) {
      const node = moved[m];
      const at = start + m;
      for (let e = 0; e < schedule.length; e++) if (schedule[e] >= at) schedule[e]++;
      node.listedSteps = placed[m];
      if (!node.listedOp) continue;
      let segment: Segment;
      if (before === null) {
        const last = schedule.length - 1;
        if (last >= 0 && schedule[last] < 0) {
          segment = this.segments[~schedule[last]];
        } else {
          segment = this.segment();
          segment.first = this.count;
          schedule.push(~(this.segmentCount - 1));
        }
        this.list[this.count] = node.opAt;
        this.nodes[this.count] = node;
        this.count++;
        segment.end = this.count;
        if (node.readsData) segment.readers.push(node);
        if (node.publishesExports) segment.publishers.push(node);
      } else {
        const i = this.nodes.indexOf(before);
        const k = this.segmentOf(i);
        if (k < 0) return false;
        segment = this.segments[k];
        this.list.copyWithin(i + 1, i, this.count);
        this.list[i] = node.opAt;
        this.nodes.splice(i, 0, node);
        this.count++;
        segment.end++;
        this.shiftSegments(k + 1, 1);
        // Readers and publishers in the order a fresh list has them (converters' order does not matter).
        if (node.readsData || node.publishesExports) regroup = segment;
      }
      const steps = placed[m]!;
      for (let s = 0; s < steps.length; s++) segment.steps.push(steps[s]);
    }
    if (regroup !== null) this.regroup(regroup);
    return true;
  }

  /** Takes out a node that was at index `at` of the order. */
  private cut(node: RenderNode, at: number): boolean {
    const placed = node.listedSteps;
    if (placed === null) return false;
    const schedule = this.schedule;
    if (node.listedOp) {
      const i = this.nodes.indexOf(node);
      const k = this.segmentOf(i);
      if (k < 0) return false;
      const segment = this.segments[k];
      this.list.copyWithin(i, i + 1, this.count);
      this.nodes.splice(i, 1);
      this.count--;
      segment.end--;
      let later = k + 1;
      if (segment.end === segment.first) {
        // Its only op: the segment goes. What stood on either side of it were JS nodes, which stay apart.
        schedule.splice(schedule.indexOf(~k), 1);
        this.dropSegment(k);
        later = k;
      } else {
        removeAll(segment.steps, placed);
        if (node.readsData) segment.readers.splice(segment.readers.indexOf(node), 1);
        if (node.publishesExports) segment.publishers.splice(segment.publishers.indexOf(node), 1);
      }
      for (let j = later; j < this.segmentCount; j++) {
        this.segments[j].first--;
        this.segments[j].end--;
      }
    } else if (!node.inert || placed.length > 0) {
      const e = schedule.indexOf(at);
      if (e < 0) return false;
      // Segments on both sides would be one in a fresh list.
      if (e > 0 && e < schedule.length - 1 && schedule[e - 1] < 0 && schedule[e + 1] < 0) return false;
      schedule.splice(e, 1);
    }
    for (let e = 0; e < schedule.length; e++) if (schedule[e] > at) schedule[e]--;
    node.listedSteps = null;
    return true;
  }

  /**
   * A node bound again in place: its op's record and its segment's converters, or it turns from op to JS
   * (a relink glides in JS: its segment is cut in two around it) or back (it joins its neighbours).
   */
  private refresh(node: RenderNode): boolean {
    const placed = node.listedSteps!;
    const steps = node.inputSteps;
    const op = node.opAt >= 0;
    if (node.listedOp && op) {
      const i = this.nodes.indexOf(node);
      const k = this.segmentOf(i);
      if (k < 0) return false;
      this.list[i] = node.opAt;
      if (placed !== steps) {
        const segment = this.segments[k];
        removeAll(segment.steps, placed);
        for (let s = 0; s < steps.length; s++) segment.steps.push(steps[s]);
      }
    } else if (node.listedOp) {
      if (!this.toJs(node)) return false;
    } else if (op) {
      if (!this.toOp(node)) return false;
    } else if (node.inert && placed.length > 0 !== steps.length > 0) {
      return false; // an inert node is in the schedule only while it has input steps
    }
    node.listedSteps = steps;
    return true;
  }

  /** A node listed as op `i` renders in JS now, at its place between the ops before and after it. */
  private toJs(node: RenderNode): boolean {
    const i = this.nodes.indexOf(node);
    const k = this.segmentOf(i);
    if (k < 0 || node.inert) return false;
    const schedule = this.schedule;
    const segment = this.segments[k];
    this.list.copyWithin(i, i + 1, this.count);
    this.nodes.splice(i, 1);
    this.count--;
    removeAll(segment.steps, node.listedSteps!);
    if (node.readsData) segment.readers.splice(segment.readers.indexOf(node), 1);
    if (node.publishesExports) segment.publishers.splice(segment.publishers.indexOf(node), 1);
    this.shiftSegments(k + 1, -1);
    const e = schedule.indexOf(~k);
    const n = node.planAt;
    if (segment.first === i && segment.end === i + 1) {
      schedule[e] = n;
      this.dropSegment(k);
    } else if (segment.first === i) {
      segment.end--;
      schedule.splice(e, 0, n);
    } else if (segment.end === i + 1) {
      segment.end--;
      schedule.splice(e + 1, 0, n);
    } else {
      // Cut in two. The smaller part becomes a segment of its own, its converters, readers and publishers
      // gathered from its nodes; the larger keeps the rest of them (a pass over the smaller part's nodes:
      // a relink near either end of a segment of thousands of ops reads few node objects).
      if (i - segment.first <= segment.end - 1 - i) {
        const left = this.insertSegment(k); // `segment`, the part after the node, is k + 1 now
        left.first = segment.first;
        left.end = i;
        segment.first = i;
        segment.end--;
        schedule.splice(e, 0, ~k, n);
        this.regroup(left);
        withoutAll(segment, left);
      } else {
        const right = this.insertSegment(k + 1);
        right.first = i;
        right.end = segment.end - 1;
        segment.end = i;
        schedule.splice(e + 1, 0, n, ~(k + 1));
        this.regroup(right);
        withoutAll(segment, right);
      }
    }
    node.listedOp = false;
    return true;
  }

  /** A node rendered in JS (in the schedule at its plan index) renders as an op again: it joins its neighbours. */
  private toOp(node: RenderNode): boolean {
    const schedule = this.schedule;
    const e = schedule.indexOf(node.planAt);
    if (e < 0 || this.count >= this.capacity) return false;
    const before = e > 0 && schedule[e - 1] < 0 ? ~schedule[e - 1] : -1;
    const after = e + 1 < schedule.length && schedule[e + 1] < 0 ? ~schedule[e + 1] : -1;
    let i = 0; // its op index: after the ops of the segments before it in the schedule
    if (before >= 0) i = this.segments[before].end;
    else if (after >= 0) i = this.segments[after].first;
    else
      for (let b = e - 1; b >= 0; b--)
        if (schedule[b] < 0) {
          i = this.segments[~schedule[b]].end;
          break;
        }
    this.list.copyWithin(i + 1, i, this.count);
    this.list[i] = node.opAt;
    this.nodes.splice(i, 0, node);
    this.count++;
    let segment: Segment;
    if (before >= 0 && after >= 0) {
      // The segments on both sides become one.
      segment = this.segments[before];
      const next = this.segments[after];
      this.shiftSegments(after, 1);
      segment.end = next.end;
      addNode(segment, node);
      for (const step of next.steps) segment.steps.push(step);
      for (const reader of next.readers) segment.readers.push(reader);
      for (const publisher of next.publishers) segment.publishers.push(publisher);
      schedule.splice(e, 2);
      this.dropSegment(after);
    } else if (before >= 0) {
      segment = this.segments[before];
      segment.end++;
      this.shiftSegments(before + 1, 1);
      addNode(segment, node);
      schedule.splice(e, 1);
    } else if (after >= 0) {
      segment = this.segments[after];
      segment.end++;
      this.shiftSegments(after + 1, 1);
      for (const step of node.inputSteps) segment.steps.push(step);
      if (node.readsData) segment.readers.unshift(node);
      if (node.publishesExports) segment.publishers.unshift(node);
      schedule.splice(e, 1);
    } else {
      let k = 0;
      for (let b = 0; b < e; b++) if (schedule[b] < 0) k++;
      segment = this.insertSegment(k);
      segment.first = i;
      segment.end = i + 1;
      this.shiftSegments(k + 1, 1);
      addNode(segment, node);
      schedule[e] = ~k;
    }
    node.listedOp = true;
    return true;
  }

  /** Moves the ops of segments `from`… by `delta`. */
  private shiftSegments(from: number, delta: number): void {
    for (let k = from; k < this.segmentCount; k++) {
      this.segments[k].first += delta;
      this.segments[k].end += delta;
    }
  }

  /** A new, empty segment at index `k` (the schedule's references to those after it follow). */
  private insertSegment(k: number): Segment {
    const segment = this.segments.length > this.segmentCount ? this.segments.pop()! : new Segment();
    segment.steps.length = 0;
    segment.readers.length = 0;
    segment.publishers.length = 0;
    segment.settledAt = -1;
    this.segments.splice(k, 0, segment);
    this.segmentCount++;
    const schedule = this.schedule;
    // ~j for j ≥ k becomes ~(j + 1); the new one's own entry is written by the caller.
    for (let e = 0; e < schedule.length; e++) if (schedule[e] <= ~k) schedule[e]--;
    return segment;
  }

  /** Removes segment `k`, no longer in the schedule (the references to those after it follow). */
  private dropSegment(k: number): void {
    const [segment] = this.segments.splice(k, 1);
    this.segments.push(segment); // kept for reuse, as `segment()` does
    this.segmentCount--;
    const schedule = this.schedule;
    for (let e = 0; e < schedule.length; e++) if (schedule[e] < ~k) schedule[e]++;
  }

  /** Makes a segment's converters, readers and publishers again from its ops' nodes. */
  private regroup(segment: Segment): void {
    segment.steps.length = 0;
    segment.readers.length = 0;
    segment.publishers.length = 0;
    for (let i = segment.first; i < segment.end; i++) {
      const node = this.nodes[i];
      const steps = node.listedSteps ?? node.inputSteps;
      for (let s = 0; s < steps.length; s++) segment.steps.push(steps[s]);
      if (node.readsData) segment.readers.push(node);
      if (node.publishesExports) segment.publishers.push(node);
    }
  }

  /**
   * Lists `node`'s op at the list's end, in `open` or, when null, in a new segment after the schedule's
   * last entry; returns the segment. `build` and `append` both list through here, so a patched list is
   * made exactly as a rebuilt one.
   */
  private listOp(node: RenderNode, open: Segment | null): Segment {
    if (open === null) {
      open = this.segment();
      open.first = this.count;
      this.schedule.push(~(this.segmentCount - 1));
    }
    this.list[this.count] = node.opAt;
    this.nodes[this.count] = node;
    this.count++;
    open.end = this.count;
    const steps = node.inputSteps;
    for (let s = 0; s < steps.length; s++) open.steps.push(steps[s]);
    if (node.readsData) open.readers.push(node);
    if (node.publishesExports) open.publishers.push(node);
    node.listedOp = true;
    return open;
  }

  /** A node put at the end of the order (`node.planAt`). */
  private append(node: RenderNode): boolean {
    if (node.opAt >= 0) {
      if (this.count >= this.capacity) return false;
      const last = this.schedule.length - 1;
      this.listOp(node, last >= 0 && this.schedule[last] < 0 ? this.segments[~this.schedule[last]] : null);
    } else {
      node.listedOp = false;
      if (!node.inert || node.inputSteps.length > 0) this.schedule.push(node.planAt);
    }
    node.listedSteps = node.inputSteps;
    return true;
  }

  /** The segment that holds op `i`, or -1. */
  private segmentOf(i: number): number {
    if (i < 0) return -1;
    for (let k = 0; k < this.segmentCount; k++)
      if (this.segments[k].first <= i && i < this.segments[k].end) return k;
    return -1;
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

  /**
   * What the list holds, by node names (tests compare a patched list with one written afresh): each
   * schedule entry, a JS node's name or a segment's ops, its converters' count, readers and publishers.
   */
  describe(plan: readonly RenderNode[]): unknown[] {
    const words = new Int32Array(this.kernels.heap);
    return this.schedule.map((entry) => {
      if (entry >= 0) return plan[entry].name;
      const segment = this.segments[~entry];
      const ops: string[] = [];
      for (let i = segment.first; i < segment.end; i++) {
        const node = this.nodes[i];
        // The record the list points at is the node's own.
        ops.push(words[(this.at >> 2) + i] === node.opAt ? node.name : `${node.name}?`);
      }
      return {
        ops,
        steps: segment.steps.length,
        readers: segment.readers.map((n) => n.name),
        publishers: segment.publishers.map((n) => n.name),
      };
    });
  }

  /** Gives the list's memory back (the renderer is disposed). */
  release(): void {
    this.revision++;
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

/** Adds a node's converters, reader and publisher to the end of a segment's. */
function addNode(segment: Segment, node: RenderNode): void {
  const steps = node.inputSteps;
  for (let s = 0; s < steps.length; s++) segment.steps.push(steps[s]);
  if (node.readsData) segment.readers.push(node);
  if (node.publishesExports) segment.publishers.push(node);
}

/** Removes each of `gone` from `list` (by identity). */
function removeAll(list: InputStep[], gone: readonly InputStep[]): void {
  for (let g = 0; g < gone.length; g++) {
    const at = list.indexOf(gone[g]);
    if (at >= 0) list.splice(at, 1);
  }
}

/** Its input steps are data→stream converters only (a relink crossfade swaps buffers under the op). */
function convertersOnly(node: RenderNode): boolean {
  const steps = node.inputSteps;
  for (let s = 0; s < steps.length; s++) if (!(steps[s] instanceof DataToStream)) return false;
  return true;
}

/** Takes out of `segment` the converters, readers and publishers `part` holds (one pass over each array). */
function withoutAll(segment: Segment, part: Segment): void {
  keepOthers(segment.steps, part.steps);
  keepOthers(segment.readers, part.readers);
  keepOthers(segment.publishers, part.publishers);
}

/** Removes from `list` the entries of `gone`, keeping the order of the rest. */
function keepOthers<T>(list: T[], gone: readonly T[]): void {
  if (gone.length === 0) return;
  const drop = new Set(gone);
  let w = 0;
  for (let r = 0; r < list.length; r++) if (!drop.has(list[r])) list[w++] = list[r];
  list.length = w;
}
