// The incremental plan (issue 14, item 2): an edit binds again only the nodes it touched and makes the
// order in one pass over node objects. Checked against the reference — the order `renderOrder` defines
// over all links, and the sound of an engine that binds every node again after every edit — after many
// random edit batches (adds, removes, links that make cycles, relinks, unlinks, renames, values). Only
// correctness here; the cost per edit is measured by `npm run bench -- --only edit-3000`.

import { describe, expect, it } from 'vitest';
import { Synchrotron } from '../../src/synchrotron.js';

/** A small seeded generator (mulberry32), so a failure can be replayed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TYPES: Record<string, { inputs: string[]; outputs: string[] }> = {
  SineNode: { inputs: ['frequency'], outputs: ['out'] },
  AddNode: { inputs: ['a', 'b'], outputs: ['out'] },
  MultiplyNode: { inputs: ['a', 'b'], outputs: ['out'] },
  PlaybackNode: { inputs: ['left', 'right'], outputs: [] },
  DataNode: { inputs: [], outputs: ['out'] },
};

interface Edit {
  kind: 'add' | 'remove' | 'link' | 'unlink' | 'rename' | 'set';
  apply(s: Synchrotron): void;
}

/** Plans a random batch against the graph as it is; the same batch is then applied to both engines. */
function randomBatch(s: Synchrotron, random: () => number, counter: { next: number }, maxSize = 4): Edit[] {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
  const names = s.graph.nodes().map((n) => n.name);
  const typeOf = new Map(s.graph.nodes().map((n) => [n.name, n.type]));
  const edits: Edit[] = [];
  const size = 1 + Math.floor(random() * maxSize);
  for (let e = 0; e < size; e++) {
    const roll = random();
    if (roll < 0.25 || names.length < 4) {
      const type = pick(Object.keys(TYPES));
      const name = `n${counter.next++}`;
      const value = 50 + Math.floor(random() * 800);
      names.push(name);
      typeOf.set(name, type);
      edits.push({
        kind: 'add',
        apply: (t) => (type === 'DataNode' ? t.addValue(value, name) : t.add(type, name)),
      });
    } else if (roll < 0.35) {
      const name = pick(names);
      names.splice(names.indexOf(name), 1);
      edits.push({ kind: 'remove', apply: (t) => t.remove(name) });
    } else if (roll < 0.7) {
      // Any source to any sink: cycles and relinks of a linked input happen.
      const sources = names.filter((n) => TYPES[typeOf.get(n)!].outputs.length > 0);
      const sinks = names.filter((n) => TYPES[typeOf.get(n)!].inputs.length > 0);
      if (sources.length === 0 || sinks.length === 0) continue;
      const source = pick(sources);
      const sink = pick(sinks);
      const port = pick(TYPES[typeOf.get(sink)!].inputs);
      edits.push({ kind: 'link', apply: (t) => t.link(`${source}.out`, `${sink}.${port}`) });
    } else if (roll < 0.8) {
      const connections = s.graph.connections();
      if (connections.length === 0) continue;
      const c = pick(connections);
      edits.push({ kind: 'unlink', apply: (t) => t.unlink(c.source, c.sink) });
    } else if (roll < 0.9) {
      const from = pick(names);
      const to = `r${counter.next++}`;
      names[names.indexOf(from)] = to;
      typeOf.set(to, typeOf.get(from)!);
      edits.push({ kind: 'rename', apply: (t) => t.graph.renameNode(from, to) });
    } else {
      const values = names.filter((n) => typeOf.get(n) === 'DataNode');
      if (values.length === 0) continue;
      const name = pick(values);
      const value = 50 + Math.floor(random() * 800);
      edits.push({ kind: 'set', apply: (t) => t.setValue(name, value) });
    }
  }
  return edits;
}

/** Applies a batch as one transaction; a batch the graph refuses (a name gone) is skipped by both. */
function applyBatch(s: Synchrotron, batch: Edit[]): boolean {
  try {
    s.transaction(() => {
      for (const edit of batch) edit.apply(s);
    });
    return true;
  } catch {
    return false;
  }
}

describe('incremental plan', () => {
  // Batches of up to four edits, and single edits (most of which patch the order and the op list in place
  // rather than making them afresh: renderer.ts `reorder`, op-list.ts `patch`).
  for (const [seed, maxSize] of [
    [1, 4],
    [2, 4],
    [3, 4],
    [4, 4],
    [5, 1],
    [6, 1],
    [7, 1],
  ]) {
    it(`keeps the reference order, op list and sound through 150 random edit batches (seed ${seed}, ≤ ${maxSize} edits)`, () => {
      const random = seeded(seed);
      const incremental = new Synchrotron({ blockSize: 64, random: seeded(99) });
      const reference = new Synchrotron({ blockSize: 64, random: seeded(99) });
      const counter = { next: 0 };
      const kinds = new Set<string>();
      let applied = 0;
      for (let b = 0; b < 150; b++) {
        const batch = randomBatch(incremental, random, counter, maxSize);
        const ok = applyBatch(incremental, batch);
        expect(applyBatch(reference, batch)).toBe(ok);
        if (ok) {
          applied++;
          for (const edit of batch) kinds.add(edit.kind);
        }
        reference.renderer.invalidatePlan(); // the reference binds everything again, as a full compile
        const a = incremental.renderBlock();
        const r = reference.renderBlock();
        expect(incremental.renderer.order()).toEqual(incremental.renderer.referenceOrder());
        expect(incremental.renderer.order()).toEqual(reference.renderer.order());
        if (maxSize > 1) {
          // The patched op list is the one a fresh build writes. (That build resets it, so the single-edit
          // walks skip this: there the patches pile up, checked by the sound.)
          const ops = incremental.renderer.describeOps();
          expect(ops?.patched).toEqual(ops?.fresh);
        }
        // Bit for bit: the same bindings, the same glides, the same order.
        expect(Array.from(a.left)).toEqual(Array.from(r.left));
        expect(Array.from(a.right)).toEqual(Array.from(r.right));
      }
      // The walk did what it is meant to: every kind of edit, mostly accepted, a graph with sound.
      expect([...kinds].sort()).toEqual(['add', 'link', 'remove', 'rename', 'set', 'unlink']);
      expect(applied).toBeGreaterThan(100);
      // Single edits mostly patch the order: full passes are the exception.
      if (maxSize === 1) expect(incremental.renderer.planPasses().order).toBeLessThan(applied / 2);
      // Links from a node placed after their sink happened, and patched the order.
      expect(incremental.renderer.planPasses().moves).toBeGreaterThan(5);
      expect(incremental.graph.nodes().length).toBeGreaterThan(10);
      incremental.dispose();
      reference.dispose();
    });
  }

  it('one edit binds again only what it touched: the rest keep their bindings and their sound', () => {
    const s = new Synchrotron({ blockSize: 64 });
    s.execute('new 220 f; new SineNode a; new SineNode b; new PlaybackNode out');
    s.execute(
      'link f.out -> a.frequency; link f.out -> b.frequency; link a.out -> out.left; link b.out -> out.right',
    );
    s.renderBlock();
    const bound = s.renderer.io('b')!.inputs.frequency;
    const before = (bound as { buf: Float32Array }).buf;
    s.execute('new 330 g; link g.out -> a.frequency'); // touches a, not b
    s.renderBlock();
    expect((s.renderer.io('b')!.inputs.frequency as { buf: Float32Array }).buf).toBe(before);
    expect(s.renderer.order()).toEqual(s.renderer.referenceOrder());
    s.dispose();
  });

  it('an edit the order pass would not notice patches the plan: no pass over every node', () => {
    const s = new Synchrotron({ blockSize: 64 });
    s.execute('new 220 f; new SineNode a; new SineNode b; new AddNode sum; new PlaybackNode out');
    s.execute(
      'link f.out -> a.frequency; link f.out -> b.frequency; link a.out -> sum.a; link b.out -> sum.b; link sum.out -> out.left',
    );
    s.renderBlock();
    const before = s.renderer.planPasses();
    const expectPatched = (edit: string) => {
      s.execute(edit);
      s.renderBlock();
      expect(s.renderer.order(), edit).toEqual(s.renderer.referenceOrder());
      expect(s.renderer.planPasses(), edit).toEqual(before);
    };
    expectPatched('new SineNode c'); // feeds nothing: placed last
    expectPatched('link f.out -> c.frequency'); // f is placed before c: the pass skips the link
    expectPatched('unlink f.out -> c.frequency'); // c was not reached through it
    expectPatched('remove c'); // reached nothing: cut out
    expectPatched('new 330 g; new SineNode d; link g.out -> d.frequency');
    expectPatched('link f.out -> d.frequency'); // a relink: d glides in JS, then renders as an op again
    for (let b = 0; b < 3; b++) s.renderBlock();
    expect(s.renderer.planPasses()).toEqual(before);
    expectPatched('remove d; remove g');
    // A link from a node placed after its sink moves it before the sink: the order and the op list are
    // patched (no pass, no list written afresh).
    s.execute('new 440 h; link h.out -> a.frequency');
    s.renderBlock();
    expect(s.renderer.planPasses()).toEqual({ ...before, moves: before.moves + 1 });
    expect(s.renderer.order()).toEqual(s.renderer.referenceOrder());
    expect(s.renderer.order().indexOf('h')).toBeLessThan(s.renderer.order().indexOf('a'));
    s.dispose();
  });

  it('a rename changes no order: links re-keyed in place, no pass, the same sound', () => {
    const engines = [0, 1].map(() => new Synchrotron({ blockSize: 64 }));
    for (const e of engines) {
      e.execute('new AddNode x; new AddNode y; new 1 p; new 2 q; new PlaybackNode out');
      e.execute(
        'link p.out -> x.a; link q.out -> x.b; link x.out -> y.a; link y.out -> y.b; link y.out -> out.left',
      );
      e.renderBlock();
    }
    const [s, twin] = engines; // the twin renames nothing
    const before = s.renderer.order();
    const passes = s.renderer.planPasses();
    s.graph.renameNode('p', 'p2');
    s.graph.renameNode('y', 'y2'); // fed by itself
    s.graph.renameNode('x', 'x2');
    expect(s.renderer.order()).toEqual(before.map((n) => ({ p: 'p2', y: 'y2', x: 'x2' })[n] ?? n));
    expect(s.renderer.order()).toEqual(s.renderer.referenceOrder());
    expect(s.renderer.planPasses()).toEqual(passes);
    expect(Array.from(s.renderBlock().left)).toEqual(Array.from(twin.renderBlock().left));
    // The links follow: relinking by the new names works.
    s.execute('unlink p2.out -> x2.a; link q.out -> x2.a');
    twin.execute('unlink p.out -> x.a; link q.out -> x.a');
    expect(Array.from(s.renderBlock().left)).toEqual(Array.from(twin.renderBlock().left));
    expect(s.renderer.order()).toEqual(s.renderer.referenceOrder());
    expect(s.renderer.order()).not.toContain('p');
    for (const e of engines) e.dispose();
  });
});

describe('unlinks of the link a node was reached by', () => {
  it('a relink of an input whose source fed only it makes no pass: the old source becomes a root at its turn', () => {
    const engines = [0, 1].map(() => new Synchrotron({ blockSize: 64 }));
    const [s, reference] = engines;
    const script: string[] = [];
    for (let i = 0; i < 6; i++)
      script.push(`new SineNode s${i}`, `new ${200 + 50 * i} f${i}`, `link f${i}.out -> s${i}.frequency`);
    script.push('new AddNode a0', 'link s0.out -> a0.a', 'link s1.out -> a0.b');
    for (let i = 1; i < 5; i++)
      script.push(`new AddNode a${i}`, `link a${i - 1}.out -> a${i}.a`, `link s${i + 1}.out -> a${i}.b`);
    script.push('new PlaybackNode out', 'link a4.out -> out.left');
    for (const e of engines) e.execute(script.join('; '));
    let passes = 0;
    let lists = 0; // op lists written afresh by the edits (describeOps writes one more, not counted)
    const check = (edit: string) => {
      const before = s.renderer.planPasses();
      for (const e of engines) e.execute(edit);
      reference.renderer.invalidatePlan();
      const a = s.renderBlock();
      const r = reference.renderBlock();
      const after = s.renderer.planPasses();
      passes += after.order - before.order;
      lists += after.opList - before.opList;
      expect(s.renderer.order(), edit).toEqual(s.renderer.referenceOrder());
      expect(s.renderer.order(), edit).toEqual(reference.renderer.order());
      expect(Array.from(a.left), edit).toEqual(Array.from(r.left));
      const ops = s.renderer.describeOps();
      expect(ops?.patched, edit).toEqual(ops?.fresh);
    };
    check('new 999 x'); // settles the first plan
    const moves = s.renderer.planPasses().moves;
    passes = 0;
    lists = 0;
    for (const i of [3, 0, 5]) {
      check(`new ${700 + i} g${i}; link g${i}.out -> s${i}.frequency`); // unlink f (a root now), link back g
      check(`unlink g${i}.out -> s${i}.frequency`); // g reached nothing: a root, last
      check(`link f${i}.out -> s${i}.frequency`);
    }
    for (let b = 0; b < 3; b++) {
      // The glides settle: the sinks are bound again and render as ops.
      expect(Array.from(s.renderBlock().left)).toEqual(Array.from(reference.renderBlock().left));
    }
    const ops = s.renderer.describeOps();
    expect(ops?.patched).toEqual(ops?.fresh);
    expect(passes).toBe(0);
    expect(lists).toBe(0); // the op list followed each move
    expect(s.renderer.planPasses().moves).toBeGreaterThanOrEqual(moves + 9);
    for (const e of engines) e.dispose();
  });
});

describe('links from a node placed after their sink', () => {
  // Each such link patches the order in place (plan.ts `placeSourceBefore`): the source and the feeders of it
  // the pass had not reached move before the sink, a link that closes a cycle changes nothing. Many of them
  // in a row, on chains, fans and cycles, against the order a full pass makes and the sound of an engine
  // that makes everything afresh.
  it('a batch that adds nodes and links back among them lists them as a fresh list does', () => {
    const engines = [0, 1].map(() => new Synchrotron({ blockSize: 64 }));
    const [s, reference] = engines;
    for (const e of engines) {
      e.execute('new SineNode a; new PlaybackNode out; link a.out -> out.left');
      e.renderBlock();
    }
    // A JS node and a value added, then a link back from the value into the JS node (both at the end).
    for (const edit of [
      'new PlaybackNode p; new 0.25 v; link v.out -> p.left',
      'new SineNode q; new MultiplyNode m; new 3 w; link w.out -> m.a; link q.out -> m.b; link m.out -> p.right',
      'new AddNode n; remove q; link n.out -> m.b',
    ]) {
      for (const e of engines) e.execute(edit);
      reference.renderer.invalidatePlan();
      const a = s.renderBlock();
      const r = reference.renderBlock();
      expect(s.renderer.order(), edit).toEqual(s.renderer.referenceOrder());
      expect(s.renderer.order(), edit).toEqual(reference.renderer.order());
      expect(Array.from(a.left), edit).toEqual(Array.from(r.left));
      const ops = s.renderer.describeOps();
      expect(ops?.patched, edit).toEqual(ops?.fresh);
    }
    for (const e of engines) e.dispose();
  });

  it('a batch of many links back makes the order afresh once (a patch loaded whole)', () => {
    const engines = [0, 1].map(() => new Synchrotron({ blockSize: 64 }));
    const [s, reference] = engines;
    for (const e of engines) {
      e.execute('new PlaybackNode out');
      e.renderBlock();
    }
    const script: string[] = [];
    for (let i = 0; i < 30; i++)
      script.push(`new SineNode s${i}`, `new ${100 + 20 * i} f${i}`, `link f${i}.out -> s${i}.frequency`);
    script.push('link s0.out -> out.left', 'link s29.out -> out.right');
    const before = s.renderer.planPasses();
    for (const e of engines) e.execute(script.join('; '));
    reference.renderer.invalidatePlan();
    const a = s.renderBlock();
    const r = reference.renderBlock();
    const after = s.renderer.planPasses();
    expect(after.moves - before.moves).toBe(16); // then one pass for the rest
    expect(after.order - before.order).toBe(1);
    expect(s.renderer.order()).toEqual(s.renderer.referenceOrder());
    expect(s.renderer.order()).toEqual(reference.renderer.order());
    expect(Array.from(a.right)).toEqual(Array.from(r.right));
    const ops = s.renderer.describeOps();
    expect(ops?.patched).toEqual(ops?.fresh);
    for (const e of engines) e.dispose();
  });

  for (const seed of [11, 12, 13]) {
    it(`keeps the reference order and sound through 200 links back (seed ${seed})`, () => {
      const random = seeded(seed);
      const incremental = new Synchrotron({ blockSize: 64, random: seeded(7) });
      const reference = new Synchrotron({ blockSize: 64, random: seeded(7) });
      const script: string[] = ['new PlaybackNode out'];
      for (let i = 0; i < 40; i++) {
        const type = i % 3 === 0 ? 'SineNode' : i % 3 === 1 ? 'AddNode' : 'MultiplyNode';
        script.push(`new ${type} n${i}`, `new ${100 + i * 7} v${i}`);
      }
      script.push('link n0.out -> out.left');
      for (const s of [incremental, reference]) s.execute(script.join('; '));
      const inputs = (name: string) => (Number(name.slice(1)) % 3 === 0 ? ['frequency'] : ['a', 'b']);
      let moves = 0;
      for (let e = 0; e < 200; e++) {
        // Sinks early in the order, sources late: mostly links back, some closing cycles.
        const order = incremental.renderer.order().filter((n) => n.startsWith('n') || n.startsWith('v'));
        const sinks = order.filter((n) => n.startsWith('n'));
        const sink = sinks[Math.floor(random() * random() * sinks.length)];
        const source = order[order.length - 1 - Math.floor(random() * random() * order.length)];
        const port = inputs(sink)[Math.floor(random() * inputs(sink).length)];
        const before = incremental.renderer.planPasses();
        const batch = (s: Synchrotron) => {
          try {
            s.link(`${source}.out`, `${sink}.${port}`);
            return true;
          } catch {
            return false;
          }
        };
        expect(batch(reference)).toBe(batch(incremental));
        reference.renderer.invalidatePlan();
        const a = incremental.renderBlock();
        const r = reference.renderBlock();
        const after = incremental.renderer.planPasses();
        moves += after.moves - before.moves;
        expect(incremental.renderer.order()).toEqual(incremental.renderer.referenceOrder());
        expect(incremental.renderer.order()).toEqual(reference.renderer.order());
        const ops = incremental.renderer.describeOps();
        expect(ops?.patched).toEqual(ops?.fresh);
        expect(Array.from(a.left)).toEqual(Array.from(r.left));
        // An occasional unlink frees inputs again (and may cost a pass: its source was reached through it).
        if (e % 10 === 9) {
          const connections = incremental.graph.connections();
          const c = connections[Math.floor(random() * connections.length)];
          for (const s of [incremental, reference]) s.unlink(c.source, c.sink);
        }
      }
      expect(moves).toBeGreaterThan(50);
      incremental.dispose();
      reference.dispose();
    });
  }
});
