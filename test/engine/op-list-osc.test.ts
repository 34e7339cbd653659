// The oscillators' and the envelope's WebAssembly ops (scripts/wasm/ops-osc.ts): each must sound as its
// node's `process` (the plain-JS path, kernels switched off) within 1e-5 at 16, 128 and 4096 frames a block,
// with constant and audio-rate inputs, values that change mid-render (a DataNode ramps for a block), hostile
// values (NaN, ±∞, beyond Nyquist, out of range) from a JS node, relinks (the node renders by `process` on
// the shared state while its input glides, then by its op again: no jump), removals, and a fault in the
// same segment.

import { afterEach, describe, expect, it } from 'vitest';
import type { RenderEvent } from '../../src/engine/renderer.js';
import {
  BUFFERS_OFFSET,
  kernelsBinary,
  STATIC_DATA_OFFSET,
  setWasmKernelsEnabled,
} from '../../src/engine/wasm/kernels.js';
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

/** Renders `steps` both ways at every block size; the outputs agree; returns the op path's stats. */
function expectParity(steps: Step[], framesPerStep = 2048): Stats[][] {
  const all: Stats[][] = [];
  for (const blockSize of BLOCK_SIZES) {
    const blocks = Math.max(2, Math.ceil(framesPerStep / blockSize));
    const wasm = render(true, blockSize, steps, blocks);
    const js = render(false, blockSize, steps, blocks);
    expect(maxDifference(wasm.out, js.out), `${blockSize} frames a block`).toBeLessThan(TOLERANCE);
    expect(peak(wasm.out)).toBeGreaterThan(0.1);
    expect(js.stats.every((stat) => stat.ops === 0)).toBe(true);
    all.push(wasm.stats);
  }
  return all;
}

/** Plays `gain` × `sum` on the left: DataNode `gain`, MultiplyNode `scale`, PlaybackNode `play`. */
function playScaled(s: Synchrotron, sum: string, gain: number): void {
  s.addValue(gain, 'gain');
  s.add('MultiplyNode', 'scale');
  s.link(sum, 'scale.a');
  s.link('gain.out', 'scale.b');
  s.add('PlaybackNode', 'play');
  s.link('scale.out', 'play.left');
}

/** The running sum `sum` plus term `i`'s output `out` (AddNode `sum${i}` from the second term on). */
function addToSum(s: Synchrotron, sum: string, i: number, out: string): string {
  if (i === 0) return out;
  s.add('AddNode', `sum${i}`);
  s.link(sum, `sum${i}.a`);
  s.link(out, `sum${i}.b`);
  return `sum${i}.out`;
}

/**
 * Three oscillators of `type` summed, scaled, played: osc0 at a constant frequency (and pwm), osc1 swept at
 * audio rate by a 3 Hz sine (440 ± 300 Hz; a pwm of 0.5 ± 0.45 too), osc2 backwards (−330 Hz, pwm unlinked).
 * Kernel nodes: lfoRate, lfo, swing, hz, osc0…2, sum, sum2, scale (and pwmSwing, pwm for SquareNode).
 */
function oscillators(type: string): Step {
  return (s) => {
    // The LFO's frequency comes from an AddNode, so the sine reads it at audio rate: its table path, the
    // same arithmetic in both paths. (Its constant-frequency rotator rounds differently in float32 lanes,
    // and the oscillators' edges turn a 1e-7 difference in frequency into 1e-4 at the output.)
    s.addValue(3, 'lfoHz');
    s.addValue(0, 'zero');
    s.add('AddNode', 'lfoRate');
    s.link('lfoHz.out', 'lfoRate.a');
    s.link('zero.out', 'lfoRate.b');
    s.add('SineNode', 'lfo');
    s.link('lfoRate.out', 'lfo.frequency');
    s.addValue(300, 'depth');
    s.add('MultiplyNode', 'swing');
    s.link('lfo.out', 'swing.a');
    s.link('depth.out', 'swing.b');
    s.addValue(440, 'centre');
    s.add('AddNode', 'hz');
    s.link('swing.out', 'hz.a');
    s.link('centre.out', 'hz.b');
    s.addValue(220, 'f0');
    s.addValue(-330, 'f2');
    for (const i of [0, 1, 2]) s.add(type, `osc${i}`);
    s.link('f0.out', 'osc0.frequency');
    s.link('hz.out', 'osc1.frequency');
    s.link('f2.out', 'osc2.frequency');
    if (type === 'SquareNode') {
      s.addValue(0.3, 'w0');
      s.link('w0.out', 'osc0.pwm');
      s.addValue(0.45, 'pwmDepth');
      s.add('MultiplyNode', 'pwmSwing');
      s.link('lfo.out', 'pwmSwing.a');
      s.link('pwmDepth.out', 'pwmSwing.b');
      s.addValue(0.5, 'pwmCentre');
      s.add('AddNode', 'pwm');
      s.link('pwmSwing.out', 'pwm.a');
      s.link('pwmCentre.out', 'pwm.b');
      s.link('pwm.out', 'osc1.pwm');
    }
    s.add('AddNode', 'sum');
    s.link('osc0.out', 'sum.a');
    s.link('osc1.out', 'sum.b');
    s.add('AddNode', 'sum2');
    s.link('sum.out', 'sum2.a');
    s.link('osc2.out', 'sum2.b');
    playScaled(s, 'sum2.out', 0.25);
  };
}

/** Edits for the oscillators of `oscillators(type)`. */
function oscillatorEdits(type: string): Step[] {
  const square = type === 'SquareNode';
  return [
    (s) => {
      s.setValue('f0', 5000); // ramps for a block: an audio-rate frequency that block
      if (square) s.setValue('w0', 0.8);
    },
    (s) => {
      s.setValue('f2', -30000); // beyond Nyquist: half a cycle a frame
      if (square) s.setValue('w0', 1.5); // clamped to 0.99
    },
    // Relink: osc0 glides to its new source, rendered by `process` for two blocks, then by its op again.
    (s) => s.link('hz.out', 'osc0.frequency'),
    (s) => {
      // Hostile values from a JS node (which cuts the ops into segments): NaN, ±∞, ±1e30, −0 …
      s.add('SpecialValuesNode', 'special');
      s.link('special.out', square ? 'osc2.pwm' : 'osc2.frequency');
      s.add('SpecialValuesNode', 'held');
      s.addValue(15, 'holdFor');
      s.link('holdFor.out', 'held.hold');
      s.link('held.out', 'osc1.frequency');
    },
    (s) => s.remove('osc1'),
    (s) => {
      s.unlink('special.out', square ? 'osc2.pwm' : 'osc2.frequency');
      s.setValue('f0', 1234.5);
      s.setValue('centre', -100); // osc0 runs backwards through 0 Hz
    },
  ];
}

describe('the oscillators run as WebAssembly ops and agree with their JS', () => {
  it('SquareNode: constant and audio-rate frequency and pwm, clamps, hostile values, relinks', () => {
    const stats = expectParity([oscillators('SquareNode'), ...oscillatorEdits('SquareNode')]);
    for (const perSize of stats) {
      expect(perSize[0]).toEqual({ ops: 12, segments: 1, js: 1 });
      // osc0 glides to its new source: rendered by `process`, between two runs of ops.
      expect(perSize[3]).toEqual({ ops: 11, segments: 2, js: 2 });
      // osc1 and osc2 glide to the special values; osc0 has its op again.
      expect(perSize[4].ops).toBe(10);
    }
  });

  it('SquareNode at constant frequencies with a moving pwm: quiet 16-frame runs and runs with edges', () => {
    // The op takes 16 frames without an edge as one naive level (a constant, non-negative increment only);
    // these squares switch between that and the frame-by-frame path at every kind of boundary: a slow pwm
    // (pwm-squares-100's), one swinging at audio rate through the clamps (the duty crosses the phase inside
    // runs), 0 Hz, and a pwm that holds NaN and other hostile values for 15 frames at a time.
    const squares: Step = (s) => {
      // The LFOs' frequencies at audio rate: the sine's table path, exact in both (a slow square turns a
      // pwm's rounding δ into a time shift δ / increment, which would swamp what this test compares).
      s.addValue(0, 'zero');
      s.addValue(0.37, 'slowHzValue');
      s.add('AddNode', 'slowHz');
      s.link('slowHzValue.out', 'slowHz.a');
      s.link('zero.out', 'slowHz.b');
      s.add('SineNode', 'slow');
      s.link('slowHz.out', 'slow.frequency');
      s.addValue(0.45, 'depth');
      s.add('MultiplyNode', 'slowSwing');
      s.link('slow.out', 'slowSwing.a');
      s.link('depth.out', 'slowSwing.b');
      s.addValue(0.5, 'centre');
      s.add('AddNode', 'slowPwm');
      s.link('slowSwing.out', 'slowPwm.a');
      s.link('centre.out', 'slowPwm.b');
      s.addValue(1733, 'fastHzValue');
      s.add('AddNode', 'fastHz');
      s.link('fastHzValue.out', 'fastHz.a');
      s.link('zero.out', 'fastHz.b');
      s.add('SineNode', 'fast');
      s.link('fastHz.out', 'fast.frequency');
      s.addValue(0.7, 'wide');
      s.add('MultiplyNode', 'fastSwing');
      s.link('fast.out', 'fastSwing.a');
      s.link('wide.out', 'fastSwing.b');
      s.add('AddNode', 'fastPwm');
      s.link('fastSwing.out', 'fastPwm.a');
      s.link('centre.out', 'fastPwm.b');
      s.add('SpecialValuesNode', 'special');
      s.addValue(15, 'holdFor');
      s.link('holdFor.out', 'special.hold');
      const sources = ['slowPwm', 'slowPwm', 'slowPwm', 'fastPwm', 'fastPwm', 'slowPwm', 'special'];
      const hz = [55, 187.3, 3001, 440, 97.1, 0, 261.6];
      let sum = '';
      hz.forEach((f, i) => {
        s.addValue(f, `hz${i}`);
        s.add('SquareNode', `sq${i}`);
        s.link(`hz${i}.out`, `sq${i}.frequency`);
        s.link(`${sources[i]}.out`, `sq${i}.pwm`);
        sum = addToSum(s, sum, i, `sq${i}.out`);
      });
      playScaled(s, sum, 0.1);
    };
    const stats = expectParity(
      [
        squares,
        (s) => s.setValue('hz2', 20.5),
        // Relinks: sq0, sq3 and sq6 render by `process` on the op's state while their pwm glides, then by
        // their op again.
        (s) => {
          s.link('fastPwm.out', 'sq0.pwm');
          s.link('slowPwm.out', 'sq3.pwm');
          s.link('fastPwm.out', 'sq6.pwm');
        },
      ],
      16384,
    );
    for (const perSize of stats) expect(perSize[0].ops).toBeGreaterThanOrEqual(7 + 9 + 6);
  });

  it('SawtoothNode: constant and audio-rate frequency, backwards, clamps, hostile values, relinks', () => {
    const stats = expectParity([oscillators('SawtoothNode'), ...oscillatorEdits('SawtoothNode')]);
    for (const perSize of stats) {
      expect(perSize[0]).toEqual({ ops: 10, segments: 1, js: 1 });
      expect(perSize[3]).toEqual({ ops: 9, segments: 2, js: 2 });
      expect(perSize[4].ops).toBe(8);
    }
  });

  it('SawtoothNode at constant frequencies: ramped 16-frame runs and runs with edges', () => {
    // The op takes 16 frames whose phases stay in [0, 1) as one vector ramp (a constant frequency only);
    // these saws switch between that and the frame-by-frame path at every kind of boundary: slow and fast,
    // backwards, 0 Hz, Nyquist, one swept at audio rate, and one fed NaN and other hostile values held for
    // 15 frames at a time.
    const saws: Step = (s) => {
      s.addValue(0, 'zero');
      s.addValue(2.1, 'lfoHzValue');
      s.add('AddNode', 'lfoHz');
      s.link('lfoHzValue.out', 'lfoHz.a');
      s.link('zero.out', 'lfoHz.b');
      s.add('SineNode', 'lfo');
      s.link('lfoHz.out', 'lfo.frequency');
      s.addValue(200, 'depth');
      s.add('MultiplyNode', 'swing');
      s.link('lfo.out', 'swing.a');
      s.link('depth.out', 'swing.b');
      s.addValue(150, 'centre');
      s.add('AddNode', 'moving');
      s.link('swing.out', 'moving.a');
      s.link('centre.out', 'moving.b');
      s.add('SpecialValuesNode', 'special');
      s.addValue(15, 'holdFor');
      s.link('holdFor.out', 'special.hold');
      const hz = [55, 187.3, 3001, 0, -97.1, 22050, 0.5, 261.6, 440, 110];
      let sum = '';
      hz.forEach((f, i) => {
        s.addValue(f, `hz${i}`);
        s.add('SawtoothNode', `saw${i}`);
        s.link(i === 8 ? 'moving.out' : i === 9 ? 'special.out' : `hz${i}.out`, `saw${i}.frequency`);
        sum = addToSum(s, sum, i, `saw${i}.out`);
      });
      playScaled(s, sum, 0.1);
    };
    const stats = expectParity(
      [
        saws,
        (s) => s.setValue('hz2', 20.5), // ramps for a block: audio rate, then constant again
        // Relinks: saw0 and saw7 render by `process` on the op's state while their frequency glides, then by
        // their op again.
        (s) => {
          s.link('moving.out', 'saw0.frequency');
          s.link('hz1.out', 'saw7.frequency');
        },
      ],
      16384,
    );
    for (const perSize of stats) expect(perSize[0].ops).toBeGreaterThanOrEqual(9 + 9 + 6);
  });

  it('TriangleNode: constant and audio-rate frequency, backwards, clamps, hostile values, relinks', () => {
    const stats = expectParity([oscillators('TriangleNode'), ...oscillatorEdits('TriangleNode')]);
    for (const perSize of stats) {
      expect(perSize[0]).toEqual({ ops: 10, segments: 1, js: 1 });
      expect(perSize[3]).toEqual({ ops: 9, segments: 2, js: 2 });
      expect(perSize[4].ops).toBe(8);
    }
  });
});

/**
 * Four envelopes summed, scaled, played. env0: constant gate (a DataNode, switched by edits) and times;
 * env1: gated by an 8 Hz square (rises and falls inside blocks), decay and sustain swept at audio rate by a
 * 3 Hz sine; env2: gate held, attack and sustain from a DataNode; env3 (below). Kernel nodes: lfoRate, lfo,
 * gateOsc, pulse, decaySwing, decayTime, sustainSwing, sustainLevel, env0…3, sum, sum2, sum3, scale (16).
 */
const envelopes: Step = (s) => {
  s.addValue(3, 'lfoHz');
  s.addValue(0, 'zero');
  s.add('AddNode', 'lfoRate'); // audio rate for the sine: its table path, exact in both (see oscillators)
  s.link('lfoHz.out', 'lfoRate.a');
  s.link('zero.out', 'lfoRate.b');
  s.add('SineNode', 'lfo');
  s.link('lfoRate.out', 'lfo.frequency');
  s.addValue(8, 'gateHz');
  s.addValue(0.6, 'gateDuty');
  s.add('SquareNode', 'gateOsc');
  s.link('gateHz.out', 'gateOsc.frequency');
  s.link('gateDuty.out', 'gateOsc.pwm');
  s.addValue(0.01, 'decayDepth');
  s.addValue(0.02, 'decayCentre');
  s.add('MultiplyNode', 'decaySwing');
  s.link('lfo.out', 'decaySwing.a');
  s.link('decayDepth.out', 'decaySwing.b');
  s.add('AddNode', 'decayTime');
  s.link('decaySwing.out', 'decayTime.a');
  s.link('decayCentre.out', 'decayTime.b');
  s.addValue(0.3, 'sustainDepth');
  s.addValue(0.5, 'sustainCentre');
  s.add('MultiplyNode', 'sustainSwing');
  s.link('lfo.out', 'sustainSwing.a');
  s.link('sustainDepth.out', 'sustainSwing.b');
  s.add('AddNode', 'sustainLevel');
  s.link('sustainSwing.out', 'sustainLevel.a');
  s.link('sustainCentre.out', 'sustainLevel.b');
  // env3: 1.25 ms pulses into a 10 s attack: each release starts below ARRIVED (nothing left to fall).
  s.addValue(0.01, 'pulseDuty');
  s.add('SquareNode', 'pulse');
  s.link('gateHz.out', 'pulse.frequency');
  s.link('pulseDuty.out', 'pulse.pwm');
  for (const i of [0, 1, 2, 3]) s.add('ADSRNode', `env${i}`);
  s.addValue(10, 'attack3');
  s.link('attack3.out', 'env3.attack');
  s.link('pulse.out', 'env3.gate');
  s.addValue(1, 'g0');
  s.link('g0.out', 'env0.gate');
  s.addValue(0.01, 'attack0');
  s.link('attack0.out', 'env0.attack');
  s.addValue(0.05, 'decay0');
  s.link('decay0.out', 'env0.decay');
  s.addValue(0.5, 'sustain0');
  s.link('sustain0.out', 'env0.sustain');
  s.addValue(0.04, 'release0');
  s.link('release0.out', 'env0.release');
  s.link('gateOsc.out', 'env1.gate');
  s.link('decayTime.out', 'env1.decay');
  s.link('sustainLevel.out', 'env1.sustain');
  s.addValue(1, 'g2');
  s.link('g2.out', 'env2.gate');
  s.addValue(0.002, 'attack2');
  s.link('attack2.out', 'env2.attack');
  s.link('sustain0.out', 'env2.sustain');
  s.add('AddNode', 'sum');
  s.link('env0.envelope', 'sum.a');
  s.link('env1.envelope', 'sum.b');
  s.add('AddNode', 'sum2');
  s.link('sum.out', 'sum2.a');
  s.link('env2.envelope', 'sum2.b');
  s.add('AddNode', 'sum3');
  s.link('sum2.out', 'sum3.a');
  s.link('env3.envelope', 'sum3.b');
  playScaled(s, 'sum3.out', 0.25);
};

describe('the envelope runs as a WebAssembly op and agrees with its JS', () => {
  it('ADSRNode: every stage, constant and audio-rate gates and times, clamps, hostile values, relinks', () => {
    const steps: Step[] = [
      envelopes,
      (s) => s.setValue('decay0', 0.2), // mid-decay: the step is computed again
      (s) => s.setValue('g0', 0), // release (the gate ramps down for a block)
      (s) => {
        s.setValue('g0', 1); // retrigger from the release's level
        s.setValue('sustain0', 1.5); // clamped to 1: the attack lands on sustain, no decay
      },
      (s) => s.link('sustainLevel.out', 'env0.sustain'), // env0 glides, rendered by `process`
      (s) => {
        // Hostile values from a JS node: NaN, ±∞, ±1e30, −0 … into times and the sustain level.
        s.add('SpecialValuesNode', 'special');
        s.link('special.out', 'env2.attack');
        s.link('special.out', 'env2.sustain');
        s.add('SpecialValuesNode', 'held');
        s.addValue(15, 'holdFor');
        s.link('holdFor.out', 'held.hold');
        s.link('held.out', 'env2.release');
        s.link('held.out', 'env1.decay');
      },
      (s) => s.setValue('g2', 0), // env2 releases with hostile release times
      (s) => s.setValue('g2', 1), // … and attacks with hostile attack times and sustain levels
      (s) => s.remove('env1'),
      (s) => {
        s.setValue('g0', 0);
        s.setValue('release0', 0); // instant
      },
      () => {}, // idle: the constant-block path
    ];
    const stats = expectParity(steps, 4096);
    for (const perSize of stats) {
      expect(perSize[0]).toEqual({ ops: 16, segments: 1, js: 1 });
      expect(perSize[4]).toEqual({ ops: 15, segments: 2, js: 2 });
      expect(perSize[10].ops).toBe(15); // env1 removed; the others have their ops again
    }
  });
});

describe('a fault among oscillator and envelope ops', () => {
  it('mutes the faulting op; the square and envelope after it play on, as in JS', () => {
    // `scale` = 3 × gain overflows to ±∞ at a gain of 2e38; hz = scale + 200 drives a square and gates its
    // envelope (sustain 0.7).
    const faulting: Step = (s) => {
      s.addValue(3, 'three');
      s.addValue(0.25, 'gain');
      s.add('MultiplyNode', 'scale');
      s.link('three.out', 'scale.a');
      s.link('gain.out', 'scale.b');
      s.addValue(200, 'base');
      s.add('AddNode', 'hz');
      s.link('scale.out', 'hz.a');
      s.link('base.out', 'hz.b');
      s.add('SquareNode', 'square');
      s.link('hz.out', 'square.frequency');
      s.add('ADSRNode', 'env'); // held by hz > 0
      s.link('hz.out', 'env.gate');
      s.add('MultiplyNode', 'vca');
      s.link('square.out', 'vca.a');
      s.link('env.envelope', 'vca.b');
      s.add('PlaybackNode', 'play');
      s.link('vca.out', 'play.left');
    };
    for (const blockSize of [16, 128]) {
      const steps: Step[] = [
        faulting,
        (s) => s.setValue('gain', 2e38),
        (s) => s.setValue('gain', 0.5), // an edit gives the muted node another chance (it ramps from 2e38)
        (s) => s.setValue('gain', 0.4), // … and another: now it plays
      ];
      const wasmEvents: RenderEvent[] = [];
      const jsEvents: RenderEvent[] = [];
      const blocks = Math.ceil(1024 / blockSize);
      const wasm = render(true, blockSize, steps, blocks, wasmEvents);
      const js = render(false, blockSize, steps, blocks, jsEvents);
      expect(maxDifference(wasm.out, js.out)).toBeLessThan(TOLERANCE);
      const faults = (events: RenderEvent[]) => events.filter((e) => e.kind === 'fault').map((e) => e.node);
      expect(faults(wasmEvents)).toEqual(['scale', 'scale']);
      expect(faults(jsEvents)).toEqual(['scale', 'scale']);
      expect(wasm.stats[3]).toEqual({ ops: 5, segments: 1, js: 1 });
      // While `scale` is muted the square and its envelope play on (their ops ran after the fault).
      const muted = wasm.out.subarray(blocks * blockSize + 2 * blockSize, 3 * blocks * blockSize);
      expect(peak(muted)).toBeGreaterThan(0.6);
    }
  });
});

/** The active data segments of a WebAssembly binary: [offset, bytes] (offsets as i32.const expressions). */
function dataSegments(bytes: Uint8Array): Array<[number, number]> {
  let at = 8;
  const leb = (): number => {
    let value = 0;
    let shift = 0;
    let byte: number;
    do {
      byte = bytes[at++];
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    return value;
  };
  const segments: Array<[number, number]> = [];
  while (at < bytes.length) {
    const id = bytes[at++];
    const end = leb() + at;
    if (id === 11) {
      for (let count = leb(); count > 0; count--) {
        if (leb() !== 0) throw new Error('only active segments of memory 0 expected');
        if (bytes[at++] !== 0x41) throw new Error('an i32.const offset expected');
        const offset = leb(); // non-negative and below 2^27 here, so signed and unsigned LEB agree
        at++; // end
        const length = leb();
        at += length;
        segments.push([offset, length]);
      }
    }
    at = end;
  }
  return segments;
}

describe("the kernels' static data", () => {
  it('sits between the sine table and the first buffer (Math.log and Math.exp tables included)', () => {
    const segments = dataSegments(kernelsBinary());
    expect(segments.length).toBeGreaterThan(0);
    for (const [offset, length] of segments) {
      expect(offset).toBeGreaterThanOrEqual(STATIC_DATA_OFFSET);
      expect(offset + length).toBeLessThanOrEqual(BUFFERS_OFFSET);
    }
  });
});
