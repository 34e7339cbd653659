import { describe, expect, it } from 'vitest';
import {
  builtinNodes,
  data,
  defineNode,
  NodeRegistry,
  type RenderEvent,
  Synchrotron,
  SynchrotronError,
  stream,
} from '../src/index.js';
import { allFinite, maxStep, peak, zeroCrossingFrequency } from './helpers/analysis.js';

function sinePatch(frequency = 440, blockSize = 128) {
  const s = new Synchrotron({ sampleRate: 44100, blockSize });
  s.addValue(frequency, 'freq');
  s.add('SineNode', 'sine');
  s.add('PlaybackNode', 'out');
  s.link('freq.out', 'sine.frequency');
  s.link('sine.out', 'out.left');
  s.link('sine.out', 'out.right');
  return s;
}

/** Test-only node types: one that throws on demand, one that emits NaN, one that counts its blocks. */
const ThrowingNode = defineNode({
  type: 'ThrowingNode',
  category: 'test',
  description: 'Throws while rendering when `fail` is non-zero.',
  inputs: { fail: stream('Throw when non-zero.', { default: 0 }) },
  outputs: { out: stream('Ones.') },
  create(_ctx, io) {
    return {
      process(frames) {
        if (io.inputs.fail.buf[frames - 1] !== 0) throw new Error('boom');
        io.outputs.out.buf.fill(1, 0, frames);
      },
    };
  },
});
const NaNNode = defineNode({
  type: 'NaNNode',
  category: 'test',
  description: 'Emits NaN in the middle of each block.',
  inputs: {},
  outputs: { out: stream('NaN at frame 5.') },
  create(_ctx, io) {
    return {
      process() {
        io.outputs.out.buf[5] = Number.NaN;
      },
    };
  },
});
const ProbeNode = defineNode({
  type: 'ProbeNode',
  category: 'test',
  description: 'Records the first sample of its input each block.',
  inputs: { input: stream('Signal.'), value: data('Any value.') },
  outputs: {},
  create(_ctx, io) {
    const seen: number[] = [];
    const values: unknown[] = [];
    probes.push({ seen, values });
    return {
      process() {
        seen.push(io.inputs.input.buf[0]);
        values.push(io.inputs.value.value);
      },
    };
  },
});
const probes: Array<{ seen: number[]; values: unknown[] }> = [];

function testEngine(blockSize = 64) {
  const registry = new NodeRegistry([...builtinNodes, ThrowingNode, NaNNode, ProbeNode]);
  return new Synchrotron({ sampleRate: 48000, blockSize, registry });
}

describe('engine: rendering', () => {
  it('renders a 440 Hz sine to the master bus', () => {
    const s = sinePatch();
    const { left, right } = s.renderSeconds(1);
    expect(allFinite(left)).toBe(true);
    expect(zeroCrossingFrequency(left, 44100)).toBeCloseTo(440, 0);
    expect(peak(left)).toBeGreaterThan(0.999);
    expect(peak(left)).toBeLessThanOrEqual(1.0001);
    expect(right).toEqual(left);
    expect(s.frames).toBe(Math.ceil(44100 / 128) * 128);
  });

  it('renders nodes after the nodes that feed them', () => {
    const s = sinePatch();
    s.renderBlock();
    const order = s.renderer.order();
    expect(order.indexOf('freq')).toBeLessThan(order.indexOf('sine'));
    expect(order.indexOf('sine')).toBeLessThan(order.indexOf('out'));
  });

  it('mixes several PlaybackNodes', () => {
    const s = new Synchrotron();
    s.addValue(0.25, 'k');
    s.add('StreamNode', 'dc');
    s.link('k.out', 'dc.data');
    for (const name of ['p1', 'p2', 'p3']) {
      s.add('PlaybackNode', name);
      s.link('dc.out', `${name}.left`);
    }
    const { left, right } = s.renderBlock();
    expect(left[10]).toBeCloseTo(0.75, 6);
    expect(right[10]).toBe(0);
  });

  it('accepts block sizes 16…4096 (powers of two) and refuses others', () => {
    for (const blockSize of [16, 64, 128, 1024, 4096])
      expect(() => new Synchrotron({ blockSize })).not.toThrow();
    for (const blockSize of [0, 8, 100, 8192, 129])
      expect(() => new Synchrotron({ blockSize })).toThrow(/block size/);
  });

  it('gives the same sine for block sizes 64, 128 and 256', () => {
    const render = (blockSize: number) => sinePatch(440, blockSize).renderFrames(8192).left;
    const reference = render(128);
    for (const blockSize of [64, 256]) {
      const other = render(blockSize);
      let worst = 0;
      for (let i = 0; i < reference.length; i++) worst = Math.max(worst, Math.abs(other[i] - reference[i]));
      expect(worst).toBeLessThan(1e-5);
    }
  });
});

describe('engine: connections', () => {
  it('replaces the old source when an occupied input is linked again', () => {
    const s = sinePatch();
    s.addValue(1000, 'other');
    s.link('other.out', 'sine.frequency');
    expect(s.graph.connections().filter((c) => c.sink.node === 'sine')).toEqual([
      { source: { node: 'other', port: 'out' }, sink: { node: 'sine', port: 'frequency' } },
    ]);
    s.renderSeconds(0.1);
    expect(zeroCrossingFrequency(s.renderSeconds(0.5).left, 44100)).toBeCloseTo(1000, 0);
  });

  it('fans one output out to many inputs', () => {
    const s = sinePatch();
    expect(s.graph.sinksOf({ node: 'sine', port: 'out' })).toHaveLength(2);
    const { left, right } = s.renderSeconds(0.1);
    expect(right).toEqual(left);
  });

  it('unconnected stream inputs read their default; data inputs read theirs', () => {
    const s = testEngine();
    s.add('ProbeNode', 'probe');
    s.renderBlock();
    const probe = probes[probes.length - 1];
    expect(probe.seen[0]).toBe(0);
    expect(probe.values[0]).toBeNull();
  });

  it('a data output into a stream input becomes a constant stream; a stream into a data input arrives as the block', () => {
    const s = testEngine();
    s.addValue(0.5, 'half');
    s.add('ProbeNode', 'probe');
    s.add('SineNode', 'sine');
    s.addValue(100, 'f');
    s.link('f.out', 'sine.frequency');
    s.link('half.out', 'probe.input');
    s.link('sine.out', 'probe.value');
    s.renderBlock();
    s.renderBlock();
    const probe = probes[probes.length - 1];
    expect(probe.seen[1]).toBe(0.5);
    const block = probe.values[1] as Float32Array;
    expect(block).toBeInstanceOf(Float32Array);
    expect(block.length).toBe(64);
  });

  it('refuses MIDI mixed with other kinds, with a clear error', () => {
    const s = sinePatch();
    s.add('SilenceNode', 'quiet');
    // No MIDI node may be registered yet; build one in a registry of our own.
    const MidiSink = defineNode({
      type: 'MidiSink',
      category: 'test',
      description: 'Takes MIDI.',
      inputs: { midi: { kind: 'midi', description: 'MIDI in.' } },
      outputs: {},
      create: () => ({ process() {} }),
    });
    const registry = new NodeRegistry([...builtinNodes, MidiSink]);
    const t = new Synchrotron({ registry });
    t.add('SineNode', 'sine');
    t.add('MidiSink', 'sink');
    expect(() => t.link('sine.out', 'sink.midi')).toThrow(/MIDI ports link only to MIDI ports/);
    expect(t.graph.connections()).toHaveLength(0);
  });

  it('names unknown nodes, ports and types with suggestions', () => {
    const s = sinePatch();
    expect(() => s.add('SineNod')).toThrow(/did you mean `SineNode`/);
    expect(() => s.link('sine.out', 'out.lef')).toThrow(/did you mean `left`/);
    expect(() => s.link('sine.frequency', 'out.left')).toThrow(/is an input, not an output/);
    expect(() => s.link('sin.out', 'out.left')).toThrow(/unknown node `sin` — did you mean `sine`/);
    try {
      s.add('Nope');
    } catch (error) {
      expect(error).toBeInstanceOf(SynchrotronError);
      expect((error as SynchrotronError).code).toBe('unknown_type');
    }
  });

  it('limits node names to 64 characters and the SPEC pattern', () => {
    const s = new Synchrotron();
    expect(() => s.add('SineNode', 'a'.repeat(65))).toThrow(/too long/);
    expect(() => s.add('SineNode', 'a'.repeat(64))).not.toThrow();
    expect(() => s.add('SineNode', 'Upper')).toThrow(/invalid node name/);
    expect(() => s.add('SineNode', '_dijfv')).not.toThrow();
    expect(() => s.add('SineNode', '_dijfv')).toThrow(/already exists/);
  });

  it('invents names of _ and five lower-case letters', () => {
    const s = new Synchrotron();
    for (let i = 0; i < 50; i++) expect(s.add('SineNode').name).toMatch(/^_[a-z]{5}$/);
    expect(s.graph.size).toBe(50);
  });

  it('clear removes every node', () => {
    const s = sinePatch();
    for (let i = 0; i < 10; i++) s.add('SineNode');
    expect(s.clear()).toBe(13);
    expect(s.graph.size).toBe(0);
    expect(s.graph.connections()).toHaveLength(0);
    s.renderBlock();
    expect(s.renderer.nodeCount).toBe(0);
  });
});

describe('engine: live editing', () => {
  it('keeps phase across edits elsewhere in the graph (no click)', () => {
    const s = sinePatch(220);
    const before = s.renderFrames(128 * 20).left;
    s.add('SineNode', 'extra');
    s.addValue(3, 'three');
    s.link('three.out', 'extra.frequency');
    const after = s.renderFrames(128 * 20).left;
    const joined = new Float32Array(before.length + after.length);
    joined.set(before);
    joined.set(after, before.length);
    const slope = (2 * Math.PI * 220) / 44100;
    expect(maxStep(joined)).toBeLessThan(slope * 1.01);
  });

  it('ramps a changed data value across one block instead of jumping', () => {
    const s = new Synchrotron({ blockSize: 64 });
    s.addValue(0, 'level');
    s.add('StreamNode', 'dummy');
    s.add('MultiplyNode', 'gain');
    s.addValue(1, 'one');
    s.link('one.out', 'gain.a');
    s.link('level.out', 'gain.b');
    s.add('PlaybackNode', 'out');
    s.link('gain.out', 'out.left');
    s.renderBlock();
    s.setValue('level', 1);
    const { left } = s.renderBlock();
    expect(left[0]).toBeCloseTo(1 / 64, 6);
    expect(left[63]).toBeCloseTo(1, 6);
    expect(maxStep(left)).toBeLessThan(0.02);
    expect(s.renderBlock().left[0]).toBe(1);
    // Settled for a few blocks (the converter then only repeats its flags), a change still ramps, and a
    // change back, and setting the same value again changes nothing.
    for (let i = 0; i < 3; i++) expect(s.renderBlock().left.every((v) => v === 1)).toBe(true);
    s.setValue('level', 0.5);
    const down = s.renderBlock().left;
    expect(down[0]).toBeCloseTo(1 - 0.5 / 64, 6);
    expect(down[63]).toBeCloseTo(0.5, 6);
    for (let i = 0; i < 3; i++) expect(s.renderBlock().left.every((v) => v === 0.5)).toBe(true);
    s.setValue('level', 0.5);
    expect(s.renderBlock().left.every((v) => v === 0.5)).toBe(true);
    s.setValue('level', 1);
    expect(s.renderBlock().left[63]).toBeCloseTo(1, 6);
    expect(s.renderBlock().left.every((v) => v === 1)).toBe(true);
  });

  it('applies a batch at one block boundary, and none of it if the batch fails', () => {
    const s = sinePatch();
    s.renderBlock();
    expect(() =>
      s.transaction(() => {
        s.add('SineNode', 'partial');
        s.link('partial.out', 'out.left');
        s.link('partial.out', 'nowhere.left');
      }),
    ).toThrow(/unknown node `nowhere`/);
    expect(s.graph.hasNode('partial')).toBe(false);
    expect(s.graph.sourceOf({ node: 'out', port: 'left' })?.source.node).toBe('sine');
    s.renderBlock();
    expect(s.renderer.nodeCount).toBe(3);
  });

  it('removing a node while rendering keeps the rest playing', () => {
    const s = sinePatch();
    s.add('SineNode', 'other');
    s.link('other.out', 'out.right');
    s.renderSeconds(0.1);
    s.remove('other');
    const { left, right } = s.renderSeconds(0.1);
    expect(peak(left)).toBeGreaterThan(0.99);
    expect(peak(right)).toBe(0);
  });
});

describe('engine: cycles and faults', () => {
  it('a cycle is a one-block delay and never stops rendering', () => {
    const s = new Synchrotron({ blockSize: 32 });
    s.addValue(1, 'one');
    s.add('AddNode', 'acc');
    s.link('one.out', 'acc.a');
    s.link('acc.out', 'acc.b'); // feedback: acc = 1 + previous block of acc
    s.add('PlaybackNode', 'out');
    s.link('acc.out', 'out.left');
    const firsts: number[] = [];
    for (let i = 0; i < 4; i++) firsts.push(s.renderBlock().left[0]);
    expect(firsts).toEqual([1, 2, 3, 4]);
  });

  it('a longer cycle through several nodes renders too', () => {
    const s = new Synchrotron();
    s.add('AddNode', 'a');
    s.add('MultiplyNode', 'b');
    s.add('AddNode', 'c');
    s.link('a.out', 'b.a');
    s.link('b.out', 'c.a');
    s.link('c.out', 'a.a');
    expect(() => s.renderSeconds(0.1)).not.toThrow();
    expect(s.renderer.order()).toHaveLength(3);
  });

  it('a node that throws is muted and reported; the rest plays on', () => {
    const s = testEngine();
    const events: RenderEvent[] = [];
    s.onEvent((e) => events.push(e));
    s.add('ThrowingNode', 'bad');
    s.addValue(1, 'yes');
    s.link('yes.out', 'bad.fail');
    s.add('SineNode', 'sine');
    s.addValue(440, 'f');
    s.link('f.out', 'sine.frequency');
    s.add('PlaybackNode', 'out');
    s.link('bad.out', 'out.right');
    s.link('sine.out', 'out.left');
    const { left, right } = s.renderFrames(4800);
    expect(zeroCrossingFrequency(left, 48000)).toBeCloseTo(440, 0);
    expect(peak(right)).toBe(0);
    expect(events.filter((e) => e.kind === 'fault')).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: 'fault', node: 'bad' });
    // An edit that touches the node gives it another chance.
    s.setValue('yes', 0);
    s.renderBlock();
    expect(s.renderer.isFaulted('bad')).toBe(false);
    expect(s.renderBlock().right[0]).toBe(1);
  });

  it('a node that emits NaN is muted and reported, and the output stays finite', () => {
    const s = testEngine();
    const events: RenderEvent[] = [];
    s.onEvent((e) => events.push(e));
    s.add('NaNNode', 'bad');
    s.add('PlaybackNode', 'out');
    s.link('bad.out', 'out.left');
    const { left } = s.renderFrames(640);
    expect(allFinite(left)).toBe(true);
    expect(s.renderer.isFaulted('bad')).toBe(true);
    expect(events.some((e) => e.kind === 'fault' && e.node === 'bad' && /NaN/.test(e.message))).toBe(true);
  });
});

describe('engine: library API', () => {
  it('builds, edits and renders without a server', () => {
    const s = new Synchrotron({ sampleRate: 22050, blockSize: 256 });
    expect(s.sampleRate).toBe(22050);
    expect(s.blockSize).toBe(256);
    const osc = s.add('SineNode');
    s.addValue(100, 'f');
    s.link('f.out', `${osc.name}.frequency`);
    s.add('PlaybackNode', 'out');
    s.link(`${osc.name}.out`, { node: 'out', port: 'left' });
    expect(zeroCrossingFrequency(s.renderSeconds(1).left, 22050)).toBeCloseTo(100, 0);
    expect(s.unlink(`${osc.name}.out`, 'out.left')).not.toBeNull();
    expect(s.unlink(`${osc.name}.out`, 'out.left')).toBeNull();
    s.renderBlock(); // the unlinked input fades out over this block
    expect(peak(s.renderSeconds(0.1).left)).toBe(0);
    s.dispose();
  });

  it('exports DataNode values and updates them on set', () => {
    const s = new Synchrotron();
    s.addValue([1, 2, 3], 'seq');
    expect(s.graph.node('seq').exports).toEqual({ Value: [1, 2, 3] });
    s.setValue('seq', 'text');
    expect(s.graph.node('seq').exports).toEqual({ Value: 'text' });
    expect(() => s.add('SineNode', 'osc') && s.setValue('osc', 1)).toThrow(/holds no value/);
  });

  it('renames a node and keeps its connections', () => {
    const s = sinePatch();
    s.graph.renameNode('sine', 'osc');
    expect(s.graph.sourceOf({ node: 'out', port: 'left' })?.source).toEqual({ node: 'osc', port: 'out' });
    expect(zeroCrossingFrequency(s.renderSeconds(0.5).left, 44100)).toBeCloseTo(440, 0);
  });
});

describe('engine: relinking without clicks', () => {
  function dcPatch() {
    const s = new Synchrotron({ blockSize: 64 });
    s.addValue(1, 'plus');
    s.addValue(-1, 'minus');
    s.add('StreamNode', 'high');
    s.add('StreamNode', 'low');
    s.link('plus.out', 'high.data');
    s.link('minus.out', 'low.data');
    s.add('PlaybackNode', 'out');
    s.link('high.out', 'out.left');
    return s;
  }

  it('a relinked stream input glides over one block from its last value to the new source', () => {
    const s = dcPatch();
    s.renderBlock();
    s.link('low.out', 'out.left');
    const fade = Float32Array.from(s.renderBlock().left);
    expect(fade[0]).toBeCloseTo(1 - 2 / 64, 6);
    expect(fade[63]).toBeCloseTo(-1, 6);
    expect(maxStep(fade)).toBeLessThan(2 / 64 + 1e-6);
    expect(s.renderBlock().left[0]).toBe(-1);
  });

  it('unlinking fades to the default and a first link into a playing node fades in', () => {
    const s = dcPatch();
    s.renderBlock();
    s.graph.unlinkPort({ node: 'out', port: 'left' });
    const out = Float32Array.from(s.renderBlock().left);
    expect(out[0]).toBeCloseTo(1 - 1 / 64, 6);
    expect(out[63]).toBeCloseTo(0, 6);
    expect(s.renderBlock().left[10]).toBe(0);
    s.link('low.out', 'out.left');
    const fadeIn = Float32Array.from(s.renderBlock().left);
    expect(fadeIn[0]).toBeCloseTo(-1 / 64, 6);
    expect(fadeIn[63]).toBeCloseTo(-1, 6);
  });

  it('removing the source node fades its sink out instead of cutting', () => {
    const s = dcPatch();
    s.renderBlock();
    s.remove('high');
    const out = Float32Array.from(s.renderBlock().left);
    expect(out[0]).toBeCloseTo(1 - 1 / 64, 6);
    expect(out[63]).toBeCloseTo(0, 6);
  });

  it('links made before the first block need no fade', () => {
    const s = dcPatch();
    expect(s.renderBlock().left[0]).toBe(1);
  });
});

describe('library API: misuse gets clear errors', () => {
  it('rendering before any node is added gives silence of the asked length', () => {
    const s = new Synchrotron();
    const { left, right } = s.renderSeconds(0.1);
    expect(left.length).toBe(4410);
    expect(peak(left) + peak(right)).toBe(0);
  });

  it('a disposed engine refuses edits and renders instead of going silent; dispose twice is fine', () => {
    const s = sinePatch();
    expect(peak(s.renderSeconds(0.05).left)).toBeGreaterThan(0.9);
    s.dispose();
    s.dispose();
    for (const misuse of [
      () => s.renderSeconds(0.01),
      () => s.renderBlock(),
      () => s.link('freq.out', 'out.right'),
      () => s.add('SineNode', 'more'),
      () => s.execute('set freq 220'),
      () => s.start(),
    ]) {
      expect(misuse).toThrow(/disposed: create a new one/);
    }
  });

  it('bad port references, type names and render lengths are SynchrotronErrors, not TypeErrors', () => {
    const s = sinePatch();
    const invalid = (fn: () => unknown, message: RegExp) => {
      try {
        fn();
      } catch (error) {
        expect(error).toBeInstanceOf(SynchrotronError);
        expect((error as SynchrotronError).message).toMatch(message);
        return;
      }
      throw new Error('expected an error');
    };
    invalid(
      () => s.link(null as never, 'out.left'),
      /expected a port as `node.port` or \{node, port\}, got null/,
    );
    invalid(() => s.link({ node: 'sine' } as never, 'out.left'), /got \{"node":"sine"\}/);
    invalid(() => s.unlink('sine.out', undefined as never), /got undefined/);
    invalid(() => s.add(undefined as never), /expected a node type name/);
    invalid(() => s.renderFrames(-200), /finite number ≥ 0, got -200/);
    invalid(() => s.renderSeconds(Number.POSITIVE_INFINITY), /got Infinity/);
    invalid(() => s.link('sine.out', 'out.middle'), /has no input `middle`/);
  });
});

describe('engine: large graphs', () => {
  it('clears 20,000 linked nodes in one batch, and a failed batch restores them', () => {
    const s = new Synchrotron();
    s.transaction(() => {
      for (let i = 0; i < 20_000; i++) s.add('SineNode', `n${i}`);
      for (let i = 1; i < 20_000; i++) s.link(`n${i - 1}.out`, `n${i}.frequency`);
    });
    expect(() =>
      s.transaction(() => {
        s.clear();
        s.add('Nope');
      }),
    ).toThrow(/unknown node type/);
    expect(s.graph.size).toBe(20_000);
    expect(s.graph.connections()).toHaveLength(19_999);
    expect(s.clear()).toBe(20_000);
    expect(s.graph.size).toBe(0);
    expect(s.graph.connections()).toHaveLength(0);
    s.renderBlock();
    expect(s.renderer.nodeCount).toBe(0);
  });
});
