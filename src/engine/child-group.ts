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
/** The longest schedule whose combined lists are kept from block to block (longer: written every block). */
const MAX_ENTRIES = 64;

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
  // The combined lists of all the schedule's segments lie one after another and are written only when the
  // members or their op lists changed (a note started or ended, an edit): a held chord renders the same
  // interleaving block after block, and writing it (160 entries in poly-32) was ~4 % of the render.
  /** The members, their lists and the lists' revisions when the combined lists were written (-1: none). */
  private listedCount = -1;
  private readonly listedMembers: Array<Renderer | null> = Array.from({ length: MAX_MEMBERS }, () => null);
  private readonly listedLists: Array<OpList | null> = Array.from({ length: MAX_MEMBERS }, () => null);
  private readonly listedRevision = new Int32Array(MAX_MEMBERS);
  /** By schedule entry (a segment): where its ops start in the combined lists, and how many. */
  private readonly entryAt = new Int32Array(MAX_ENTRIES);
  private readonly entryOps = new Int32Array(MAX_ENTRIES);
  /** This block's writing cannot be kept (the lists' memory moved, or a segment ran alone). */
  private unkept = false;

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
    const listed = together && this.unchanged(members, count);
    if (together && !listed) together = this.sameShape(count);
    if (!together) {
      this.listedCount = -1;
      for (let c = 0; c < count; c++) members[c].lockstepAlone(frames);
      return;
    }
    const schedule = (lists[0] as OpList).schedule;
    const keep = schedule.length <= MAX_ENTRIES;
    this.unkept = !keep;
    let at = 0;
    for (let e = 0; e < schedule.length; e++) {
      if (schedule[e] >= 0) {
        for (let c = 0; c < count; c++) members[c].lockstepNode((lists[c] as OpList).schedule[e], frames);
      } else at = this.segment(members, count, e, frames, at, listed);
    }
    for (let c = 0; c < count; c++) members[c].lockstepEnd();
    if (!listed) this.remember(members, count);
  }

  dispose(): void {
    this.kernels?.releaseState(this.at, this.capacity * 4);
    this.at = -1;
    this.capacity = 0;
    this.view = new Int32Array(0);
    this.lists.fill(null);
    this.listedCount = -1;
    this.listedMembers.fill(null);
    this.listedLists.fill(null);
  }

  /** The same members with the same op lists as when the combined lists were written. */
  private unchanged(members: readonly Renderer[], count: number): boolean {
    if (count !== this.listedCount) return false;
    for (let c = 0; c < count; c++) {
      const ops = this.lists[c] as OpList;
      if (members[c] !== this.listedMembers[c] || ops !== this.listedLists[c]) return false;
      if (ops.revision !== this.listedRevision[c]) return false;
    }
    return true;
  }

  /** After a block that wrote the combined lists: they hold for these members until one changes. */
  private remember(members: readonly Renderer[], count: number): void {
    if (this.unkept) {
      this.listedCount = -1;
      return;
    }
    for (let c = 0; c < count; c++) {
      const ops = this.lists[c] as OpList;
      this.listedMembers[c] = members[c];
      this.listedLists[c] = ops;
      this.listedRevision[c] = ops.revision;
    }
    for (let c = count; c < this.listedCount; c++) {
      this.listedMembers[c] = null;
      this.listedLists[c] = null;
    }
    this.listedCount = count;
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

  /**
   * Schedule entry `e` (a segment in every member): their ops interleaved, one kernel call. Its combined
   * list goes at entry `at` of the lists (written unless `listed`: then it is there from an earlier block);
   * returns where the next segment's goes.
   */
  private segment(
    members: readonly Renderer[],
    count: number,
    e: number,
    frames: number,
    at: number,
    listed: boolean,
  ): number {
    const lists = this.lists;
    for (let c = 0; c < count; c++) {
      const ops = lists[c] as OpList;
      ops.prepare(~ops.schedule[e], frames);
    }
    let n = 0;
    if (listed) {
      at = this.entryAt[e];
      n = this.entryOps[e];
    } else {
      let total = 0;
      let longest = 0;
      for (let c = 0; c < count; c++) {
        const ops = lists[c] as OpList;
        const segment = ops.segments[~ops.schedule[e]];
        this.first[c] = segment.first;
        this.length[c] = segment.end - segment.first;
        total += this.length[c];
        if (this.length[c] > longest) longest = this.length[c];
      }
      const before = this.at;
      if (!this.reserve(at + total)) {
        // No memory for the combined list: each member's segment as its own plan would run it.
        this.unkept = true;
        for (let c = 0; c < count; c++)
          this.runAlone(members[c], lists[c] as OpList, ~(lists[c] as OpList).schedule[e], frames);
        return at;
      }
      // Moved: the segments before this one were written to the old place (they ran; keep nothing).
      if (this.at !== before && at > 0) this.unkept = true;
      const view = this.view;
      for (let j = 0; j < longest; j++) {
        for (let c = 0; c < count; c++) {
          if (j >= this.length[c]) continue;
          const op = this.first[c] + j;
          view[at + n] = (lists[c] as OpList).recordAt(op);
          this.owner[at + n] = c;
          this.ownerOp[at + n] = op;
          n++;
        }
      }
      if (e < MAX_ENTRIES) {
        this.entryAt[e] = at;
        this.entryOps[e] = n;
      }
    }
    const run = (this.kernels as Kernels).exports.runOps;
    const start = this.at + at * 4;
    let from = 0;
    while (from < n) {
      const bad = run(start + from * 4, n - from, frames, SINE_TABLE_OFFSET);
      if (bad < 0) break;
      members[this.owner[at + from + bad]].lockstepFault(this.ownerOp[at + from + bad]);
      from += bad + 1;
    }
    for (let c = 0; c < count; c++) {
      const ops = lists[c] as OpList;
      ops.publish(~ops.schedule[e], frames);
    }
    return at + n;
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
