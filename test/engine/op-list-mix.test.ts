// The mixer's, envelopes' and dynamics' WebAssembly ops (scripts/wasm/ops-mix.ts): each renders as an op of
// the plan's op list and equals its plain-JS `process` (kernels switched off) within 1e-5 at 16, 128 and
// 4096 frames, with constant and audio-rate inputs, values changing mid-render (a converter ramps for a
// block), hostile values (NaN, ±∞, ±1e30, −0 … from a JS node), relinks (the node renders by `process` on
// the shared state while its input glides, then by its op again), removals, and faults.

import { afterEach, describe, expect, it } from 'vitest';
import { defineNode, type StreamInput, stream } from '../../src/engine/definition.js';
import type { RenderEvent } from '../../src/engine/renderer.js';
import { kernelsFor, setWasmKernelsEnabled } from '../../src/engine/wasm/kernels.js';
import { OP_ADD, opRecordBytes } from '../../src/engine/wasm/ops.js';
import { createRegistry, Synchrotron } from '../../src/index.js';
import { maxDifference, maxRelativeDifference, peak } from '../helpers/analysis.js';
import { SpecialValuesNode } from '../nodes/render.js';

const SAMPLE_RATE = 44100;
const BLOCK_SIZES = [16, 128, 4096];
const TOLERANCE = 1e-5;

afterEach(() => setWasmKernelsEnabled(true));

type Step = (s: Synchrotron) => void;
type Stats = { ops: number; segments: number; js: number };

/** Renders `blocks` blocks per step (left master), running each step's edits first; with or without kernels. */
function render(wasm: boolean, blockSize: number, steps: Step[], blocks: number, events: RenderEvent[] = []) {
  const registry = createRegistry();
  registry.register(SpecialValuesNode);
  registry.register(WideSumNode);
  registry.register(OverfullSumNode);
  setWasmKernelsEnabled(wasm);
  const s = new Synchrotron({ sampleRate: SAMPLE_RATE, blockSize, registry });
  setWasmKernelsEnabled(true);
  s.onEvent((event) => events.push(event));
  const out = new Float32Array(steps.length * blocks * blockSize);
  const stats: Stats[] = [];
  steps.forEach((step, k) => {
    step(s);
    stats.push(s.renderer.opStats());
    out.set(s.renderFrames(blocks * blockSize).left, k * blocks * blockSize);
  });
  s.dispose();
  return { out, stats };
}

/**
 * Test nodes for the record size: out = in1 + in2 (OP_ADD reads the first two inputs), with 18 more stream
 * inputs that only the encode writes. WideSumNode asks for a record that holds all 20; OverfullSumNode
 * leaves the default (OP_BYTES, 14 inputs), so its 15th operand is refused and it renders by `process`.
 */
function sumNodeWithWideRecord(type: string, sized: boolean) {
  const inputs: Record<string, ReturnType<typeof stream>> = {};
  for (let k = 1; k <= 20; k++) inputs[`in${k}`] = stream(`Input ${k}.`, { default: 0 });
  return defineNode({
    type,
    category: 'debug',
    description: 'Test: in1 + in2, with 18 more inputs in its op record.',
    inputs,
    outputs: { out: stream('in1 + in2.') },
    create(_ctx, io) {
      const all = Object.values(io.inputs) as StreamInput[];
      const out = io.outputs.out.buf;
      const kernels = kernelsFor(out);
      return {
        encode(writer) {
          if (!kernels || !writer.begin(OP_ADD, out, sized ? opRecordBytes(20, 0) : undefined)) return false;
          for (const input of all) if (!writer.input(input)) return false;
          return true;
        },
        process(frames) {
          const a = all[0].buf;
          const b = all[1].buf;
          for (let i = 0; i < frames; i++) out[i] = a[i] + b[i];
        },
      };
    },
  });
}
const WideSumNode = sumNodeWithWideRecord('WideSumNode', true);
const OverfullSumNode = sumNodeWithWideRecord('OverfullSumNode', false);

const faultsIn = (events: RenderEvent[]) => events.filter((e) => e.kind === 'fault').map((e) => e.node);

/** Renders `steps` both ways at every block size; the outputs and faults agree; returns the op path's stats. */
function expectParity(steps: Step[], framesPerStep = 2048): Stats[][] {
  const all: Stats[][] = [];
  for (const blockSize of BLOCK_SIZES) {
    const blocks = Math.max(2, Math.ceil(framesPerStep / blockSize));
    const wasmEvents: RenderEvent[] = [];
    const jsEvents: RenderEvent[] = [];
    const wasm = render(true, blockSize, steps, blocks, wasmEvents);
    const js = render(false, blockSize, steps, blocks, jsEvents);
    expect(maxRelativeDifference(wasm.out, js.out), `${blockSize} frames a block`).toBeLessThan(TOLERANCE);
    expect(peak(wasm.out)).toBeGreaterThan(0.1);
    expect(faultsIn(wasmEvents)).toEqual(faultsIn(jsEvents));
    expect(js.stats.every((stat) => stat.ops === 0)).toBe(true);
    all.push(wasm.stats);
  }
  return all;
}

/**
 * Noise `name` (NoiseNode of `color`, JS in both paths and seeded by its name, so the same samples in both)
 * scaled by `depth` and offset by `centre`: an audio-rate signal that is the same in both paths to the bit
 * (MultiplyNode and AddNode are exact in float32 either way). Two ops.
 */
function wander(s: Synchrotron, name: string, color: string, centre: number, depth: number): string {
  s.add('NoiseNode', name);
  s.addValue(color, `${name}_color`);
  s.link(`${name}_color.out`, `${name}.color`);
  s.addValue(depth, `${name}_depth`);
  s.add('MultiplyNode', `${name}_scaled`);
  s.link(`${name}.out`, `${name}_scaled.a`);
  s.link(`${name}_depth.out`, `${name}_scaled.b`);
  s.addValue(centre, `${name}_centre`);
  s.add('AddNode', `${name}_moved`);
  s.link(`${name}_scaled.out`, `${name}_moved.a`);
  s.link(`${name}_centre.out`, `${name}_moved.b`);
  return `${name}_moved.out`;
}

describe('MixerNode as an op (a record longer than OP_BYTES)', () => {
  // Channel 1: white noise at level `l1`; 2: brown noise at an audio-rate level (0.2…1.8); 3: a constant
  // 0.25 at level `l3`; 4: unlinked (silent) at level `l4`. Ops: 2 + 2 + 2 (sources, levels) + the mixer.
  const build: Step = (s) => {
    s.add('MixerNode', 'mix');
    s.link(wander(s, 'a', 'white', 0, 0.4), 'mix.input1');
    s.link(wander(s, 'b', 'brown', 0, 0.5), 'mix.input2');
    s.link(wander(s, 'lb', 'pink', 1, 0.8), 'mix.level2');
    s.addValue(0.25, 'dc');
    s.link('dc.out', 'mix.input3');
    for (const k of [1, 3, 4]) {
      s.addValue(k === 1 ? 0.8 : 0.5, `l${k}`);
      s.link(`l${k}.out`, `mix.level${k}`);
    }
    s.add('PlaybackNode', 'play');
    s.link('mix.out', 'play.left');
  };

  it('agrees with JS through glides, clamps, silent channels, hostile levels, relinks and removals', () => {
    const steps: Step[] = [
      build,
      (s) => s.setValue('l1', 1.5), // ramps for a block (audio rate), then a glide on a constant level
      (s) => {
        s.setValue('l1', 5); // clamped to 2
        s.setValue('l3', -1); // clamped to 0: after its glide the channel costs nothing
      },
      (s) => s.setValue('l4', 0.3), // a silent channel: its level jumps
      (s) => s.link('b_moved.out', 'mix.input4'), // a crossfade: the mixer renders in JS for a plan …
      () => {}, // … then as an op again
      (s) => {
        // Hostile levels from a JS node: NaN reads 1, ±∞ and ±1e30 clamp to 0…2.
        s.add('SpecialValuesNode', 'special');
        s.link('special.out', 'mix.level3');
        s.add('SpecialValuesNode', 'held');
        s.addValue(15, 'holdFor');
        s.link('holdFor.out', 'held.hold');
        s.link('held.out', 'mix.level4');
      },
      (s) => s.link(wander(s, 'far', 'white', 1, 40), 'mix.level1'), // far outside 0…2 at audio rate
      (s) => {
        s.unlink('a_moved.out', 'mix.input1');
        s.remove('lb_moved'); // level 2 reads its default, 1
        s.addValue(3e38, 'loud');
        s.link('loud.out', 'mix.input5'); // 3e38 × 1 + … : the sum is held within float32
      },
      (s) => s.setValue('loud', 0),
      () => {}, // settled: constant paths
    ];
    const stats = expectParity(steps, 4096);
    for (const perSize of stats) {
      expect(perSize[0]).toEqual({ ops: 7, segments: 3, js: 4 });
      expect(perSize[4].ops).toBe(6); // the mixer glides to its new input in JS
      expect(perSize[5].ops).toBe(7);
      expect(perSize[6].ops).toBe(6); // gliding to the special values
      expect(perSize[7].ops).toBe(6 + 2); // the mixer glides to the far level in JS …
      expect(perSize[8].ops).toBe(7); // … and to its new input5 (with lb_moved removed)
      expect(perSize[10].ops).toBe(8); // then all are ops
    }
  });

  it('a fault upstream in the same segment mutes that op only; the mixer plays on, as in JS', () => {
    for (const blockSize of [16, 128]) {
      // `scale` = 3 × gain overflows to ±∞ at a gain of 2e38 (muted), the mixer reads its zeros.
      const steps: Step[] = [
        (s) => {
          s.addValue(3, 'three');
          s.addValue(0.25, 'gain');
          s.add('MultiplyNode', 'scale');
          s.link('three.out', 'scale.a');
          s.link('gain.out', 'scale.b');
          s.add('MixerNode', 'mix');
          s.link('scale.out', 'mix.input1');
          s.link(wander(s, 'a', 'white', 0, 0.5), 'mix.input2');
          s.add('PlaybackNode', 'play');
          s.link('mix.out', 'play.left');
        },
        (s) => s.setValue('gain', 2e38),
        (s) => s.setValue('gain', 0.5), // an edit gives the muted node another chance (it ramps from 2e38)
        (s) => s.setValue('gain', 0.1), // … and another: now it plays
      ];
      const wasmEvents: RenderEvent[] = [];
      const jsEvents: RenderEvent[] = [];
      const blocks = Math.ceil(1024 / blockSize);
      const wasm = render(true, blockSize, steps, blocks, wasmEvents);
      const js = render(false, blockSize, steps, blocks, jsEvents);
      expect(maxDifference(wasm.out, js.out)).toBeLessThan(TOLERANCE);
      expect(faultsIn(wasmEvents)).toEqual(['scale', 'scale']);
      expect(faultsIn(jsEvents)).toEqual(['scale', 'scale']);
      expect(wasm.stats[0]).toEqual({ ops: 4, segments: 2, js: 2 }); // scale; the noise's two, the mixer
      expect(
        peak(wasm.out.subarray(blocks * blockSize + 2 * blockSize, 2 * blocks * blockSize)),
      ).toBeGreaterThan(0.3);
    }
  });

  it('NaN and ±∞ inside a channel: the same faults and sound on both paths', () => {
    // SpecialValuesNode's NaN and ±∞ into a channel: the mixer's sum goes non-finite mid-block; the master's
    // scan mutes the first node holding such a sample (the source, in both paths) and scrubs the block.
    const steps: Step[] = [
      (s) => {
        s.add('MixerNode', 'mix');
        s.link(wander(s, 'a', 'white', 0, 0.5), 'mix.input1');
        s.add('SpecialValuesNode', 'special');
        s.link('special.out', 'mix.input2');
        s.add('PlaybackNode', 'play');
        s.link('mix.out', 'play.left');
      },
      () => {},
    ];
    expectParity(steps, 1024);
  });
});

/** Sums `terms` (up to 8) in a MixerNode (its sum held within float32) and plays it on the left. */
function mixAndPlay(s: Synchrotron, terms: string[]): void {
  s.add('MixerNode', 'sum');
  for (const [k, term] of terms.entries()) s.link(term, `sum.input${k + 1}`);
  s.add('PlaybackNode', 'play');
  s.link('sum.out', 'play.left');
}

describe('LagNode as an op', () => {
  // lag0: a constant input (a DataNode, switched by edits: the constant-block path once settled) with
  // constant times; lag1: white noise with rise and fall times wandering at audio rate around 5 ms (below
  // 0 at times: it follows at once). Ops: the noise's 2, the times' 4, lag0, lag1, the mixer.
  const build: Step = (s) => {
    s.add('LagNode', 'lag0');
    s.addValue(0.2, 'v0');
    s.link('v0.out', 'lag0.input');
    s.addValue(0.01, 'r0');
    s.link('r0.out', 'lag0.rise');
    s.addValue(0.05, 'f0');
    s.link('f0.out', 'lag0.fall');
    s.add('LagNode', 'lag1');
    s.link(wander(s, 'a', 'white', 0, 0.8), 'lag1.input');
    s.link(wander(s, 'up', 'brown', 0.005, 0.01), 'lag1.rise');
    s.link(wander(s, 'down', 'pink', 0.003, 0.01), 'lag1.fall');
    mixAndPlay(s, ['lag0.out', 'lag1.out']);
  };

  it('agrees with JS through steps, constant and audio-rate times, hostile values, relinks and removals', () => {
    const steps: Step[] = [
      build,
      (s) => s.setValue('v0', 0.8), // ramps for a block, then rises
      (s) => s.setValue('v0', -0.5), // falls
      (s) => {
        s.setValue('r0', 0); // follows at once
        s.setValue('f0', -1);
        s.setValue('v0', 0.6);
      },
      (s) => s.link('a_moved.out', 'lag0.input'), // a crossfade: lag0 renders in JS for a plan …
      () => {}, // … then as an op again
      (s) => {
        // Hostile values from JS nodes: NaN reads 0 (input) or follows at once (times), ±∞ clamps.
        s.add('SpecialValuesNode', 'special');
        s.link('special.out', 'lag1.input');
        s.add('SpecialValuesNode', 'held');
        s.addValue(15, 'holdFor');
        s.link('holdFor.out', 'held.hold');
        s.link('held.out', 'lag0.rise');
        s.link('held.out', 'lag0.fall');
      },
      (s) => {
        s.remove('special');
        s.remove('held'); // lag0's times read their defaults
        s.remove('up_moved');
      },
      (s) => {
        s.setValue('v0', 0.3);
        s.link('v0.out', 'lag0.input');
      },
      () => {}, // settled on a constant: the constant-block path
    ];
    const stats = expectParity(steps, 4096);
    for (const perSize of stats) {
      expect(perSize[0]).toEqual({ ops: 9, segments: 4, js: 4 });
      expect(perSize[4].ops).toBe(8); // lag0 glides to its new input in JS
      expect(perSize[5].ops).toBe(9);
      expect(perSize[6].ops).toBe(7); // both glide to the special values
      expect(perSize[9].ops).toBe(8); // up_moved removed; all others are ops
    }
  });
});

describe('TriggerEnvelopeNode as an op', () => {
  // env0: triggered by an 8 Hz square (edges inside blocks), constant times; env1: triggered by a DataNode
  // (switched by edits), attack and decay wandering at audio rate around 10 ms and 30 ms (below 0 at times:
  // a jump). Ops: the square, the times' 4, env0, env1, the mixer.
  const build: Step = (s) => {
    s.addValue(8, 'gateHz');
    s.add('SquareNode', 'gate');
    s.link('gateHz.out', 'gate.frequency');
    s.add('TriggerEnvelopeNode', 'env0');
    s.link('gate.out', 'env0.trigger');
    s.addValue(0.005, 'a0');
    s.link('a0.out', 'env0.attack');
    s.addValue(0.04, 'd0');
    s.link('d0.out', 'env0.decay');
    s.add('TriggerEnvelopeNode', 'env1');
    s.addValue(0, 't1');
    s.link('t1.out', 'env1.trigger');
    s.link(wander(s, 'att', 'brown', 0.01, 0.02), 'env1.attack');
    s.link(wander(s, 'dec', 'pink', 0.03, 0.04), 'env1.decay');
    mixAndPlay(s, ['env0.envelope', 'env1.envelope']);
  };

  it('agrees with JS through triggers, retriggers, constant and audio-rate times, hostile values, relinks', () => {
    const steps: Step[] = [
      build,
      (s) => s.setValue('t1', 1), // a rising edge mid-ramp
      (s) => s.setValue('t1', 0),
      (s) => s.setValue('t1', 0.5), // retriggered from where it is
      (s) => {
        s.setValue('a0', 0); // jumps
        s.setValue('d0', -1);
      },
      (s) => s.link('gate.out', 'env1.trigger'), // a crossfade: env1 renders in JS for a plan …
      () => {}, // … then as an op again
      (s) => {
        // Hostile values from JS nodes: a NaN trigger reads 0; NaN, ±∞, ±1e30 times.
        s.add('SpecialValuesNode', 'special');
        s.link('special.out', 'env0.trigger');
        s.add('SpecialValuesNode', 'held');
        s.addValue(15, 'holdFor');
        s.link('holdFor.out', 'held.hold');
        s.link('held.out', 'env1.attack');
        s.link('held.out', 'env1.decay');
      },
      (s) => {
        s.remove('special'); // env0's trigger reads 0: it decays and idles
        s.remove('held');
        s.setValue('a0', 0.02);
        s.link('gate.out', 'env0.trigger');
      },
      () => {},
    ];
    const stats = expectParity(steps, 4096);
    for (const perSize of stats) {
      expect(perSize[0]).toEqual({ ops: 8, segments: 3, js: 3 });
      expect(perSize[5].ops).toBe(7); // env1 glides to its new trigger in JS
      expect(perSize[6].ops).toBe(8);
      expect(perSize[7].ops).toBe(6); // both glide to the special values
      expect(perSize[9].ops).toBe(8);
    }
  });
});

describe('op records sized by their node', () => {
  it('a node asking for a longer record is an op; one whose operands overflow the default renders in JS', () => {
    const steps: Step[] = [
      (s) => {
        s.add('WideSumNode', 'wide');
        s.link(wander(s, 'a', 'white', 0, 0.5), 'wide.in1');
        s.addValue(0.25, 'dc');
        s.link('dc.out', 'wide.in2');
        s.add('OverfullSumNode', 'overfull');
        s.link('a_moved.out', 'overfull.in1');
        s.link('dc.out', 'overfull.in2');
        s.add('MixerNode', 'sum');
        s.link('wide.out', 'sum.input1');
        s.link('overfull.out', 'sum.input2');
        s.add('PlaybackNode', 'play');
        s.link('sum.out', 'play.left');
      },
      (s) => s.link('dc.out', 'wide.in20'), // re-encoded into the record it has
      (s) => s.remove('wide'), // its record goes back to the allocator …
      (s) => {
        s.add('WideSumNode', 'wide2'); // … and a new node of its size may take it
        s.link('a_moved.out', 'wide2.in1');
        s.link('wide2.out', 'sum.input3');
      },
      () => {},
    ];
    const stats = expectParity(steps);
    for (const perSize of stats) {
      // The noise's two ops, wide, the mixer; overfull renders by `process` (with the NoiseNode, play).
      expect(perSize[0]).toEqual({ ops: 4, segments: 2, js: 3 });
      expect(perSize[1].ops).toBe(3); // wide glides to its new in20 (JS for a plan)
      expect(perSize[4].ops).toBe(4);
    }
  });
});
