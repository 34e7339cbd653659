// The dynamics nodes' WebAssembly ops (scripts/wasm/ops-dyn.ts): each renders as an op of the plan's op list
// and equals its plain-JS `process` (kernels switched off) within 1e-5 at 16, 128 and 4096 frames, with
// constant and audio-rate inputs, values changing mid-render (a converter ramps for a block), hostile values
// (NaN, ±∞, ±1e30 … from a JS node), relinks (the node renders by `process` on the shared state while its
// input glides, then by its op again), removals, and faults; and publishes the same exports.

import { afterEach, describe, expect, it } from 'vitest';
import type { RenderEvent } from '../../src/engine/renderer.js';
import { setWasmKernelsEnabled } from '../../src/engine/wasm/kernels.js';
import { createRegistry, Synchrotron } from '../../src/index.js';
import { peak } from '../helpers/analysis.js';
import { SpecialValuesNode } from '../nodes/render.js';

const SAMPLE_RATE = 44100;
const BLOCK_SIZES = [16, 128, 4096];
const TOLERANCE = 1e-5;

afterEach(() => setWasmKernelsEnabled(true));

type Step = (s: Synchrotron) => void;
type Stats = { ops: number; segments: number; js: number };

/** Renders `blocks` blocks per step (left master), running each step's edits first; with or without kernels. */
function render(wasm: boolean, blockSize: number, steps: Step[], blocks: number, events: RenderEvent[]) {
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

/** Every exports event: node and values, in order. */
const exportsIn = (events: RenderEvent[]) =>
  events.filter((e) => e.kind === 'exports').map((e) => JSON.stringify(e));

/** The largest difference relative to the reference's magnitude (at least 1). */
function maxRelativeDifference(a: Float32Array, reference: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++)
    worst = Math.max(worst, Math.abs(a[i] - reference[i]) / Math.max(1, Math.abs(reference[i])));
  return worst;
}

/**
 * Renders `steps` both ways at every block size; the outputs, faults and exports agree; returns the op
 * path's stats and the exports published.
 */
function expectParity(steps: Step[], framesPerStep = 2048): { stats: Stats[][]; exported: string[] } {
  const all: Stats[][] = [];
  let exported: string[] = [];
  for (const blockSize of BLOCK_SIZES) {
    const blocks = Math.max(2, Math.ceil(framesPerStep / blockSize));
    const wasmEvents: RenderEvent[] = [];
    const jsEvents: RenderEvent[] = [];
    const wasm = render(true, blockSize, steps, blocks, wasmEvents);
    const js = render(false, blockSize, steps, blocks, jsEvents);
    expect(maxRelativeDifference(wasm.out, js.out), `${blockSize} frames a block`).toBeLessThan(TOLERANCE);
    expect(peak(wasm.out)).toBeGreaterThan(0.1);
    expect(faultsIn(wasmEvents)).toEqual(faultsIn(jsEvents));
    expect(exportsIn(wasmEvents)).toEqual(exportsIn(jsEvents));
    expect(js.stats.every((stat) => stat.ops === 0)).toBe(true);
    all.push(wasm.stats);
    exported = exportsIn(wasmEvents);
  }
  return { stats: all, exported };
}

/**
 * Noise `name` (NoiseNode of `color`, JS in both paths and seeded by its name, so the same samples in both)
 * scaled by `depth` and offset by `centre`: an audio-rate signal that is the same in both paths to the bit.
 * Two ops.
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

function play(s: Synchrotron, port: string): void {
  s.add('PlaybackNode', 'play');
  s.link(port, 'play.left');
}

describe('CompressorNode as an op (Gain Reduction published after its segment)', () => {
  // comp: white noise in (0.8 deep), threshold and makeup from values, ratio wandering at audio rate
  // (1…9, below the clamp at times), knee, attack and release from values. Ops: the noise's 2 (the
  // NoiseNode is JS), the ratio's 2, comp.
  const build: Step = (s) => {
    s.add('CompressorNode', 'comp');
    s.link(wander(s, 'a', 'white', 0, 0.8), 'comp.input');
    s.link(wander(s, 'r', 'brown', 5, 4), 'comp.ratio');
    s.addValue(-20, 'th');
    s.link('th.out', 'comp.threshold');
    s.addValue(6, 'kn');
    s.link('kn.out', 'comp.knee');
    s.addValue(0.005, 'at');
    s.link('at.out', 'comp.attack');
    s.addValue(0.05, 're');
    s.link('re.out', 'comp.release');
    s.addValue(3, 'mk');
    s.link('mk.out', 'comp.makeup');
    play(s, 'comp.out');
  };

  it('agrees with JS through parameter changes, hostile values, sidechain relinks and removals', () => {
    const steps: Step[] = [
      build,
      (s) => s.setValue('th', -40), // ramps for a block, then deeper reduction
      (s) => {
        s.setValue('kn', 0); // a hard knee
        s.setValue('at', 0); // jumps
        s.setValue('re', -1);
        s.setValue('mk', 60); // clamped to 40
      },
      (s) => {
        s.setValue('at', 0.02);
        s.setValue('re', 0.2);
        s.setValue('mk', 0);
        s.setValue('kn', 30); // clamped to 24
      },
      (s) => s.link(wander(s, 'side', 'pink', 0, 2), 'comp.sidechain'), // a crossfade: JS for a plan …
      () => {}, // … then as an op again, detecting the sidechain
      (s) => {
        // Hostile values from JS nodes: NaN, ±∞, ±1e30 into the sidechain, the threshold and the release.
        s.add('SpecialValuesNode', 'special');
        s.link('special.out', 'comp.sidechain');
        s.add('SpecialValuesNode', 'held');
        s.addValue(15, 'holdFor');
        s.link('holdFor.out', 'held.hold');
        s.link('held.out', 'comp.threshold');
        s.link('held.out', 'comp.release');
      },
      (s) => {
        s.remove('special'); // the sidechain unlinked: the input drives it again
        s.remove('held'); // threshold and release read their defaults
        s.remove('r_moved'); // ratio reads its default
      },
      (s) => s.link('a_moved.out', 'comp.makeup'), // makeup at audio rate (crossfade: JS for a plan)
      () => {},
    ];
    const { stats, exported } = expectParity(steps, 9000); // > 0.2 s a step: Gain Reduction is published
    for (const perSize of stats) {
      expect(perSize[0]).toEqual({ ops: 5, segments: 2, js: 3 });
      expect(perSize[4].ops).toBe(6); // comp glides to its sidechain in JS (the side noise's two are ops)
      expect(perSize[5].ops).toBe(7);
      expect(perSize[6].ops).toBe(6); // gliding to the special values
      expect(perSize[7].ops).toBe(5); // r_moved removed; comp glides to its defaults in JS
      expect(perSize[9].ops).toBe(6); // after the makeup's glide, comp is an op again
    }
    expect(exported.length).toBeGreaterThan(3);
  });

  it('hostile input (NaN, ±∞, ±1e30): clamped the same way on both paths', () => {
    const steps: Step[] = [
      (s) => {
        s.add('CompressorNode', 'comp');
        s.add('SpecialValuesNode', 'special');
        s.add('MixerNode', 'mix');
        s.link('special.out', 'comp.input');
        s.link('comp.out', 'mix.input1');
        s.addValue(1e-6, 'quiet');
        s.link('quiet.out', 'mix.level1');
        s.link(wander(s, 'a', 'white', 0, 0.5), 'mix.input2');
        play(s, 'mix.out');
      },
      () => {},
    ];
    expectParity(steps, 4096);
  });

  it('a fault upstream in the same segment mutes that op only; the compressor plays on, as in JS', () => {
    for (const blockSize of [16, 128]) {
      // `scale` = 3 × gain overflows to ±∞ at a gain of 2e38 (muted); the compressor reads its zeros.
      const steps: Step[] = [
        (s) => {
          s.addValue(3, 'three');
          s.addValue(0.25, 'gain');
          s.add('MultiplyNode', 'scale');
          s.link('three.out', 'scale.a');
          s.link('gain.out', 'scale.b');
          s.add('AddNode', 'sum');
          s.link('scale.out', 'sum.a');
          s.link(wander(s, 'a', 'white', 0, 0.5), 'sum.b');
          s.add('CompressorNode', 'comp');
          s.link('sum.out', 'comp.input');
          play(s, 'comp.out');
        },
        (s) => s.setValue('gain', 2e38),
        (s) => s.setValue('gain', 0.5), // an edit gives the muted node another chance
        (s) => s.setValue('gain', 0.1),
      ];
      const wasmEvents: RenderEvent[] = [];
      const jsEvents: RenderEvent[] = [];
      const blocks = Math.ceil(12000 / blockSize);
      const wasm = render(true, blockSize, steps, blocks, wasmEvents);
      const js = render(false, blockSize, steps, blocks, jsEvents);
      expect(maxRelativeDifference(wasm.out, js.out)).toBeLessThan(TOLERANCE);
      expect(faultsIn(wasmEvents)).toEqual(faultsIn(jsEvents));
      expect(faultsIn(wasmEvents)).toContain('scale');
      expect(exportsIn(wasmEvents)).toEqual(exportsIn(jsEvents));
      expect(wasm.stats[0].ops).toBe(5); // scale; the noise's two, sum, comp
      expect(peak(wasm.out.subarray(3 * blocks * blockSize))).toBeGreaterThan(0.1);
    }
  });
});

describe('DistortionNode as an op (its shape read by readData)', () => {
  // dist: white noise in (0.5 deep), drive wandering at audio rate around 12 dB (past both clamps at
  // times), shape and mix from values. Ops: the noise's 2, the drive's 2, dist.
  const build: Step = (s) => {
    s.add('DistortionNode', 'dist');
    s.link(wander(s, 'a', 'white', 0, 0.5), 'dist.input');
    s.link(wander(s, 'd', 'brown', 12, 60), 'dist.drive');
    s.addValue('tanh', 'shape');
    s.link('shape.out', 'dist.shape');
    s.addValue(0.8, 'mx');
    s.link('mx.out', 'dist.mix');
    play(s, 'dist.out');
  };

  it('agrees with JS through shape changes and fades, hostile values, relinks and removals', () => {
    const steps: Step[] = [
      build,
      (s) => s.setValue('shape', 'hardclip'), // a 5 ms crossfade between the curves
      (s) => s.setValue('shape', 'fold'),
      (s) => {
        s.setValue('shape', 'no such shape'); // warns, reads tanh
        s.setValue('mx', 0.3);
      },
      (s) => {
        s.addValue('fold', 'other');
        s.link('other.out', 'dist.shape'); // a data relink: the node is bound again, reads the new slot
      },
      (s) => s.link(wander(s, 'm', 'pink', 0.5, 1), 'dist.mix'), // audio-rate mix: JS for a plan …
      () => {}, // … then as an op again
      (s) => {
        // Hostile values from JS nodes: NaN, ±∞, ±1e30 into the input and the drive.
        s.add('SpecialValuesNode', 'special');
        s.link('special.out', 'dist.input');
        s.add('SpecialValuesNode', 'held');
        s.addValue(15, 'holdFor');
        s.link('holdFor.out', 'held.hold');
        s.link('held.out', 'dist.drive');
      },
      (s) => {
        s.remove('special'); // the input reads 0: the tail of the filters, then silence
        s.remove('held'); // the drive reads its default
        s.setValue('other', 'hardclip');
        s.link('a_moved.out', 'dist.input');
      },
      (s) => s.remove('other'), // shape unlinked: its default (tanh)
      () => {},
    ];
    const { stats } = expectParity(steps, 4096);
    for (const perSize of stats) {
      expect(perSize[0]).toEqual({ ops: 5, segments: 2, js: 3 });
      expect(perSize[5].ops).toBe(6); // dist glides to its mix in JS (the pink noise's two are ops)
      expect(perSize[6].ops).toBe(7);
      expect(perSize[10].ops).toBe(7);
    }
  });

  it('a fault upstream in the same segment mutes that op only; the distortion plays on, as in JS', () => {
    for (const blockSize of [16, 128]) {
      const steps: Step[] = [
        (s) => {
          s.addValue(3, 'three');
          s.addValue(0.25, 'gain');
          s.add('MultiplyNode', 'scale');
          s.link('three.out', 'scale.a');
          s.link('gain.out', 'scale.b');
          s.add('AddNode', 'sum');
          s.link('scale.out', 'sum.a');
          s.link(wander(s, 'a', 'white', 0, 0.5), 'sum.b');
          s.add('DistortionNode', 'dist');
          s.link('sum.out', 'dist.input');
          play(s, 'dist.out');
        },
        (s) => s.setValue('gain', 2e38),
        (s) => s.setValue('gain', 0.5),
        (s) => s.setValue('gain', 0.1),
      ];
      const wasmEvents: RenderEvent[] = [];
      const jsEvents: RenderEvent[] = [];
      const blocks = Math.ceil(1024 / blockSize);
      const wasm = render(true, blockSize, steps, blocks, wasmEvents);
      const js = render(false, blockSize, steps, blocks, jsEvents);
      expect(maxRelativeDifference(wasm.out, js.out)).toBeLessThan(TOLERANCE);
      expect(faultsIn(wasmEvents)).toEqual(faultsIn(jsEvents));
      expect(faultsIn(wasmEvents)).toContain('scale');
      expect(wasm.stats[0].ops).toBe(5); // scale; the noise's two, sum, dist
      expect(peak(wasm.out.subarray(3 * blocks * blockSize))).toBeGreaterThan(0.1);
    }
  });
});
