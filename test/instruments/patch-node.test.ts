// Patches as nodes (SPEC §7): a .syn file with InletNodes and OutletNodes used as a node — measured against
// the same nodes inline, nested, refused when it includes itself, reported at the included file's line and
// column, and reloaded while it plays without a click.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DataInput,
  defineNode,
  type NodeContext,
  type NodeIO,
  StreamInput,
  StreamOutput,
  stream,
} from '../../src/engine/definition.js';
import { createNodeHost } from '../../src/io/node-host.js';
import { type InletInstance, InletNode } from '../../src/nodes/instruments/inlet-node.js';
import { Synchrotron } from '../../src/synchrotron.js';
import { maxStep, rms, spectrum, zeroCrossingFrequency } from '../helpers/analysis.js';
import { RATE, rig, rigsCleanedAfterEachTest } from '../nodes/render.js';

const make = rigsCleanedAfterEachTest();

/** Test-only: a 0.5 level, then NaN in the middle of its tenth block (not at the sentinel frames). */
const NaNAfterNode = defineNode({
  type: 'NaNAfterNode',
  category: 'debug',
  description: 'Test source: 0.5, then a NaN mid-block in its tenth block.',
  inputs: {},
  outputs: { out: stream('0.5, then NaN once.') },
  create(_ctx, io) {
    let blocks = 0;
    return {
      process(frames) {
        io.outputs.out.buf.fill(0.5, 0, frames);
        if (++blocks === 10) io.outputs.out.buf[frames >> 1] = Number.NaN;
      },
    };
  },
});

const VOICE = `// a sine voice
new InletNode frequency
new SineNode osc
new OutletNode out
link frequency.out -> osc.frequency
link osc.out -> out.input
`;

describe('PatchNode', () => {
  it('an included voice renders exactly what the same nodes render inline', () => {
    const r = make();
    writeFileSync(join(r.root, 'voice.syn'), VOICE);
    r.s.execute(`
      new 5 rate; new SineNode lfo; link rate.out -> lfo.frequency
      new 30 depth; new MultiplyNode wobble; link lfo.out -> wobble.a; link depth.out -> wobble.b
      new 440 base; new AddNode pitch; link wobble.out -> pitch.a; link base.out -> pitch.b
      new patch "voice.syn" v
      link pitch.out -> v.frequency
      new SineNode inline
      link pitch.out -> inline.frequency
    `);
    expect(Object.keys(r.s.graph.node('v').inputs)).toEqual(['path', 'frequency']);
    expect(Object.keys(r.s.graph.node('v').outputs)).toEqual(['out']);
    const [patched, inline] = r.capture(['v.out', 'inline.out'], RATE / 2);
    expect(rms(inline)).toBeGreaterThan(0.6);
    let difference = 0;
    for (let i = 0; i < inline.length; i++)
      difference = Math.max(difference, Math.abs(patched[i] - inline[i]));
    expect(difference).toBe(0);
  });

  it('an unlinked inlet plays its default; a constant input reaches the inner nodes', () => {
    const r = make();
    writeFileSync(
      join(r.root, 'tone.syn'),
      'new InletNode(default: 330) frequency\nnew SineNode osc\nnew OutletNode out\nlink frequency.out -> osc.frequency\nlink osc.out -> out.input\n',
    );
    r.s.execute('new patch "tone.syn" t');
    const [unlinked] = r.capture(['t.out'], RATE);
    expect(zeroCrossingFrequency(unlinked, RATE)).toBeCloseTo(330, 0);
    r.s.execute('new 550 f; link f.out -> t.frequency');
    r.capture(['t.out'], 1024); // the value glides in over one block
    const [linked] = r.capture(['t.out'], RATE);
    expect(zeroCrossingFrequency(linked, RATE)).toBeCloseTo(550, 0);
  });
});

describe('PatchNode: nesting, recursion, errors', () => {
  it('nests: a patch holding a patch renders the inner voice (paths resolve against each file’s folder)', () => {
    const r = make();
    mkdirSync(join(r.root, 'parts'));
    writeFileSync(join(r.root, 'parts', 'voice.syn'), VOICE);
    writeFileSync(
      join(r.root, 'parts', 'double.syn'),
      `new InletNode frequency
new patch "voice.syn" low
new 2 two
new MultiplyNode octave
link frequency.out -> octave.a
link two.out -> octave.b
new patch "voice.syn" high
link frequency.out -> low.frequency
link octave.out -> high.frequency
new AddNode sum
link low.out -> sum.a
link high.out -> sum.b
new OutletNode out
link sum.out -> out.input
`,
    );
    r.s.execute('new 220 f; new patch "parts/double.syn" d; link f.out -> d.frequency');
    // 1 + (inlet, 2 × (1 + 3), two, octave, sum, outlet) = 14 nodes counted for `d`.
    expect(r.s.graph.node('d').weight).toBe(14);
    expect(r.s.graph.expandedSize).toBe(15);
    const [out] = r.capture(['d.out'], RATE);
    const { magnitudes, binHz } = spectrum(out, RATE);
    const at = (hz: number) => magnitudes[Math.round(hz / binHz)];
    expect(at(220)).toBeGreaterThan(0.3 * at(440));
    expect(at(440)).toBeGreaterThan(0.3 * at(220));
    expect(at(330)).toBeLessThan(0.01 * at(220));
  });

  it('refuses a patch that includes itself, naming the chain, and changes nothing', () => {
    const r = make();
    writeFileSync(join(r.root, 'a.syn'), 'new patch "b.syn" inner\n');
    writeFileSync(join(r.root, 'b.syn'), 'new SineNode osc\nnew patch "a.syn" again\n');
    writeFileSync(join(r.root, 'self.syn'), 'new patch "self.syn" me\n');
    const before = r.s.export();
    expect(() => r.s.execute('new SineNode keep\nnew patch "a.syn" p')).toThrow(
      /a patch cannot include itself: a\.syn → b\.syn → a\.syn/,
    );
    expect(() => r.s.execute('new patch "self.syn" p')).toThrow(/self\.syn → self\.syn/);
    expect(r.s.export()).toBe(before);
  });

  it('reports a mistake inside an included file with that file’s name, line and column', () => {
    const r = make();
    writeFileSync(join(r.root, 'broken.syn'), 'new InletNode frequency\n\nnew SinNode osc\n');
    let error: unknown;
    try {
      r.s.execute('new 1 x\nnew patch "broken.syn" b');
    } catch (caught) {
      error = caught;
    }
    expect(String((error as Error).message)).toBe(
      'line 2, column 11: in `broken.syn`, line 3, column 5: unknown node type `SinNode` — did you mean `SineNode`?',
    );
    expect((error as { details: Record<string, unknown> }).details).toMatchObject({
      line: 2,
      column: 11,
      file: 'broken.syn',
      fileLine: 3,
      fileColumn: 5,
    });
    expect(r.s.graph.size).toBe(0);
    expect(() => r.s.execute('new patch "missing.syn" m')).toThrow(
      /cannot read `missing\.syn`: no such file/,
    );
  });

  it('counts the nodes a patch expands to against the node limit before building anything', () => {
    const r = rig();
    try {
      // Each level holds ten of the one below: level 4 would be 10,000+ nodes.
      writeFileSync(join(r.root, 'l0.syn'), 'new SineNode osc\n');
      for (let level = 1; level <= 4; level++) {
        const lines = Array.from({ length: 10 }, (_, i) => `new patch "l${level - 1}.syn" p${i}`);
        writeFileSync(join(r.root, `l${level}.syn`), `${lines.join('\n')}\n`);
      }
      const s = new Synchrotron({ host: createNodeHost({ root: r.root }), limits: { maxNodes: 2000 } });
      s.execute('new patch "l2.syn" ok'); // 1 + 10 × (1 + 10 × (1 + 1)) = 211
      expect(s.graph.expandedSize).toBe(211);
      expect(() => s.execute('new patch "l4.syn" bomb')).toThrow(/too many nodes.*--max-nodes/);
      expect(s.graph.size).toBe(1);
      s.dispose();
    } finally {
      r.cleanup();
    }
  });
});

const LEVELLED = (level: number, extra = '') => `new InletNode frequency
new SineNode osc
new ${level} level
new MultiplyNode amp
new OutletNode out
link frequency.out -> osc.frequency
link osc.out -> amp.a
link level.out -> amp.b
link amp.out -> out.input
${extra}`;

describe('PatchNode: reload', () => {
  it('updates every instance at a block boundary, keeping inner state: no click, phase continuous', () => {
    const r = make();
    const file = join(r.root, 'voice.syn');
    writeFileSync(file, LEVELLED(0.5));
    r.s.execute(`
      new 440 f
      new patch "voice.syn" a
      new patch "voice.syn" b
      link f.out -> a.frequency
      link f.out -> b.frequency
      new SineNode reference
      link f.out -> reference.frequency
    `);
    const before = r.capture(['a.out', 'b.out', 'reference.out'], 173 * 128); // whole blocks, mid-cycle
    // Change the level, add an inlet and a node: osc keeps its instance, so its phase goes on.
    writeFileSync(
      file,
      LEVELLED(
        0.25,
        'new InletNode(default: 1) bright\nnew SquareNode extra\nlink bright.out -> extra.pwm\n',
      ),
    );
    const result = r.s.execute('reload');
    expect(result.text).toBe('reloaded 2 nodes: a, b');
    expect(Object.keys(r.s.graph.node('a').inputs)).toEqual(['path', 'frequency', 'bright']);
    const after = r.capture(['a.out', 'b.out', 'reference.out'], 173 * 128);
    for (const i of [0, 1]) {
      const joined = new Float32Array(before[i].length + after[i].length);
      joined.set(before[i]);
      joined.set(after[i], before[i].length);
      // A 440 Hz sine at 0.5 moves at most 2π·440/44100·0.5 ≈ 0.031 a sample; a restart would jump.
      expect(maxStep(joined)).toBeLessThan(0.032);
      // After the one-block glide of the new level, the inner sine is the reference's, at 0.25.
      let difference = 0;
      for (let j = 256; j < after[i].length; j++)
        difference = Math.max(difference, Math.abs(after[i][j] - 0.25 * after[2][j]));
      expect(difference).toBeLessThan(1e-6);
    }
    expect(rms(after[0].subarray(256))).toBeCloseTo(0.25 / Math.SQRT2, 3);
  });

  it('a reload that removes a port unlinks what was linked to it; a broken file keeps the old version', () => {
    const r = make();
    const file = join(r.root, 'voice.syn');
    writeFileSync(file, LEVELLED(0.5));
    r.s.execute(
      'new 440 f; new patch "voice.syn" v; link f.out -> v.frequency; new GainNode g; link v.out -> g.input',
    );
    writeFileSync(file, 'new InletNode pitch\nnew OutletNode out\n');
    r.s.execute('reload');
    expect(
      r.s.graph.connections().map((c) => `${c.source.node}.${c.source.port}->${c.sink.node}.${c.sink.port}`),
    ).toEqual(['v.out->g.input']);
    writeFileSync(file, 'new InletNode pitch\nnew OutletNod out\n');
    const before = r.s.export();
    expect(() => r.s.execute('reload')).toThrow(
      /could not reload `v` \(in `voice\.syn`, line 2, column 5: unknown node type `OutletNod`/,
    );
    expect(r.s.export()).toBe(before);
    expect(Object.keys(r.s.graph.node('v').inputs)).toEqual(['path', 'pitch']);
  });
});

describe('PatchNode: ports of every kind, silence, faults, export', () => {
  it('data and MIDI inlets and outlets pass through; PlaybackNodes inside are silent', () => {
    const r = make();
    writeFileSync(
      join(r.root, 'kinds.syn'),
      `new InletNode(kind: "midi") keys
new InletNode(kind: "data", default: [1, 2]) steps
new MidiTriggerNode hits
new OutletNode(kind: "data") echo
new OutletNode triggers
new OutletNode(kind: "midi") thru
link keys.out -> hits.midi
link hits.trigger -> triggers.input
link steps.out -> echo.input
link keys.out -> thru.input
new SineNode loud
new PlaybackNode speakers
link loud.out -> speakers.left
`,
    );
    r.s.execute(
      'new patch "kinds.syn" k; new [3, 4, 5] values; link values.out -> k.steps; new MidiTriggerNode outside; link k.thru -> outside.midi; new DebugNode seen; link k.echo -> seen.input',
    );
    const node = r.s.graph.node('k');
    expect(Object.fromEntries(Object.entries(node.inputs).map(([n, p]) => [n, p.kind]))).toEqual({
      path: 'data',
      keys: 'midi',
      steps: 'data',
    });
    expect(Object.fromEntries(Object.entries(node.outputs).map(([n, p]) => [n, p.kind]))).toEqual({
      echo: 'data',
      triggers: 'stream',
      thru: 'midi',
    });
    const debug: unknown[] = [];
    r.s.onEvent((e) => e.kind === 'debug' && e.node === 'seen' && debug.push(e.value));
    const master = r.s.renderFrames(4096);
    expect(Math.max(...master.left.map(Math.abs))).toBe(0); // the PlaybackNode inside is silent
    expect(debug.at(-1)).toEqual([3, 4, 5]);
  });

  it('a fault inside mutes only the inner node and is reported as outer/inner', () => {
    const r = make(128, { types: [NaNAfterNode] });
    writeFileSync(
      join(r.root, 'faulty.syn'),
      'new NaNAfterNode broken\nnew 440 f\nnew SineNode fine\nlink f.out -> fine.frequency\nnew OutletNode out\nnew OutletNode ok\nlink broken.out -> out.input\nlink fine.out -> ok.input\n',
    );
    r.s.execute('new patch "faulty.syn" d');
    const [out, ok] = r.capture(['d.out', 'd.ok'], 8192);
    expect(out.every(Number.isFinite)).toBe(true);
    expect(out.subarray(4096).every((x) => x === 0)).toBe(true); // muted after its NaN
    expect(rms(ok.subarray(4096))).toBeGreaterThan(0.6); // its neighbour plays on
    expect(r.s.renderer.isFaulted('d')).toBe(false);
    const faults = r.events.filter((e) => e.kind === 'fault');
    expect(faults).toEqual([
      {
        kind: 'fault',
        node: 'd/broken',
        message: 'd: NaNAfterNode `broken` produced NaN or Infinity; muted',
      },
    ]);
  });

  it('export writes the short form back, and it reads again to the same graph', () => {
    const r = make();
    writeFileSync(join(r.root, 'voice.syn'), VOICE);
    r.s.execute(
      'new patch "voice.syn" v; new 220 f; link f.out -> v.frequency; new DelayNode(maxTime: 5) d; link v.out -> d.input',
    );
    const script = r.s.export();
    expect(script).toBe(
      'new patch "voice.syn" v;\nnew 220 f;\nnew DelayNode(maxTime: 5) d;\n\nlink f.out -> v.frequency;\nlink v.out -> d.input;\n',
    );
    const copy = new Synchrotron({ host: createNodeHost({ root: r.root }) });
    copy.execute(script);
    expect(copy.export()).toBe(script);
    expect(copy.graph.node('d').args).toEqual({ maxTime: 5 });
    copy.dispose();
  });
});

describe('PatchNode: exports', () => {
  it('exports the file it plays as `Patch` (what an editor opens), relative to the root', () => {
    const r = make();
    mkdirSync(join(r.root, 'voices'));
    writeFileSync(join(r.root, 'voices', 'voice.syn'), VOICE);
    r.s.execute('new patch "voices/voice.syn" v; new VoicesNode(patch: "voices/voice.syn") poly');
    expect(r.s.graph.node('v').exports.Patch).toBe('voices/voice.syn');
    expect(r.s.graph.node('poly').exports.Patch).toBe('voices/voice.syn');
    r.s.execute('new PatchNode none');
    expect(r.s.graph.node('none').exports.Patch).toBeNull();
  });
});

describe('InletNode following an outer input', () => {
  it('passes on every value of a constant input, also when it jumps between blocks, and every sample of a moving one', () => {
    const frames = 16;
    const out = new StreamOutput(new Float32Array(frames));
    const io = { inputs: { kind: new DataInput('stream'), default: new DataInput(0) }, outputs: { out } };
    const inlet = InletNode.create({} as NodeContext, io as unknown as NodeIO) as InletInstance;
    const source = new StreamInput(0, new Float32Array(frames).fill(0.5));
    source.constant = true;
    inlet.follow(source);
    const seen: number[][] = [];
    const block = () => {
      inlet.process(frames);
      seen.push([...out.buf]);
    };
    block(); // 0.5
    block(); // 0.5 again (nothing to copy)
    source.buf.fill(0.75); // a constant input that jumps (a refilled default buffer)
    block();
    source.buf = new Float32Array(frames).fill(0.75); // another buffer, the same value
    block();
    source.constant = false;
    source.buf[3] = 2;
    block();
    source.constant = true;
    source.buf.fill(0.75); // back to constant: frame 3 must not keep the 2
    block();
    const expected = [0.5, 0.5, 0.75, 0.75, 0.75, 0.75].map((v) => new Array(frames).fill(v));
    expected[4][3] = 2;
    expect(seen).toEqual(expected);
  });
});
