// ChildGroup (definition.ts): sibling nested plans — a VoicesNode's voices — rendered one schedule entry of
// all of them at a time. Each plan keeps its own order; between plans nothing is shared (a voice reads only
// its own buffers and the parent's inputs), so running voice B's oscillator before voice A's filter changes
// no sample. The gain: one WebAssembly call per segment for every voice instead of one per voice, and the
// voices' ops listed op by op (every voice's saw, then every voice's ladder …), so the kernels find
// independent ladders side by side and run four in SIMD lanes (scripts/wasm/ops-filter.ts, runLadders).
// Plans whose schedules differ (a voice mid-reload) render one after another, as before.

import type { ChildGroup, ChildPlan } from './definition.js';
import type { OpList } from './op-list.js';
import type { Renderer } from './renderer.js';
import { type Kernels, SINE_TABLE_OFFSET } from './wasm/kernels.js';

/** The most plans a group renders together (VoicesNode's MAX_VOICES). */
const MAX_MEMBERS = 128;

export class LockstepGroup implements ChildGroup {
  private readonly kernels: Kernels | null;
  /** Each member's op list this block. */
  private readonly lists: Array<OpList | null> = Array.from({ length: MAX_MEMBERS }, () => null);
  /** Per member, for the segment being run: its first op and its op count. */
  private readonly first = new Int32Array(MAX_MEMBERS);
  private readonly length = new Int32Array(MAX_MEMBERS);
  /** The combined list: `capacity` record pointers at byte offset `at` of the kernels' memory. */
  private at = -1;
  private capacity = 0;
  private view = new Int32Array(0);
  /** Per entry of the combined list: which member, and the op's index in that member's list. */
  private owner = new Int32Array(0);
  private ownerOp = new Int32Array(0);

  constructor(kernels: Kernels | null) {
    this.kernels = kernels;
    // Made on the control side or at a block boundary: room for most groups now, not while rendering.
    if (kernels !== null) this.reserve(MAX_MEMBERS * 8);
  }

  render(children: ReadonlyArray<ChildPlan | null>, count: number, frames: number): void {
    const members = children as readonly Renderer[]; // made by the same renderer's createChild; none null
    const lists = this.lists;
    let together = this.kernels !== null && count > 1 && count <= MAX_MEMBERS;
    for (let c = 0; c < count; c++) {
      const ops = members[c].lockstepBegin();
      lists[c] = ops;
      if (ops === null) together = false;
    }
    if (together) together = this.sameShape(count);
    if (!together) {
      for (let c = 0; c < count; c++) members[c].lockstepAlone(frames);
      return;
    }
    const schedule = (lists[0] as OpList).schedule;
    for (let e = 0; e < schedule.length; e++) {
      if (schedule[e] >= 0) {
        for (let c = 0; c < count; c++) members[c].lockstepNode((lists[c] as OpList).schedule[e], frames);
      } else this.segment(members, count, e, frames);
    }
    for (let c = 0; c < count; c++) members[c].lockstepEnd();
  }

  dispose(): void {
    this.kernels?.releaseState(this.at, this.capacity * 4);
    this.at = -1;
    this.capacity = 0;
    this.view = new Int32Array(0);
    this.lists.fill(null);
  }

  /** Every member's schedule has the same length and a JS node or a segment at the same places. */
  private sameShape(count: number): boolean {
    const schedule = (this.lists[0] as OpList).schedule;
    for (let c = 1; c < count; c++) {
      const other = (this.lists[c] as OpList).schedule;
      if (other.length !== schedule.length) return false;
      for (let e = 0; e < schedule.length; e++) if (schedule[e] >= 0 !== other[e] >= 0) return false;
    }
    return true;
  }

  /** Schedule entry `e` (a segment in every member): their ops interleaved, one kernel call. */
  private segment(members: readonly Renderer[], count: number, e: number, frames: number): void {
    const lists = this.lists;
    let total = 0;
    let longest = 0;
    for (let c = 0; c < count; c++) {
      const ops = lists[c] as OpList;
      const k = ~ops.schedule[e];
      ops.prepare(k, frames);
      const segment = ops.segments[k];
      this.first[c] = segment.first;
      this.length[c] = segment.end - segment.first;
      total += this.length[c];
      if (this.length[c] > longest) longest = this.length[c];
    }
    if (!this.reserve(total)) {
      // No memory for the combined list: each member's segment as its own plan would run it.
      for (let c = 0; c < count; c++)
        this.runAlone(members[c], lists[c] as OpList, ~(lists[c] as OpList).schedule[e], frames);
      return;
    }
    const view = this.view;
    let n = 0;
    for (let j = 0; j < longest; j++) {
      for (let c = 0; c < count; c++) {
        if (j >= this.length[c]) continue;
        const op = this.first[c] + j;
        view[n] = (lists[c] as OpList).recordAt(op);
        this.owner[n] = c;
        this.ownerOp[n] = op;
        n++;
      }
    }
    const run = (this.kernels as Kernels).exports.runOps;
    let from = 0;
    while (from < n) {
      const bad = run(this.at + from * 4, n - from, frames, SINE_TABLE_OFFSET);
      if (bad < 0) break;
      members[this.owner[from + bad]].lockstepFault(this.ownerOp[from + bad]);
      from += bad + 1;
    }
    for (let c = 0; c < count; c++) {
      const ops = lists[c] as OpList;
      ops.publish(~ops.schedule[e], frames);
    }
  }

  /** One member's segment `k` alone (its converters already ran). */
  private runAlone(member: Renderer, ops: OpList, k: number, frames: number): void {
    const segment = ops.segments[k];
    let bad = ops.resume(segment.first, segment.end, frames);
    while (bad >= 0) {
      member.lockstepFault(bad);
      bad = ops.resume(bad + 1, segment.end, frames);
    }
    ops.publish(k, frames);
  }

  /** Room for `ops` record pointers in the kernels' memory; false when there is none. */
  private reserve(ops: number): boolean {
    const kernels = this.kernels as Kernels;
    if (ops > this.capacity) {
      let capacity = Math.max(256, this.capacity * 2);
      while (capacity < ops) capacity *= 2;
      const at = kernels.allocState(capacity * 4);
      if (at < 0) return false;
      kernels.releaseState(this.at, this.capacity * 4);
      this.at = at;
      this.capacity = capacity;
      this.owner = new Int32Array(capacity);
      this.ownerOp = new Int32Array(capacity);
      this.view = new Int32Array(kernels.heap, at, capacity);
    }
    // The memory grew since: its newer buffer sees the list too.
    if (this.view.buffer !== kernels.heap) this.view = new Int32Array(kernels.heap, this.at, this.capacity);
    return true;
  }
}
