// The mixer's, envelopes' and dynamics' WebAssembly ops (scripts/wasm/ops-mix.ts): each renders as an op of
// the plan's op list and equals its plain-JS `process` (kernels switched off) within 1e-5 at 16, 128 and
// 4096 frames, with constant and audio-rate inputs, values changing mid-render (a converter ramps for a
// block), hostile values (NaN, ±∞, ±1e30, −0 … from a JS node), relinks (the node renders by `process` on
// the shared state while its input glides, then by its op again), removals, and faults.

import { afterEach, describe, expect, it } from 'vitest';
import type { RenderEvent } from '../../src/engine/renderer.js';
import { setWasmKernelsEnabled } from '../../src/engine/wasm/kernels.js';
import { createRegistry, Synchrotron } from '../../src/index.js';
import { maxDifference, peak } from '../helpers/analysis.js';
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
    expect(maxDifference(wasm.out, js.out), `${blockSize} frames a block`).toBeLessThan(TOLERANCE);
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
