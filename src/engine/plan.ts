// Plan building: binds nodes' inputs to their sources' buffers and puts the nodes in render order.
// Runs when an edit is applied, at a block boundary (renderer.ts, render thread); it may allocate, the plan
// it makes does not. It is incremental, so that one edit to a graph of thousands of nodes costs the render
// thread microseconds (issue 14): only the nodes an edit touched are bound again, and the order is one
// depth-first pass over node objects and the links they keep (no name look-ups), made only when an edit may
// change it in a way the renderer cannot patch; a link from a node placed after its sink is patched within
// the region it moves (`placeSourceBefore`). No name decides the order, so a rename leaves it as it is.
// `renderOrder` below is the definition the pass and the patches keep to, used by tests to check them.
// A link that closes a cycle is a back edge: its sink reads the source's previous block (a one-block
// delay), because output buffers persist between blocks.

import type { BufferPool } from './buffers.js';
import {
  type DataInput,
  DataOutput,
  type MidiInput,
  MidiOutput,
  type StreamInput,
  StreamOutput,
} from './definition.js';
import { DataToStream, type InputStep, RelinkCrossfade } from './input-steps.js';
import { EMPTY_MIDI } from './midi.js';
import type { RenderNode } from './render-node.js';
import { type PortRef, portKey } from './types.js';

/** A link as the render side keeps it, by sink port (`node.port`). */
export interface Link {
  source: PortRef;
  sink: PortRef;
}

/** A link with its source node resolved (undefined while no node of that name exists). */
export interface RenderLink extends Link {
  from: RenderNode | undefined;
}

const NO_LINKS: RenderLink[] = [];

/**
 * The render side's links, indexed three ways: by sink port (what binding reads), into each node in the
 * order the order pass visits feeders, and out of each node (whom an edit to a source touches).
 * Render thread, at block boundaries.
 */
export class PlanLinks {
  /** By sink port, `node.port`, in insertion order (a relink of the same port keeps its place). */
  readonly bySink = new Map<string, RenderLink>();
  /**
   * Links into each node, in `bySink`'s order restricted to that node: the order feeders are visited in.
   * A node holds its array (RenderNode.inLinks), so the order pass needs no look-up.
   */
  private readonly into = new Map<string, RenderLink[]>();
  /** Links out of each node, in the order they were made (arrays, not Sets: most nodes feed one or two, and a
   * Set each was ~3,000 hash tables in a 3,000-node build). */
  private readonly outOf = new Map<string, RenderLink[]>();

  /**
   * The array of links into `name`; a node keeps it as `inLinks`. Until its first link that is NO_LINKS
   * (shared, never pushed to): the first link makes a one-element array (link() gives it to the sink node),
   * since an array pushed to when empty reserves 17 slots, and a node without inputs needs none at all.
   */
  intoNode(name: string): RenderLink[] {
    return this.into.get(name) ?? NO_LINKS;
  }

  /** Links out of `name` (empty when none). */
  outOfNode(name: string): readonly RenderLink[] {
    return this.outOf.get(name) ?? NO_LINKS;
  }

  get(sinkKey: string): RenderLink | undefined {
    return this.bySink.get(sinkKey);
  }

  /** The last `link` replaced a link into the same port (in its place) rather than adding one at the end. */
  replaced = false;

  /**
   * Links `source` to `sink` (replacing what fed that port, in its place); returns the new link. `to` is the
   * sink's node when it exists: its `inLinks` becomes the array made for its first link.
   */
  link(source: PortRef, sink: PortRef, from: RenderNode | undefined, to: RenderNode | undefined): RenderLink {
    const key = portKey(sink);
    const link: RenderLink = { source, sink, from };
    const old = this.bySink.get(key);
    this.replaced = old !== undefined;
    const into = this.into.get(sink.node);
    if (old) {
      this.removeOut(old);
      into![into!.indexOf(old)] = link;
    } else if (into) {
      into.push(link);
    } else {
      const made = [link];
      this.into.set(sink.node, made);
      if (to) to.inLinks = made;
    }
    this.bySink.set(key, link);
    this.addOut(link);
    return link;
  }

  /** Removes the link into `sink` if `source` feeds it; returns the link removed, if any. */
  unlink(source: PortRef, sink: PortRef): RenderLink | undefined {
    const key = portKey(sink);
    const existing = this.bySink.get(key);
    if (!existing || existing.source.node !== source.node || existing.source.port !== source.port)
      return undefined;
    this.bySink.delete(key);
    const into = this.into.get(sink.node);
    if (into) into.splice(into.indexOf(existing), 1);
    this.removeOut(existing);
    return existing;
  }

  /**
   * A node was renamed: the links into and out of it name it anew. Only links into it are keyed by its
   * name; they are re-keyed in their order, so each node's feeders keep their order (by-sink order restricted
   * to one sink, what the order pass follows) and the render order does not change: a rename costs the
   * node's links, not a pass over all.
   */
  rename(from: string, to: string): void {
    const into = this.into.get(from);
    // As before a first link: what `to`'s name had is not the renamed node's (it reads NO_LINKS).
    if (!into) this.into.delete(to);
    if (into) {
      this.into.delete(from);
      this.into.set(to, into);
      for (const link of into) this.bySink.delete(portKey(link.sink));
      for (const link of into) {
        link.sink = { ...link.sink, node: to };
        if (link.source.node === from) link.source = { ...link.source, node: to };
        this.bySink.set(portKey(link.sink), link);
      }
    }
    const out = this.outOf.get(from);
    if (out) {
      this.outOf.delete(from);
      this.outOf.set(to, out);
      for (const link of out) if (link.source.node === from) link.source = { ...link.source, node: to };
    }
  }

  /** `node` now exists under its name: links from that name resolve to it. */
  attach(node: RenderNode): void {
    for (const link of this.outOfNode(node.name)) link.from = node;
  }

  /** The node called `name` is gone: links from it resolve to nothing (their sinks read defaults). */
  detach(name: string): void {
    for (const link of this.outOfNode(name)) link.from = undefined;
    if (this.into.get(name)?.length === 0) this.into.delete(name);
    if (this.outOf.get(name)?.length === 0) this.outOf.delete(name);
  }

  private addOut(link: RenderLink): void {
    const out = this.outOf.get(link.source.node);
    if (out) out.push(link);
    else this.outOf.set(link.source.node, [link]);
  }

  private removeOut(link: RenderLink): void {
    const out = this.outOf.get(link.source.node);
    const at = out ? out.indexOf(link) : -1;
    if (at >= 0) out!.splice(at, 1);
  }
}

/**
 * Binds one node's inputs: a stream input reads its source's buffer, a data→stream converter or its default
 * buffer; a relinked stream input that has rendered glides to its new source (RelinkCrossfade).
 */
export function bindInputs(node: RenderNode, pool: BufferPool, blockSize: number): void {
  // Made on the first step: most nodes have none, and binding 3,000 nodes made 6,000 empty arrays.
  let converters: InputStep[] | undefined;
  let fades: InputStep[] | undefined;
  const specs = node.inputSpecs;
  for (const port in specs) {
    const spec = specs[port];
    // The link into this port: a node's `inLinks` are its entries of PlanLinks' by-sink map (a scan of a
    // few links, no `node.port` key string made per input).
    const link = linkInto(node, port);
    const source = link?.from;
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
        let converter = node.converters?.get(port);
        if (!converter) {
          converter = new DataToStream(sourceOutput.slot, pool.alloc(), streamInput, pool.kernels);
          (node.converters ??= new Map()).set(port, converter);
        }
        converter.slot = sourceOutput.slot;
        streamInput.buf = converter.buf;
        (converters ??= []).push(converter);
        targetConstant = null;
      } else {
        let buf = node.defaultBuffers?.get(port);
        if (buf === undefined) {
          buf = pool.alloc();
          buf.fill(streamInput.defaultValue);
          (node.defaultBuffers ??= new Map()).set(port, buf);
        }
        streamInput.buf = buf;
        streamInput.constant = true;
        targetConstant = true;
      }
      const fade = node.crossfades?.get(port);
      if (node.rendered && previous !== streamInput.buf && previous !== fade?.buf) {
        let crossfade = fade;
        if (!crossfade) {
          crossfade = new RelinkCrossfade(pool.alloc(), streamInput);
          (node.crossfades ??= new Map()).set(port, crossfade);
        }
        crossfade.arm(previous[blockSize - 1], streamInput.buf, targetConstant);
        (fades ??= []).push(crossfade);
      } else if (fade && previous === fade.buf && !fade.fadesTo(streamInput.buf)) {
        // Relinked again mid-fade: glide on from where the fade is now.
        fade.arm(previous[blockSize - 1], streamInput.buf, targetConstant);
        (fades ??= []).push(fade);
      } else if (fade?.active && fade.fadesTo(streamInput.buf)) {
        // Bound again to the same source (an edit elsewhere) while gliding: the glide goes on unchanged,
        // as it does for a node no edit touched (which is not bound again at all).
        (fades ??= []).push(fade);
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
  node.inputSteps =
    converters === undefined && fades === undefined
      ? NO_STEPS
      : [...(converters ?? NO_STEPS), ...(fades ?? NO_STEPS)];
}

/** Shared by every node without input steps (never pushed to: bindInputs makes a node's own array). */
export const NO_STEPS: InputStep[] = [];

/** The link feeding `node`'s input `port`, if any. */
function linkInto(node: RenderNode, port: string): RenderLink | undefined {
  const links = node.inLinks;
  for (let i = 0; i < links.length; i++) if (links[i].sink.port === port) return links[i];
  return undefined;
}

/**
 * Depth-first post-order over "is fed by" edges, iterative (chains of thousands of nodes are fine): roots in
 * `nodes`' order (the renderer passes the order nodes were made in), each node's feeders in `links`' order.
 * No name decides anything: a rename changes no order.
 */
export function renderOrder(
  nodes: ReadonlyMap<string, RenderNode>,
  links: ReadonlyMap<string, Link>,
): RenderNode[] {
  const order: RenderNode[] = [];
  const state = new Map<string, 1 | 2>(); // 1: on the stack, 2: done
  const feeders = new Map<string, string[]>();
  for (const link of links.values()) {
    const list = feeders.get(link.sink.node);
    if (list) list.push(link.source.node);
    else feeders.set(link.sink.node, [link.source.node]);
  }
  for (const root of nodes.keys()) {
    if (state.has(root)) continue;
    const stack: Array<{ name: string; next: number }> = [{ name: root, next: 0 }];
    state.set(root, 1);
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const sources = feeders.get(top.name) ?? [];
      if (top.next < sources.length) {
        const source = sources[top.next++];
        if (!state.has(source) && nodes.has(source)) {
          state.set(source, 1);
          stack.push({ name: source, next: 0 });
        }
        // state 1 → back edge (cycle): left as a one-block delay. state 2 → already ordered.
      } else {
        stack.pop();
        state.set(top.name, 2);
        order.push(nodes.get(top.name)!);
      }
    }
  }
  return order;
}

/**
 * The render order `renderOrder` defines, by one pass over node objects: roots in `nodes`' order, feeders in
 * each node's `inLinks` order (PlanLinks keeps it equal to the by-sink order), resolved sources, and a visit
 * stamp on each node instead of a map. Writes into `out`, reused from plan to plan. `epoch` must differ
 * from every earlier pass's. Each node learns its place (`planAt`) and the link the pass first reached it
 * by (`discoveredVia`): what lets an edit tell whether it would change the order (renderer.ts).
 */
export function orderNodes(nodes: Iterable<RenderNode>, epoch: number, out: RenderNode[]): void {
  out.length = 0;
  const stack: RenderNode[] = [];
  const next: number[] = [];
  for (const root of nodes) {
    if (root.visited === epoch) continue;
    root.visited = epoch;
    root.discoveredVia = null;
    const first = out.length;
    visitFeeders(root, epoch, Number.NEGATIVE_INFINITY, out, stack, next);
    for (let i = first; i < out.length; i++) out[i].planAt = i;
  }
}

/**
 * The pass's visit from `root` (stamped `epoch` already): depth-first post-order over feeders not stamped
 * yet and placed after index `after` (every one for -Infinity), each stamped and told the link it was
 * reached by, appended to `out`. Reads `planAt`, never writes it. `stack` and `next` are scratch, empty.
 */
function visitFeeders(
  root: RenderNode,
  epoch: number,
  after: number,
  out: RenderNode[],
  stack: RenderNode[],
  next: number[],
): void {
  stack.push(root);
  next.push(0);
  while (stack.length > 0) {
    const top = stack.length - 1;
    const node = stack[top];
    const feeders = node.inLinks;
    let pushed = false;
    while (next[top] < feeders.length) {
      const link = feeders[next[top]++];
      const source = link.from;
      if (source !== undefined && source.visited !== epoch && source.planAt > after) {
        source.visited = epoch;
        source.discoveredVia = link;
        stack.push(source);
        next.push(0);
        pushed = true;
        break;
      }
    }
    if (!pushed) {
      stack.pop();
      next.pop();
      out.push(node);
    }
  }
}

/**
 * Patches the order `orderNodes` made for a new link `link` (its sink's last feeder) from `source`, placed
 * after its sink `sink`: as a pass would, without one (issue 14: an edit costs the render thread ≤ 0.5 ms).
 * The pass meets the link when everything placed before the sink is done and the sink and the nodes it was
 * reached through are on its stack. A source on that stack closes a cycle: the link is a back edge (a
 * one-block delay) and the order stays. Otherwise the pass visits the source there: the source and the
 * feeders of it nothing had visited yet (`moved`, in the pass's post-order) come right before the sink,
 * and every other node keeps its place relative to the rest — the pass over them is the same, the moved
 * ones being already visited when it meets them. Only the region from the sink to the last moved node is
 * rewritten (Pearce–Kelly's affected region, with the pass's own order inside it). `epoch` must differ from
 * every order pass's; `nodes` finds a node by name (the stack is the chain of `discoveredVia` links).
 * `moved` and `movedFrom` receive the nodes moved (in their new order) and their old indices.
 * Returns the region's last index, -1 when the order stays.
 */
export function placeSourceBefore(
  plan: RenderNode[],
  nodes: ReadonlyMap<string, RenderNode>,
  sink: RenderNode,
  source: RenderNode,
  link: RenderLink,
  epoch: number,
  moved: RenderNode[],
  movedFrom: number[],
): number {
  const start = sink.planAt;
  // The pass's stack when it meets the link: the sink and its way in, root last.
  for (let node: RenderNode | undefined = sink; node !== undefined; ) {
    node.visited = epoch;
    const via: RenderLink | null = node.discoveredVia;
    node = via === null ? undefined : nodes.get(via.sink.node);
  }
  if (source.visited === epoch) return -1; // a back edge: a cycle, the order stays
  moved.length = 0;
  movedFrom.length = 0;
  source.visited = epoch;
  source.discoveredVia = link;
  // Placed before the sink, on the stack, or moved already: visited when the pass meets the link.
  visitFeeders(source, epoch, start, moved, [], []);
  let end = start;
  // The region [start, end]: the moved nodes first, then the others in their order.
  for (let m = 0; m < moved.length; m++) {
    const at = moved[m].planAt;
    if (at > end) end = at;
    movedFrom.push(at);
    moved[m].planAt = -1;
  }
  // From the back, the others close up towards the end (each write lands on an entry already read).
  let write = end;
  for (let i = end; i >= start; i--) {
    const node = plan[i];
    if (node.planAt < 0) continue;
    node.planAt = write;
    plan[write--] = node;
  }
  for (let m = 0; m < moved.length; m++) {
    moved[m].planAt = start + m;
    plan[start + m] = moved[m];
  }
  return end;
}

/** How far `placeAsRoot` follows `discoveredVia` links to a node's root before it gives up (a full pass). */
const MAX_ROOT_WALK = 64;

/**
 * Patches the order for an unlink of the link the pass reached `node` by, when `node` reached no other node
 * (no feeder of it was first reached through it) and feeds nothing now: no visit meets it any more, so the
 * pass takes it as a root, at its turn in the order nodes were made (`made`), and places it alone (its
 * feeders are all visited by then). Each root's nodes form one block of the order, the blocks in their roots'
 * `made` order: it goes after the last block whose root was made before it, found by bisection. The nodes
 * between its old and new place move up by one. False when that does not hold (or a root is too far to
 * find): the caller makes the order afresh. `nodes` finds a node by name.
 */
export function placeAsRoot(
  plan: RenderNode[],
  nodes: ReadonlyMap<string, RenderNode>,
  node: RenderNode,
): boolean {
  for (const link of node.inLinks)
    if (link.from !== undefined && link.from.discoveredVia === link) return false;
  const at = node.planAt;
  // Bisection over the order without `node`: the first index whose root was made after it.
  let lo = at;
  let hi = plan.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const made = rootMade(plan[mid + 1], nodes); // index mid of the order without `node`
    if (made < 0) return false;
    if (made > node.made) hi = mid;
    else lo = mid + 1;
  }
  for (let i = at; i < lo; i++) {
    const next = plan[i + 1];
    next.planAt = i;
    plan[i] = next;
  }
  plan[lo] = node;
  node.planAt = lo;
  node.discoveredVia = null;
  return true;
}

/** `made` of the root of the pass's tree `node` is in (-1 when it is further than MAX_ROOT_WALK). */
function rootMade(node: RenderNode, nodes: ReadonlyMap<string, RenderNode>): number {
  let current: RenderNode | undefined = node;
  for (let step = 0; step < MAX_ROOT_WALK && current !== undefined; step++) {
    const via: RenderLink | null = current.discoveredVia;
    if (via === null) return current.made;
    current = nodes.get(via.sink.node);
  }
  return -1;
}
