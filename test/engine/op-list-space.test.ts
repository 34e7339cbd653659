// The space nodes' WebAssembly ops (scripts/wasm/ops-space.ts): ReverbNode renders as an op of the plan's op
// list and equals its plain-JS `process` (kernels switched off) within 1e-5 at 16, 128 and 4096 frames, both
// outputs, through value changes mid-render (decay and damping glide the coefficients, size glides the line
// lengths with interpolated reads, mix is smoothed per frame), audio-rate parameters with hostile values
// (NaN, ±∞, ±1e30 from a JS node), relinks (the node renders by `process` on the shared state while an input
// glides, then by its op again), and a tail that dies away to exact zeros, never through subnormals.

import { afterEach, describe, expect, it } from 'vitest';
import { setWasmKernelsEnabled } from '../../src/engine/wasm/kernels.js';
import { createRegistry, Synchrotron } from '../../src/index.js';
import { maxRelativeDifference, peak } from '../helpers/analysis.js';
import { SpecialValuesNode } from '../nodes/render.js';

const SAMPLE_RATE = 44100;
const BLOCK_SIZES = [16, 128, 4096];
const TOLERANCE = 1e-5;

afterEach(() => setWasmKernelsEnabled(true));

type Step = (s: Synchrotron) => void;
type Stats = { ops: number; segments: number; js: number };

/**
 * Renders `frames` per step (or frames[k] for step k; both masters), running each step's edits first; with
 * or without kernels.
 */
function render(wasm: boolean, blockSize: number, steps: Step[], frames: number | number[]) {
  const registry = createRegistry();
  registry.register(SpecialValuesNode);
  setWasmKernelsEnabled(wasm);
  const s = new Synchrotron({ sampleRate: SAMPLE_RATE, blockSize, registry });
  setWasmKernelsEnabled(true);
  const blocks = steps.map((_, k) =>
    Math.max(2, Math.ceil((typeof frames === 'number' ? frames : frames[k]) / blockSize)),
  );
  const total = blocks.reduce((sum, b) => sum + b * blockSize, 0);
  const left = new Float32Array(total);
  const right = new Float32Array(total);
  let at = 0;
  const stats: Stats[] = [];
  const faults: string[] = [];
  s.onEvent((event) => {
    if (event.kind === 'fault') faults.push(event.node);
  });
  steps.forEach((step, k) => {
    step(s);
    stats.push(s.renderer.opStats());
    const out = s.renderFrames(blocks[k] * blockSize);
    left.set(out.left, at);
    right.set(out.right, at);
    at += out.left.length;
  });
  s.dispose();
  return { left, right, stats, faults };
}

/** Renders `steps` both ways at every block size; both outputs agree; returns each size's op-path render. */
function expectParity(steps: Step[], framesPerStep: number) {
  const renders = [];
  for (const blockSize of BLOCK_SIZES) {
    const wasm = render(true, blockSize, steps, framesPerStep);
    const js = render(false, blockSize, steps, framesPerStep);
    expect(maxRelativeDifference(wasm.left, js.left), `left, ${blockSize} frames a block`).toBeLessThan(
      TOLERANCE,
    );
    expect(maxRelativeDifference(wasm.right, js.right), `right, ${blockSize} frames a block`).toBeLessThan(
      TOLERANCE,
    );
    expect(peak(wasm.left)).toBeGreaterThan(0.05);
    expect(wasm.faults).toEqual(js.faults);
    expect(js.stats.every((stat) => stat.ops === 0)).toBe(true);
    renders.push(wasm);
  }
  return renders;
}

/** Noise `name` (a JS node, seeded by its name: the same samples in both paths) × `depth` + `centre`. */
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

/** verb: white noise into the left input, pink into the right; every parameter from a value; played. */
const build: Step = (s) => {
  s.add('ReverbNode', 'verb');
  s.link(wander(s, 'l', 'white', 0, 0.5), 'verb.inputLeft');
  s.link(wander(s, 'r', 'pink', 0, 0.5), 'verb.inputRight');
  for (const [port, value] of [
    ['decay', 1.5],
    ['damping', 0.4],
    ['size', 0.5],
    ['mix', 0.7],
  ] as const) {
    s.addValue(value, port);
    s.link(`${port}.out`, `verb.${port}`);
  }
  s.add('PlaybackNode', 'play');
  s.link('verb.left', 'play.left');
  s.link('verb.right', 'play.right');
};

describe('ReverbNode as an op', () => {
  it('agrees with JS through value changes (coefficient glides, size glides, mix), relinks and hostile values', () => {
    const steps: Step[] = [
      build,
      (s) => s.setValue('decay', 6), // coefficients glide (a converter ramps for a block)
      (s) => s.setValue('size', 1), // every line glides longer: interpolated reads for ~0.3 s
      () => {},
      (s) => {
        s.setValue('size', 0.1); // … and shorter, while decay and damping jump too
        s.setValue('damping', 1);
        s.setValue('decay', 0.3);
      },
      (s) => s.setValue('mix', 1),
      (s) => s.link(wander(s, 'm', 'brown', 0.5, 2), 'verb.mix'), // audio-rate mix: JS for a plan …
      () => {}, // … then an op again, the mix clamped at times
      (s) => s.link(wander(s, 'z', 'white', 0.5, 1.5), 'verb.size'), // size read each chunk, clamped
      () => {},
      (s) => {
        // Hostile values from JS nodes: NaN, ±∞, ±1e30 into the right input and the decay.
        s.add('SpecialValuesNode', 'special');
        s.link('special.out', 'verb.inputRight');
        s.add('SpecialValuesNode', 'held');
        s.addValue(15, 'holdFor');
        s.link('holdFor.out', 'held.hold');
        s.link('held.out', 'verb.decay');
        s.link('held.out', 'verb.damping');
      },
      () => {},
      (s) => {
        s.remove('special'); // the right input reads 0
        s.remove('held'); // decay and damping read their defaults
        s.remove('z_moved'); // size too: the lines glide back
      },
      () => {},
    ];
    for (const perSize of expectParity(steps, 6000)) {
      expect(perSize.stats[0].ops).toBe(5); // the two noises' scale and offset (the NoiseNodes are JS), verb
      expect(perSize.stats[3].ops).toBe(5);
      expect(perSize.stats[7].ops).toBe(7);
      expect(perSize.stats[13].ops).toBe(8); // z_moved removed (z_scaled stays); verb an op again
    }
  });

  it('a tail dies away to the same exact zeros on both paths, never through subnormal floats', () => {
    // 0.2 s of noise, then the inputs unlinked: a 0.5 s tail flushed to zero well within 12 s.
    const steps: Step[] = [
      (s) => {
        build(s);
        s.setValue('decay', 0.5);
        s.setValue('mix', 1);
      },
      (s) => {
        s.remove('l_moved'); // the inputs glide to 0: JS for a plan …
        s.remove('r_moved');
      },
      () => {}, // … then the tail as an op
    ];
    const frames = [0.2 * SAMPLE_RATE, 0.1 * SAMPLE_RATE, 12 * SAMPLE_RATE];
    for (const blockSize of [128, 4096]) {
      const wasm = render(true, blockSize, steps, frames);
      const js = render(false, blockSize, steps, frames);
      expect(wasm.stats[2].ops).toBe(3); // verb, and the noises' MultiplyNodes (unlinked)
      expect(maxRelativeDifference(wasm.left, js.left)).toBeLessThan(TOLERANCE);
      expect(maxRelativeDifference(wasm.right, js.right)).toBeLessThan(TOLERANCE);
      for (const channel of [wasm.left, wasm.right]) {
        let subnormal = 0;
        for (const x of channel) if (x !== 0 && Math.abs(x) < 1.2e-38) subnormal++;
        expect(subnormal).toBe(0);
        const tail = channel.subarray(channel.length - 2 * SAMPLE_RATE);
        expect(tail.every((x) => x === 0)).toBe(true);
      }
      expect(peak(wasm.left.subarray(0.3 * SAMPLE_RATE))).toBeGreaterThan(0.01); // the tail's start
    }
  });
});
