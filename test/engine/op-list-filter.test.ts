// The filter and mixing nodes as WebAssembly ops (scripts/wasm/ops-filter.ts): each renders as an op of the
// plan's op list and equals its plain-JS `process` (kernels switched off) within 1e-5 at 16, 128 and 4096
// frames, with constant and audio-rate parameters, values changing mid-render (a converter ramps for a
// block), relinks (a crossfade renders the node in JS for a plan, on the same state), removals, clamps of
// out-of-range parameters, and a fault (a non-finite output mutes the node, as in JS).

import { afterEach, describe, expect, it } from 'vitest';
import type { RenderEvent } from '../../src/engine/renderer.js';
import { setWasmKernelsEnabled } from '../../src/engine/wasm/kernels.js';
import { Synchrotron } from '../../src/index.js';
import { maxDifference, maxRelativeDifference, peak } from '../helpers/analysis.js';

const SAMPLE_RATE = 44100;
const BLOCK_SIZES = [16, 128, 4096];
const TOLERANCE = 1e-5;

afterEach(() => setWasmKernelsEnabled(true));

type Step = (s: Synchrotron) => void;

/**
 * Renders `frames` frames after each step's edits, with or without kernels: per step the left master, then
 * the right.
 */
function render(wasm: boolean, blockSize: number, steps: Step[], frames: number, events: RenderEvent[] = []) {
  setWasmKernelsEnabled(wasm);
  const s = new Synchrotron({ sampleRate: SAMPLE_RATE, blockSize });
  setWasmKernelsEnabled(true);
  s.onEvent((event) => events.push(event));
  const length = Math.max(1, Math.ceil(frames / blockSize)) * blockSize;
  const out = new Float32Array(steps.length * 2 * length);
  const stats: Array<{ ops: number; segments: number; js: number }> = [];
  steps.forEach((step, k) => {
    step(s);
    stats.push(s.renderer.opStats());
    const { left, right } = s.renderFrames(length);
    out.set(left, 2 * k * length);
    out.set(right, (2 * k + 1) * length);
  });
  s.dispose();
  return { out, stats };
}

/** Runs `steps` on both paths at every block size; returns the op path's renders and stats. */
function expectParity(steps: Step[], frames: number) {
  const results = [];
  for (const blockSize of BLOCK_SIZES) {
    const wasm = render(true, blockSize, steps, frames);
    const js = render(false, blockSize, steps, frames);
    expect(maxDifference(wasm.out, js.out), `${blockSize} frames per block`).toBeLessThan(TOLERANCE);
    expect(js.stats.every((stat) => stat.ops === 0)).toBe(true);
    results.push({ blockSize, ...wasm });
  }
  return results;
}

/** A sine `name` at `hz`, scaled by `depth` and offset by `centre` (SineNode, MultiplyNode, AddNode). */
function lfo(s: Synchrotron, name: string, hz: number, centre: number, depth: number): string {
  s.addValue(hz, `${name}_hz`);
  s.add('SineNode', name);
  s.link(`${name}_hz.out`, `${name}.frequency`);
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

/**
 * Noise `name` (NoiseNode of `color`, JS in both paths and seeded by its name, so the same samples in both)
 * scaled by `depth` and offset by `centre`: an audio-rate parameter that is the same in both paths to the
 * bit (MultiplyNode and AddNode are exact in float32 either way). A sine LFO would not do: the two paths'
 * sines differ by ~1e-7, and a filter's oscillation integrates such a cutoff error into a phase error.
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

describe('LadderFilterNode as an op', () => {
  const build: Step = (s) => {
    s.add('LadderFilterNode', 'ladder');
    s.link(wander(s, 'source', 'white', 0, 0.4), 'ladder.input');
    s.addValue(800, 'cut');
    s.link('cut.out', 'ladder.cutoff');
    s.addValue(0.5, 'res');
    s.link('res.out', 'ladder.resonance');
    s.add('PlaybackNode', 'play');
    s.link('ladder.out', 'play.left');
  };

  it('agrees with JS through value changes, audio-rate parameters, relinks and removals', () => {
    const steps: Step[] = [
      build,
      (s) => s.setValue('cut', 3000), // ramps for a block: the op reads the converter's flag
      (s) => {
        s.setValue('res', 0.97); // self-oscillating, held by the saturator
        s.addValue(12, 'drive');
        s.link('drive.out', 'ladder.drive');
      },
      // Relink: a crossfade (the ladder renders in JS for a while, on the same state), then audio rate.
      (s) => s.link(wander(s, 'sweep', 'brown', 2000, 1500), 'ladder.cutoff'),
      (s) => s.link(wander(s, 'wobble', 'white', 0.5, 0.5), 'ladder.resonance'),
      // ±40 dB around 6 dB and cutoffs far outside 10 Hz…19.8 kHz: both paths clamp alike.
      (s) => s.link(wander(s, 'push', 'brown', 6, 40), 'ladder.drive'),
      (s) => s.setValue('sweep_depth', 40000),
      (s) => s.unlink('source_moved.out', 'ladder.input'), // silence in: the loop rings on by its own hiss
      (s) => s.remove('sweep_moved'), // the cutoff reads its default
      (s) => {
        // Parameters from other nodes that hold still for whole blocks (as a voice's inlets do): the kernel
        // finds them constant and takes its constant path, which must sound as process()'s per-frame one.
        s.link('source_moved.out', 'ladder.input');
        s.addValue(2, 'twice');
        s.add('MultiplyNode', 'steadyCut');
        s.link('cut.out', 'steadyCut.a');
        s.link('twice.out', 'steadyCut.b');
        s.link('steadyCut.out', 'ladder.cutoff');
        s.add('MultiplyNode', 'steadyRes');
        s.link('res.out', 'steadyRes.a');
        s.link('wobble_depth.out', 'steadyRes.b');
        s.link('steadyRes.out', 'ladder.resonance');
        s.remove('push_moved');
      },
      (s) => s.setValue('cut', 600), // a step between blocks of a node-fed cutoff
    ];
    for (const { stats, out } of expectParity(steps, 8192)) {
      // The source's multiply and add, and the ladder, are ops: one segment after the NoiseNode, then the
      // PlaybackNode.
      expect(stats[0]).toEqual({ ops: 3, segments: 1, js: 2 });
      // A new link crossfades: the ladder renders in JS for that plan…
      expect(stats[2].ops).toBe(2);
      // … and is an op again once it settled, here with all three parameters at audio rate (their 6 ops).
      expect(stats[6].ops).toBe(9);
      expect(peak(out)).toBeGreaterThan(0.2);
    }
  });

  it('self-oscillates from silence (its hiss) and the two paths stay together for a second', () => {
    const steps: Step[] = [
      (s) => {
        s.add('LadderFilterNode', 'ladder');
        s.addValue(1, 'res');
        s.link('res.out', 'ladder.resonance');
        s.addValue(500, 'cut');
        s.link('cut.out', 'ladder.cutoff');
        s.add('PlaybackNode', 'play');
        s.link('ladder.out', 'play.left');
      },
    ];
    for (const { out, stats } of expectParity(steps, SAMPLE_RATE)) {
      expect(stats[0]).toEqual({ ops: 1, segments: 1, js: 1 });
      expect(peak(out.subarray(0, 64))).toBeLessThan(1e-6);
      expect(peak(out.subarray(out.length / 4, out.length / 2))).toBeGreaterThan(0.3); // left, 2nd half
    }
  });

  it('a non-finite input sample mid-block mutes the ladder, as in JS', () => {
    for (const blockSize of [16, 128]) {
      // A sine of half a cycle a block × 1e39: ±Infinity inside the block, finite first and last samples,
      // so the multiplies pass their sentinel and the ladder's state goes NaN.
      const steps: Step[] = [
        (s) => {
          s.add('LadderFilterNode', 'ladder');
          s.add('MultiplyNode', 'huge');
          s.link(lfo(s, 'tone', SAMPLE_RATE / (2 * blockSize), 0, 0), 'huge.a');
          s.addValue(10, 'ten');
          s.link('ten.out', 'huge.b');
          s.link('huge.out', 'ladder.input');
          s.add('PlaybackNode', 'play');
          s.link('ladder.out', 'play.left');
        },
        (s) => s.setValue('tone_depth', 1e38),
      ];
      const wasmEvents: RenderEvent[] = [];
      const jsEvents: RenderEvent[] = [];
      const wasm = render(true, blockSize, steps, 4 * blockSize, wasmEvents);
      const js = render(false, blockSize, steps, 4 * blockSize, jsEvents);
      expect(maxDifference(wasm.out, js.out)).toBeLessThan(TOLERANCE);
      const faults = (events: RenderEvent[]) => events.filter((e) => e.kind === 'fault').map((e) => e.node);
      expect(faults(wasmEvents)).toEqual(['ladder']);
      expect(faults(jsEvents)).toEqual(['ladder']);
      expect(wasm.stats[0].ops).toBeGreaterThanOrEqual(5);
    }
  });
});

describe('ladders side by side run in SIMD lanes', () => {
  it('equal JS; one that goes non-finite mid-block mutes only itself, and the lanes after it run once', () => {
    // Alike (one set of coefficient vectors for all lanes) and each its own resonance (a set per lane).
    const designs = [
      [0.9, 0.9, 0.9, 0.9],
      [0.9, 0.5, 0.97, 0.2],
    ];
    for (const [blockSize, resonances] of [16, 128, 4096].flatMap((b) =>
      designs.map((d) => [b, d] as const),
    )) {
      // Four independent ladders next to each other in the op list (they take lanes together): the first
      // reads ±Infinity inside a block (as in the test above), the other three steady tones. When the first
      // goes non-finite, the kernel has already run the three after it; the caller resumes after the first,
      // and they must not run a second time (their output would then differ from JS).
      const steps: Step[] = [
        (s) => {
          s.add('MultiplyNode', 'huge');
          s.link(lfo(s, 'tone', SAMPLE_RATE / (2 * blockSize), 0, 0), 'huge.a');
          s.addValue(10, 'ten');
          s.link('ten.out', 'huge.b');
          lfo(s, 'calm', 220, 0, 0.5);
          for (const [j, name] of ['wild', 'calm1', 'calm2', 'calm3'].entries()) {
            s.add('LadderFilterNode', name);
            s.addValue(resonances[j], `${name}_res`);
            s.link(`${name}_res.out`, `${name}.resonance`);
          }
          s.link('huge.out', 'wild.input');
          for (const name of ['calm1', 'calm2', 'calm3']) s.link('calm_moved.out', `${name}.input`);
          s.add('MixerNode', 'mix');
          s.link('wild.out', 'mix.input1');
          s.link('calm1.out', 'mix.input2');
          s.link('calm2.out', 'mix.input3');
          s.link('calm3.out', 'mix.input4');
          s.add('PlaybackNode', 'play');
          s.link('mix.out', 'play.left');
          s.link('calm3.out', 'play.right');
        },
        (s) => s.setValue('tone_depth', 1e38),
      ];
      const wasmEvents: RenderEvent[] = [];
      const jsEvents: RenderEvent[] = [];
      const wasm = render(true, blockSize, steps, Math.max(4 * blockSize, 2048), wasmEvents);
      const js = render(false, blockSize, steps, Math.max(4 * blockSize, 2048), jsEvents);
      expect(peak(js.out)).toBeGreaterThan(0.01);
      expect(maxDifference(wasm.out, js.out), `${blockSize} frames per block`).toBeLessThan(TOLERANCE);
      const faults = (events: RenderEvent[]) => events.filter((e) => e.kind === 'fault').map((e) => e.node);
      expect(faults(wasmEvents)).toEqual(['wild']);
      expect(faults(jsEvents)).toEqual(['wild']);
    }
  });
});

describe('StateVariableFilterNode as an op', () => {
  const build: Step = (s) => {
    s.add('StateVariableFilterNode', 'svf');
    s.link(wander(s, 'source', 'white', 0, 0.4), 'svf.input');
    s.addValue(800, 'cut');
    s.link('cut.out', 'svf.cutoff');
    s.addValue(0.5, 'res');
    s.link('res.out', 'svf.resonance');
    s.add('PlaybackNode', 'play');
  };

  for (const output of ['lowpass', 'highpass', 'bandpass', 'notch']) {
    it(`${output}: agrees with JS through value changes, audio-rate parameters, relinks and removals`, () => {
      const steps: Step[] = [
        (s) => {
          build(s);
          s.link(`svf.${output}`, 'play.left');
        },
        (s) => s.setValue('cut', 5000), // ramps for a block: the op reads the converter's flag
        (s) => s.setValue('res', 0.99), // Q 141: rings
        (s) => s.link(wander(s, 'sweep', 'brown', 2000, 1500), 'svf.cutoff'), // a crossfade, then audio rate
        (s) => s.link(wander(s, 'wobble', 'white', 0.5, 0.6), 'svf.resonance'), // beyond 0…1: clamped
        (s) => s.setValue('sweep_depth', 40000), // cutoffs far outside 10 Hz…19.8 kHz: clamped
        (s) => s.unlink('source_moved.out', 'svf.input'), // silence in: it rings out
        (s) => s.remove('sweep_moved'), // the cutoff reads its default
      ];
      for (const { stats, out } of expectParity(steps, 8192)) {
        // The source's multiply and add, and the filter, are ops: one segment after the NoiseNode.
        expect(stats[0]).toEqual({ ops: 3, segments: 1, js: 2 });
        expect(stats[2].ops).toBe(3);
        // A new link crossfades: the filter renders in JS for that plan, then is an op again, both
        // parameters at audio rate (their 4 ops).
        expect(stats[3].ops).toBe(2 + 2);
        expect(stats[5].ops).toBe(3 + 4);
        expect(peak(out)).toBeGreaterThan(0.1);
      }
    });
  }

  it('an overflow in an output other than the first (highpass) mutes the filter, as in JS', () => {
    // A full-scale 10 kHz sine into a 5 kHz filter at resonance 0.5: the highpass passes it with a gain of
    // 1.2 and overflows float32, the lowpass (gain 0.3) stays finite. The op checks only its first output
    // itself, so the kernel must report the others.
    for (const blockSize of BLOCK_SIZES) {
      const steps: Step[] = [
        (s) => {
          s.add('StateVariableFilterNode', 'svf');
          s.link(lfo(s, 'tone', 10000, 0, 1e39), 'svf.input'); // ±the largest float32
          s.addValue(5000, 'cut');
          s.link('cut.out', 'svf.cutoff');
          s.addValue(0.5, 'res');
          s.link('res.out', 'svf.resonance');
          s.add('MultiplyNode', 'scaled'); // the lowpass at about ±0.3
          s.link('svf.lowpass', 'scaled.a');
          s.addValue(1e-38, 'tiny');
          s.link('tiny.out', 'scaled.b');
          s.add('PlaybackNode', 'play');
          s.link('scaled.out', 'play.left');
        },
      ];
      const wasmEvents: RenderEvent[] = [];
      const jsEvents: RenderEvent[] = [];
      const wasm = render(true, blockSize, steps, 8 * 4096, wasmEvents);
      const js = render(false, blockSize, steps, 8 * 4096, jsEvents);
      expect(maxDifference(wasm.out, js.out)).toBeLessThan(TOLERANCE);
      expect(wasm.stats[0]).toEqual({ ops: 5, segments: 1, js: 1 });
      const faults = (events: RenderEvent[]) => events.filter((e) => e.kind === 'fault').map((e) => e.node);
      expect(faults(wasmEvents)).toEqual(['svf']);
      expect(faults(jsEvents)).toEqual(['svf']);
      // The lowpass played, finite (below 3.4e38 everywhere), until the filter was muted; then silence.
      expect(peak(wasm.out)).toBeGreaterThan(0.2);
      expect(peak(wasm.out)).toBeLessThan(3.4);
      expect(peak(wasm.out.subarray(wasm.out.length / 2 - blockSize))).toBe(0);
    }
  });
});

describe('PanNode as an op', () => {
  it('agrees with JS (both outputs) through glides, clamps, audio-rate and constant inputs', () => {
    const steps: Step[] = [
      (s) => {
        s.add('PanNode', 'pan');
        s.link(wander(s, 'source', 'white', 0, 0.4), 'pan.input');
        s.addValue(0.3, 'where');
        s.link('where.out', 'pan.pan');
        s.add('PlaybackNode', 'play');
        s.link('pan.left', 'play.left');
        s.link('pan.right', 'play.right');
      },
      (s) => s.setValue('where', -0.8), // a glide over 5 ms, then the constant path
      (s) => s.setValue('where', 5), // clamped to 1
      (s) => s.link(wander(s, 'sweep', 'brown', 0, 1.5), 'pan.pan'), // a crossfade, then audio rate
      () => {}, // settled: an op again
      (s) => s.unlink('source_moved.out', 'pan.input'), // a constant input (silence)
      (s) => {
        s.addValue(0.25, 'dc');
        s.link('dc.out', 'pan.input'); // a constant input that sounds
      },
      (s) => s.remove('sweep_moved'), // the pan reads its default: constant input, constant position
    ];
    for (const { stats, out } of expectParity(steps, 8192)) {
      expect(stats[0]).toEqual({ ops: 3, segments: 1, js: 2 });
      expect(stats[2].ops).toBe(3);
      expect(stats[3].ops).toBe(2 + 2); // the new link crossfades: the pan renders in JS …
      expect(stats[4].ops).toBe(3 + 2); // … then as an op, with an audio-rate position
      expect(peak(out)).toBeGreaterThan(0.2);
    }
  });

  it('a non-finite input mid-block is found and muted alike on both paths', () => {
    for (const blockSize of [16, 128]) {
      // As for the ladder: ±Infinity inside blocks, finite first and last samples, so no node's own
      // check sees it; the master's full scan then mutes the first node whose output holds it.
      const steps: Step[] = [
        (s) => {
          s.add('PanNode', 'pan');
          s.add('MultiplyNode', 'huge');
          s.link(lfo(s, 'tone', SAMPLE_RATE / (2 * blockSize), 0, 0), 'huge.a');
          s.addValue(10, 'ten');
          s.link('ten.out', 'huge.b');
          s.link('huge.out', 'pan.input');
          s.add('PlaybackNode', 'play');
          s.link('pan.left', 'play.left');
          s.link('pan.right', 'play.right');
        },
        (s) => s.setValue('tone_depth', 1e38),
      ];
      const wasmEvents: RenderEvent[] = [];
      const jsEvents: RenderEvent[] = [];
      const wasm = render(true, blockSize, steps, 4 * blockSize, wasmEvents);
      const js = render(false, blockSize, steps, 4 * blockSize, jsEvents);
      // Samples near 1e38 (the sines of the two paths differ by ~1e-7): compared relative to their size.
      expect(maxRelativeDifference(wasm.out, js.out)).toBeLessThan(TOLERANCE);
      expect(wasm.stats[0].ops).toBe(5);
      const faults = (events: RenderEvent[]) => events.filter((e) => e.kind === 'fault').map((e) => e.node);
      expect(faults(wasmEvents).length).toBeGreaterThan(0);
      expect(faults(wasmEvents)).toEqual(faults(jsEvents));
    }
  });
});

describe('CrossfadeNode as an op', () => {
  it('agrees with JS through glides, clamps and audio-rate mixes', () => {
    const steps: Step[] = [
      (s) => {
        s.add('CrossfadeNode', 'fade');
        s.link(wander(s, 'noise', 'white', 0, 0.4), 'fade.a');
        s.link(lfo(s, 'tone', 440, 0, 0.5), 'fade.b');
        s.addValue(0.2, 'mix');
        s.link('mix.out', 'fade.mix');
        s.add('PlaybackNode', 'play');
        s.link('fade.out', 'play.left');
      },
      (s) => s.setValue('mix', 0.9), // a glide over 5 ms, then the constant path
      (s) => s.setValue('mix', -3), // clamped to 0
      (s) => s.link(wander(s, 'sweep', 'brown', 0.5, 0.8), 'fade.mix'), // a crossfade, then audio rate
      () => {}, // settled: an op again
      (s) => s.unlink('noise_moved.out', 'fade.a'),
      (s) => s.remove('sweep_moved'), // the mix reads its default, 0.5
    ];
    for (const { stats, out } of expectParity(steps, 8192)) {
      expect(stats[0]).toEqual({ ops: 6, segments: 1, js: 2 });
      expect(stats[2].ops).toBe(6);
      expect(stats[3].ops).toBe(5 + 2); // the new link crossfades: the crossfade renders in JS …
      expect(stats[4].ops).toBe(6 + 2); // … then as an op, with an audio-rate mix
      expect(peak(out)).toBeGreaterThan(0.2);
    }
  });
});
