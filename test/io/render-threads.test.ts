// Multi-core rendering (issue 14 item 3): parts of the graph on worker threads give the same samples, bit
// for bit, as one thread — before, during and after edits. The workers run from dist/ (npm run build).

import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAIN } from '../../src/engine/partition.js';
import type { RenderEvent } from '../../src/engine/renderer.js';
import { ThreadedRenderer } from '../../src/io/render-threads.js';
import { Synchrotron } from '../../src/synchrotron.js';
import { chainsPatch } from '../helpers/chains.js';

const BLOCK = 128;

function engine(threads: number, minPartCost = 1): { synth: Synchrotron; events: RenderEvent[] } {
  const synth = new Synchrotron({
    blockSize: BLOCK,
    createRenderer: (options) => new ThreadedRenderer({ ...options, threads, minPartCost }),
  });
  const events: RenderEvent[] = [];
  synth.onEvent((event) => events.push(event));
  return { synth, events };
}

/** The threads the nodes render on (only the main renderer, MAIN, when the renderer runs on one thread). */
function threadsOf(synth: Synchrotron): Set<number> {
  const renderer = synth.renderer as ThreadedRenderer;
  return renderer.threads === 1 ? new Set([MAIN]) : new Set(renderer.placement().values());
}

/** Index of the first sample that differs, or -1: the renders must be bit-identical, not merely close. */
function firstDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

function peak(buf: Float32Array): number {
  let max = 0;
  for (const x of buf) max = Math.max(max, Math.abs(x));
  return max;
}

const live: Synchrotron[] = [];
afterEach(() => {
  for (const synth of live.splice(0)) synth.dispose();
});

/** Renders `script` on 1 and on `threads` threads, applying `edits[block]` before that block on both. */
function renderBoth(
  script: string,
  threads: number,
  blocks: number,
  edits: Record<number, (synth: Synchrotron) => void> = {},
) {
  const results = [1, threads].map((n) => {
    const { synth, events } = engine(n);
    live.push(synth);
    synth.execute(script);
    synth.start();
    const left = new Float32Array(blocks * BLOCK);
    const right = new Float32Array(blocks * BLOCK);
    for (let b = 0; b < blocks; b++) {
      edits[b]?.(synth);
      const master = synth.renderBlock();
      left.set(master.left, b * BLOCK);
      right.set(master.right, b * BLOCK);
    }
    return { synth, events, left, right };
  });
  return { one: results[0], many: results[1] };
}

describe('ThreadedRenderer', () => {
  it('renders two chains that meet only at the master on two threads, bit-identical to one thread', () => {
    const { one, many } = renderBoth(chainsPatch(2, 4), 2, 40);
    expect(threadsOf(many.synth)).toEqual(new Set([MAIN, 0, 1])); // one chain really is on the worker
    expect(threadsOf(one.synth)).toEqual(new Set([MAIN]));
    expect(peak(one.left)).toBeGreaterThan(0.05);
    expect(firstDifference(one.left, many.left)).toBe(-1);
    expect(firstDifference(one.right, many.right)).toBe(-1);
  });

  it('spreads four chains over three threads, bit-identical to one thread', () => {
    const { one, many } = renderBoth(chainsPatch(4, 2), 3, 20);
    expect(threadsOf(many.synth)).toEqual(new Set([MAIN, 0, 1, 2]));
    expect(firstDifference(one.left, many.left)).toBe(-1);
  });

  it('applies edits during a threaded render at the same block as one thread', () => {
    const edits: Record<number, (synth: Synchrotron) => void> = {
      5: (synth) => synth.setValue('f1_0', 330), // a value in the worker's chain
      9: (synth) =>
        synth.execute(
          'new SineNode wobble\nnew 3 wobbleRate\nlink wobbleRate.out -> wobble.frequency\nlink wobble.out -> lp1_1.resonance',
        ),
      13: (synth) => synth.remove('saw1_1'), // its filter now hears its default
      17: (synth) =>
        synth.transaction(() => {
          synth.graph.renameNode('lp1_0', 'first');
          synth.setValue('level1', 0.9);
        }),
      21: (synth) =>
        synth.execute(
          'new SawtoothNode extra\nnew 97 extraF\nlink extraF.out -> extra.frequency\nlink extra.out -> play1.left',
        ),
      25: (synth) =>
        synth.transaction(() => {
          synth.unlink('scale1.out', 'play1.right');
          synth.execute('new TriangleNode tri\nlink tri.out -> play1.right');
        }),
      27: (synth) => synth.graph.renameNode('scale1', 'scaled'), // a node the main renderer reads
      29: (synth) => synth.setTempo(140),
    };
    const { one, many } = renderBoth(chainsPatch(2, 3), 2, 36, edits);
    expect(threadsOf(many.synth).has(1)).toBe(true);
    // The edited chain is the worker's: its nodes and the ones added to it render there.
    const placement = (many.synth.renderer as ThreadedRenderer).placement();
    expect(placement.get('wobble')).toBe(placement.get('first'));
    expect(firstDifference(one.left, many.left)).toBe(-1);
    expect(firstDifference(one.right, many.right)).toBe(-1);
    expect(many.events.filter((e) => e.kind === 'fault')).toEqual([]);
  });

  it('keeps a patch that cannot split (chains joined before the master) on one thread, unchanged', () => {
    const joined = `${chainsPatch(2, 3)}\nnew AddNode both\nlink scale0.out -> both.a\nlink scale1.out -> both.b\nlink both.out -> play0.left`;
    const { one, many } = renderBoth(joined, 2, 20);
    const owners = new Set([...threadsOf(many.synth)].filter((o) => o !== MAIN));
    expect(owners.size).toBeLessThanOrEqual(1);
    expect(owners.has(1)).toBe(false);
    expect(firstDifference(one.left, many.left)).toBe(-1);
  });

  it('renders a patch that is one part in the main plan, as one thread would, and a later chain on a worker', () => {
    const first = chainsPatch(1, 3);
    const second = chainsPatch(2, 3).slice(first.length + 1); // chain 1's lines: chain 0's come first
    const { one, many } = renderBoth(first, 2, 24, {
      3: (synth) => synth.setValue('f0_0', 330), // edits while nothing is split: straight to the main plan
      5: (synth) => synth.setTempo(140),
      6: (synth) => synth.graph.renameNode('saw0_1', 'renamed'),
      8: (synth) => synth.execute(second),
      12: (synth) => synth.remove('saw0_2'),
      14: (synth) => synth.setValue('f1_0', 220),
    });
    const placement = (many.synth.renderer as ThreadedRenderer).placement();
    expect(placement.get('lp0_0')).toBe(MAIN); // alone, it had no part-0 renderer, stand-in or copy
    expect(placement.get('lp1_0')).toBe(1); // the main thread carries chain 0, so chain 1 went to the worker
    expect(threadsOf(many.synth)).toEqual(new Set([MAIN, 1]));
    expect(peak(one.left.subarray(10 * BLOCK))).toBeGreaterThan(0.05);
    expect(firstDifference(one.left, many.left)).toBe(-1);
    expect(firstDifference(one.right, many.right)).toBe(-1);
  });

  it('builds its model, when an edit first needs it, with the values set since the first batch', () => {
    const { synth } = engine(2);
    live.push(synth);
    const first = chainsPatch(1, 3);
    synth.execute(first); // one part: no model is kept yet
    synth.setValue('f0_0', 330);
    synth.setValue('f0_0', 331);
    synth.execute(chainsPatch(2, 3).slice(first.length + 1)); // adds: the model is built now
    const model = (synth.renderer as unknown as { model: Map<string, { add: { value?: unknown } }> }).model;
    expect(model.get('f0_0')?.add.value).toBe(331);
    expect(model.has('lp1_0')).toBe(true);
  });

  it('keeps small graphs in the main plan by default', () => {
    const synth = new Synchrotron({
      createRenderer: (options) => new ThreadedRenderer({ ...options, threads: 2 }),
    });
    live.push(synth);
    synth.execute(chainsPatch(2, 2));
    expect(threadsOf(synth)).toEqual(new Set([MAIN])); // the plain plan: no part, no copies
  });

  it('renders on one thread, as a plain Renderer, where SharedArrayBuffer is unavailable', () => {
    vi.stubGlobal('SharedArrayBuffer', undefined);
    let synth: Synchrotron;
    try {
      synth = engine(4).synth;
    } finally {
      vi.unstubAllGlobals();
    }
    live.push(synth);
    expect((synth.renderer as ThreadedRenderer).threads).toBe(1);
    synth.execute(chainsPatch(2, 4));
    expect(threadsOf(synth)).toEqual(new Set([MAIN]));
    const reference = engine(1).synth;
    live.push(reference);
    reference.execute(chainsPatch(2, 4));
    expect(firstDifference(synth.renderFrames(2048).left, reference.renderFrames(2048).left)).toBe(-1);
  });

  it('falls back to one thread, with a warning, when an edit joins parts of two threads, and goes on sounding', () => {
    const { synth, events } = engine(2);
    live.push(synth);
    synth.execute(chainsPatch(2, 3));
    synth.start();
    synth.renderFrames(10 * BLOCK);
    expect(threadsOf(synth).has(1)).toBe(true);
    synth.execute('link lp0_0.out -> lp1_0.cutoff');
    const after = synth.renderFrames(20 * BLOCK);
    expect((synth.renderer as ThreadedRenderer).threads).toBe(1);
    expect(events.some((e) => e.kind === 'warning' && /one thread/.test(e.message))).toBe(true);
    expect(peak(after.left.subarray(10 * BLOCK))).toBeGreaterThan(0.05);
    expect(after.left.every(Number.isFinite)).toBe(true);
  });

  it('gives scopes the live block of a node a worker renders', () => {
    const { synth } = engine(2);
    live.push(synth);
    synth.execute(chainsPatch(2, 2));
    const owners = (synth.renderer as ThreadedRenderer).placement();
    const remote = [...owners].find(([name, owner]) => owner === 1 && name.startsWith('lp'))![0];
    const reference = engine(1).synth;
    live.push(reference);
    reference.execute(chainsPatch(2, 2));
    synth.renderBlock();
    reference.renderBlock();
    const tap = synth.renderer.streamOutput({ node: remote, port: 'out' })!; // exported from the next block
    for (let b = 0; b < 4; b++) {
      synth.renderBlock();
      reference.renderBlock();
    }
    reference.renderBlock();
    synth.renderBlock();
    expect(firstDifference(tap, reference.renderer.streamOutput({ node: remote, port: 'out' })!)).toBe(-1);
  });
});
