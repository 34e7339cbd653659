// Which thread renders which node, for multi-core rendering (issue 14 item 3). Pure and control-side: the
// thread mechanics live above the engine (src/io/render-threads.ts); this decides only the placement.
//
// A part is a connected component of the movable nodes (those that touch nothing outside the process, see
// `movable` in the caller) that nothing on the main renderer feeds and that has no cycle: its nodes only
// feed each other and, by stream links, the main renderer's nodes (PlaybackNodes, the master). Such a part
// renders the same on any thread, so the master sums the same samples in the same order as on one thread.
// Parts go to threads by cost (longest first, to the least loaded thread); part 0 is the main thread's own,
// rendered before the main plan. Parts too cheap to be worth a thread stay in the main plan (MAIN), and so
// do the parts of a batch that gives no worker a part: a patch that cannot split renders as on one thread.

/** Owner of a node: MAIN (the main renderer with the master), or a part thread 0…threads-1. */
export const MAIN = -1;

export interface PlacementNode {
  name: string;
  /** May render on another thread (it has no file, device, port or patch of its own). */
  movable: boolean;
  /** Where it renders now; undefined for a node this batch adds. */
  owner: number | undefined;
  /** Relative render cost (1 for an ordinary node). */
  cost: number;
}

export interface PlacementLink {
  source: string;
  sink: string;
  /** The source port is a stream output (only streams cross threads: a block of samples in shared memory). */
  stream: boolean;
}

export interface PlacementOptions {
  /** Threads parts may go to, the main thread's own part 0 included. */
  threads: number;
  /** Cost each thread's parts carry now; updated in place by the placement. */
  load: number[];
  /** Least cost of a part worth a thread of its own; cheaper parts stay in the main renderer's plan. */
  minPartCost: number;
}

/** A node's owner in PlacementGraph before it has one (a node this batch adds). */
export const UNPLACED = -2;

/**
 * The graph as placement reads it, by node index: what a caller with many nodes builds directly (the
 * threaded renderer), with no object per node or link and no look-up by name inside the placement.
 */
export interface PlacementGraph {
  count: number;
  /** 1 when node i may render on another thread. */
  movable: Uint8Array;
  /** Where node i renders now, UNPLACED for a node this batch adds. */
  owner: Int32Array;
  /** Node i's relative cost; null: 1 each. */
  cost: ArrayLike<number> | null;
  linkCount: number;
  /** Link l goes from node linkSource[l] to node linkSink[l]; linkStream[l] is 1 for a stream output. */
  linkSource: Int32Array;
  linkSink: Int32Array;
  linkStream: Uint8Array;
}

/**
 * Owners for every node after a batch: the old ones kept (a node's state cannot move between threads),
 * new nodes placed. Returns null when the graph no longer splits as placed (a link now joins two threads'
 * parts, or the main renderer now feeds a part): the caller renders everything on one thread.
 */
export function placeNodes(
  nodes: readonly PlacementNode[],
  links: readonly PlacementLink[],
  options: PlacementOptions,
): Map<string, number> | null {
  const count = nodes.length;
  const index = new Map<string, number>();
  for (let i = 0; i < count; i++) index.set(nodes[i].name, i);
  const graph: PlacementGraph = {
    count,
    movable: new Uint8Array(count),
    owner: new Int32Array(count),
    cost: nodes.map((node) => node.cost),
    linkCount: 0,
    linkSource: new Int32Array(links.length),
    linkSink: new Int32Array(links.length),
    linkStream: new Uint8Array(links.length),
  };
  for (let i = 0; i < count; i++) {
    graph.movable[i] = nodes[i].movable ? 1 : 0;
    graph.owner[i] = nodes[i].owner ?? UNPLACED;
  }
  for (const link of links) {
    const s = index.get(link.source);
    const k = index.get(link.sink);
    if (s === undefined || k === undefined) continue; // a link to a node not placed here
    graph.linkSource[graph.linkCount] = s;
    graph.linkSink[graph.linkCount] = k;
    graph.linkStream[graph.linkCount] = link.stream ? 1 : 0;
    graph.linkCount++;
  }
  const owners = placeGraph(graph, options);
  if (owners === null) return null;
  const byName = new Map<string, number>();
  for (let i = 0; i < count; i++) byName.set(nodes[i].name, owners[i]);
  return byName;
}

/**
 * placeNodes over a PlacementGraph: owners by node index, or null as there. It runs once per batch that
 * adds or links, over the whole graph, in code that runs too briefly to be optimised (a `render` of a
 * 3,000-node patch places once): so it works on typed arrays by index, with no Map or Set inside.
 */
export function placeGraph(graph: PlacementGraph, options: PlacementOptions): Int32Array | null {
  const { count, movable, linkCount, linkSource, linkSink, linkStream } = graph;
  const placedBefore = graph.owner;
  const costOf = graph.cost;
  const parent = new Int32Array(count);
  for (let i = 0; i < count; i++) parent[i] = i;
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]];
      i = parent[i];
    }
    return i;
  };
  for (let l = 0; l < linkCount; l++) {
    const s = linkSource[l];
    const k = linkSink[l];
    if (movable[s] === 1 && movable[k] === 1) parent[find(s)] = find(k);
  }
  // Components as lists of members in node order (`head` by root, then `next`), roots as first met.
  const root = new Int32Array(count).fill(-1);
  const head = new Int32Array(count).fill(-1);
  const tail = new Int32Array(count);
  const next = new Int32Array(count).fill(-1);
  const roots: number[] = [];
  for (let i = 0; i < count; i++) {
    if (movable[i] === 0) continue;
    const r = find(i);
    root[i] = r;
    if (head[r] < 0) {
      head[r] = i;
      roots.push(r);
    } else next[tail[r]] = i;
    tail[r] = i;
  }
  // What keeps a component on the main renderer: a feeder there, a cycle, a non-stream link out.
  const mustStay = new Uint8Array(count); // by root
  const inside: number[] = []; // links within a component, as [source, sink] pairs
  for (let l = 0; l < linkCount; l++) {
    const s = linkSource[l];
    const k = linkSink[l];
    const sourceRoot = root[s];
    const sinkRoot = root[k];
    if (sinkRoot >= 0 && sourceRoot !== sinkRoot) mustStay[sinkRoot] = 1;
    if (sourceRoot >= 0 && sourceRoot !== sinkRoot && linkStream[l] === 0) mustStay[sourceRoot] = 1;
    if (sourceRoot >= 0 && sourceRoot === sinkRoot) inside.push(s, k);
  }
  for (const i of nodesOnCycles(count, inside)) mustStay[root[i]] = 1;

  const owners = new Int32Array(count);
  for (let i = 0; i < count; i++)
    if (movable[i] === 0) owners[i] = placedBefore[i] === UNPLACED ? MAIN : placedBefore[i];
  const fresh: Array<{ first: number; cost: number }> = [];
  let workerParts = false; // a part on a worker thread (1…), kept from before or placed now
  for (const r of roots) {
    // Its owner from before: the one its placed members share (two different ones: it no longer splits).
    let owner: number | undefined;
    for (let i = head[r]; i >= 0; i = next[i]) {
      const old = placedBefore[i];
      if (old === UNPLACED) continue;
      if (owner === undefined) owner = old;
      else if (owner !== old) return null;
    }
    if (mustStay[r] === 1) {
      if (owner !== undefined && owner !== MAIN) return null;
      owner = MAIN;
    }
    if (owner === undefined) {
      let cost = 0;
      for (let i = head[r]; i >= 0; i = next[i]) cost += costOf === null ? 1 : costOf[i];
      fresh.push({ first: head[r], cost });
      continue;
    }
    if (owner >= 1) workerParts = true;
    for (let i = head[r]; i >= 0; i = next[i]) owners[i] = owner;
  }
  fresh.sort((a, b) => b.cost - a.cost);
  const partZero: number[] = [];
  for (const { first, cost } of fresh) {
    // A cheap part stays in the main plan itself: rendered there exactly as on one thread, no copies.
    let best = MAIN;
    if (cost >= options.minPartCost) {
      best = 0;
      for (let t = 1; t < options.threads; t++) if (options.load[t] < options.load[best]) best = t;
      options.load[best] += cost;
      if (best === 0) partZero.push(first);
      else workerParts = true;
    }
    for (let i = first; i >= 0; i = next[i]) owners[i] = best;
  }
  // Part 0 exists so that the main thread renders its share while workers render theirs. With no worker
  // part it would only cost a renderer and a copy per block: its new components join the main plan and
  // render exactly as on one thread. Their cost stays in load[0], so a later part goes to a worker.
  if (!workerParts) for (const first of partZero) for (let i = first; i >= 0; i = next[i]) owners[i] = MAIN;
  // Every link must still be renderable as placed: within one owner, or a part's stream into the main renderer.
  for (let l = 0; l < linkCount; l++) {
    const s = owners[linkSource[l]];
    const k = owners[linkSink[l]];
    if (s === k) continue;
    if (!(s >= 0 && k === MAIN && linkStream[l] === 1)) return null;
  }
  return owners;
}

/**
 * Kahn's algorithm over the links within components (`pairs`: source, sink, … as node indices): the nodes
 * that never become free, i.e. on or after a cycle. One pass over typed arrays for all components: it runs
 * for every batch, and on a 3,000-node patch Maps per component cost a tenth of `render`'s build.
 */
function nodesOnCycles(count: number, pairs: readonly number[]): number[] {
  const indegree = new Int32Array(count);
  const first = new Int32Array(count + 1); // sinks of node i: targets[first[i] … first[i + 1]]
  for (let p = 0; p < pairs.length; p += 2) {
    first[pairs[p] + 1]++;
    indegree[pairs[p + 1]]++;
  }
  for (let i = 0; i < count; i++) first[i + 1] += first[i];
  const targets = new Int32Array(pairs.length / 2);
  const fill = first.slice(0, count);
  for (let p = 0; p < pairs.length; p += 2) targets[fill[pairs[p]]++] = pairs[p + 1];
  const ready = new Int32Array(count);
  let readyCount = 0;
  for (let i = 0; i < count; i++) if (indegree[i] === 0) ready[readyCount++] = i;
  while (readyCount > 0) {
    const i = ready[--readyCount];
    for (let t = first[i]; t < first[i + 1]; t++)
      if (--indegree[targets[t]] === 0) ready[readyCount++] = targets[t];
  }
  const stuck: number[] = [];
  for (let i = 0; i < count; i++) if (indegree[i] > 0) stuck.push(i);
  return stuck;
}
