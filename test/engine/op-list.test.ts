// The plan's WebAssembly op list (src/engine/op-list.ts): nodes with a kernel render as ops, one call per
// run of them, JS nodes at their place between; the result equals the plain-JS path (kernels switched off)
// within 1e-5 at the smallest, the usual and the largest block size, through value changes, relinks
// (a crossfade makes a node render in JS for a plan), removals, faults and incremental edits.

import { afterEach, describe, expect, it } from 'vitest';
import type { RenderEvent } from '../../src/engine/renderer.js';
import { setWasmKernelsEnabled } from '../../src/engine/wasm/kernels.js';
import { Synchrotron } from '../../src/index.js';
import { maxDifference } from '../helpers/analysis.js';

const SAMPLE_RATE = 44100;
const BLOCK_SIZES = [16, 128, 4096];
const TOLERANCE = 1e-5;

afterEach(() => setWasmKernelsEnabled(true));

type Step = (s: Synchrotron) => void;

/** Renders `blocks` blocks per step (left master), running each step's edits first; with or without kernels. */
function render(wasm: boolean, blockSize: number, steps: Step[], blocks: number, events: RenderEvent[] = []) {
  setWasmKernelsEnabled(wasm);
  const s = new Synchrotron({ sampleRate: SAMPLE_RATE, blockSize });
  setWasmKernelsEnabled(true);
  s.onEvent((event) => events.push(event));
  const out = new Float32Array(steps.length * blocks * blockSize);
  const stats: Array<{ ops: number; segments: number; js: number }> = [];
  steps.forEach((step, k) => {
    step(s);
    stats.push(s.renderer.opStats());
    out.set(s.renderFrames(blocks * blockSize).left, k * blocks * blockSize);
  });
  s.dispose();
  return { out, stats };
}

/** Four sines (two fed by DataNodes, one FM'd by another sine) summed by AddNodes, scaled, played. */
const build: Step = (s) => {
  for (const [i, hz] of [220, 331.7, 1234.5].entries()) {
    s.addValue(hz, `f${i}`);
    s.add('SineNode', `sine${i}`);
    s.link(`f${i}.out`, `sine${i}.frequency`);
  }
  // sine3: 440 Hz ± 200 Hz at 5 Hz (audio-rate frequency: the table path).
  s.addValue(200, 'depth');
  s.addValue(440, 'centre');
  s.add('MultiplyNode', 'swing');
  s.link('sine0.out', 'swing.a');
  s.link('depth.out', 'swing.b');
  s.add('AddNode', 'hz');
  s.link('swing.out', 'hz.a');
  s.link('centre.out', 'hz.b');
  s.add('SineNode', 'sine3');
  s.link('hz.out', 'sine3.frequency');
  s.add('AddNode', 'sum1');
  s.link('sine1.out', 'sum1.a');
  s.link('sine2.out', 'sum1.b');
  s.add('AddNode', 'sum2');
  s.link('sum1.out', 'sum2.a');
  s.link('sine3.out', 'sum2.b');
  s.addValue(0.25, 'gain');
  s.add('MultiplyNode', 'scale');
  s.link('sum2.out', 'scale.a');
  s.link('gain.out', 'scale.b');
  s.addValue(-6, 'levelDb');
  s.add('GainNode', 'level');
  s.link('scale.out', 'level.input');
  s.link('levelDb.out', 'level.gain');
  s.add('PlaybackNode', 'play');
  s.link('level.out', 'play.left');
};

/** Kernel nodes in `build`: 4 sines, swing, hz, sum1, sum2, scale, level. */
const KERNEL_NODES = 10;

describe('the plan runs its kernel nodes as WebAssembly ops', () => {
  for (const blockSize of BLOCK_SIZES) {
    it(`agrees with the plain-JS path through edits, ${blockSize} frames per block`, () => {
      const blocks = Math.max(2, Math.ceil(2048 / blockSize));
      const steps: Step[] = [
        build,
        (s) => s.setValue('f1', 5000), // a value ramps for a block (the op reads the converter's flag)
        (s) => {
          // A JS node in the middle cuts the ops into two segments (SampleAndHoldNode has no op).
          s.add('SampleAndHoldNode', 'held');
          s.link('sum1.out', 'held.input');
          s.addValue(1, 'take'); // one rise: it holds sum1's first sample (an edge from a sine would move
          s.link('take.out', 'held.trigger'); // with its float32 rounding on the op path)
          s.link('held.out', 'sum2.a');
        },
        (s) => s.link('sine2.out', 'sum1.a'), // relink: sum1 glides (crossfade), rendered by JS for now
        (s) => s.remove('sine1'),
        (s) => {
          s.setValue('gain', 0.5);
          s.setValue('levelDb', 3); // the gain glides
        },
        // Audio-rate dB (±1 dB: a louder gain would scale float32 rounding upstream past the tolerance).
        (s) => s.link('sine3.out', 'level.gain'),
        (s) => s.setValue('depth', 20),
      ];
      const wasm = render(true, blockSize, steps, blocks);
      const js = render(false, blockSize, steps, blocks);
      expect(maxDifference(wasm.out, js.out)).toBeLessThan(TOLERANCE);
      expect(Math.max(...wasm.out.map(Math.abs))).toBeGreaterThan(0.05);

      // DataNodes need no call: one segment, and the PlaybackNode.
      expect(wasm.stats[0]).toEqual({ ops: KERNEL_NODES, segments: 1, js: 1 });
      expect(wasm.stats[1]).toEqual({ ops: KERNEL_NODES, segments: 1, js: 1 });
      // The SampleAndHoldNode cuts the ops in two; sum2 (relinked to it) glides, in JS, for this plan.
      expect(wasm.stats[2]).toEqual({ ops: KERNEL_NODES - 1, segments: 2, js: 3 });
      // sum2 has its op again; sum1 glides now.
      expect(wasm.stats[3].ops).toBe(KERNEL_NODES - 1);
      expect(wasm.stats[3].js).toBe(3);
      // sine1 is gone, sum1 has its op again.
      expect(wasm.stats[4].ops).toBe(KERNEL_NODES - 1);
      expect(wasm.stats[4].js).toBe(2);
      expect(wasm.stats[7].ops).toBe(KERNEL_NODES - 1);
      expect(js.stats.every((stat) => stat.ops === 0)).toBe(true);
    });
  }

  it('a data value a JS node changes while rendering reaches the ops that read it, block by block', () => {
    // The TransportNode sets its position (data) every 1/24 beat from process(); a SineNode op reads it
    // through a converter. Settled converters are skipped only while no data value changed anywhere, so the
    // op must follow each new position exactly as the plain-JS path does.
    const steps: Step[] = [
      (s) => {
        s.add('TransportNode', 'transport');
        s.addValue(110, 'base');
        s.addValue(55, 'perBeat');
        s.add('MultiplyNode', 'rise');
        s.link('transport.position', 'rise.a');
        s.link('perBeat.out', 'rise.b');
        s.add('AddNode', 'hz');
        s.link('rise.out', 'hz.a');
        s.link('base.out', 'hz.b');
        s.add('SineNode', 'sine');
        s.link('hz.out', 'sine.frequency');
        s.add('PlaybackNode', 'play');
        s.link('sine.out', 'play.left');
      },
    ];
    for (const blockSize of [16, 128]) {
      const blocks = Math.ceil((2 * SAMPLE_RATE) / blockSize); // two seconds: four beats at 120 bpm
      const wasm = render(true, blockSize, steps, blocks);
      const js = render(false, blockSize, steps, blocks);
      expect(wasm.stats[0].ops).toBe(3);
      expect(maxDifference(wasm.out, js.out)).toBeLessThan(TOLERANCE);
      // The pitch did rise: the last quarter second has more zero crossings than the first.
      const crossings = (from: number, to: number) => {
        let n = 0;
        for (let i = from + 1; i < to; i++) if (wasm.out[i - 1] < 0 !== wasm.out[i] < 0) n++;
        return n;
      };
      const quarter = SAMPLE_RATE / 4;
      expect(crossings(wasm.out.length - quarter, wasm.out.length)).toBeGreaterThan(
        crossings(0, quarter) * 1.5,
      );
    }
  });

  it('an incremental plan and one built from scratch run the same ops and sound the same', () => {
    const blockSize = 128;
    const incremental = render(true, blockSize, [build, (s) => s.link('sine2.out', 'sum2.b')], 8);
    const fromScratch = render(
      true,
      blockSize,
      [
        build,
        (s) => {
          s.link('sine2.out', 'sum2.b');
          s.renderer.invalidatePlan();
        },
      ],
      8,
    );
    expect(maxDifference(incremental.out, fromScratch.out)).toBe(0);
    expect(incremental.stats).toEqual(fromScratch.stats);
  });

  it('GainNode as an op: silence below −120 dB, the +40 dB limit and the glide agree with JS', () => {
    // A small constant input (exact in both paths) through a gain sweeping ±200 dB at audio rate.
    const sweep: Step = (s) => {
      s.addValue(0.001, 'x');
      s.addValue(30, 'rate');
      s.add('SineNode', 'lfo');
      s.link('rate.out', 'lfo.frequency');
      s.addValue(200, 'depth');
      s.add('MultiplyNode', 'db');
      s.link('lfo.out', 'db.a');
      s.link('depth.out', 'db.b');
      s.add('GainNode', 'level');
      s.link('x.out', 'level.input');
      s.link('db.out', 'level.gain');
      s.add('PlaybackNode', 'play');
      s.link('level.out', 'play.left');
    };
    for (const blockSize of BLOCK_SIZES) {
      const blocks = Math.max(2, Math.ceil(4096 / blockSize));
      const steps: Step[] = [sweep, (s) => s.unlink('db.out', 'level.gain'), (s) => s.setValue('x', -0.002)];
      const wasm = render(true, blockSize, steps, blocks);
      const js = render(false, blockSize, steps, blocks);
      expect(wasm.stats[0].ops).toBe(3);
      expect(maxDifference(wasm.out, js.out)).toBeLessThan(TOLERANCE);
      expect(Math.max(...wasm.out)).toBeCloseTo(0.1, 3); // +40 dB
      expect(Math.min(...wasm.out.subarray(0, blocks * blockSize).map(Math.abs))).toBe(0); // silence
    }
  });

  it('an op whose output goes non-finite is muted and reported, as in JS, and revived by an edit', () => {
    // A sine plus 3 × gain: a gain beyond float32 / 3 makes `scale` overflow to ±∞.
    const faulting: Step = (s) => {
      s.addValue(220, 'hz');
      s.add('SineNode', 'sine');
      s.link('hz.out', 'sine.frequency');
      s.addValue(3, 'three');
      s.addValue(0.25, 'gain');
      s.add('MultiplyNode', 'scale');
      s.link('three.out', 'scale.a');
      s.link('gain.out', 'scale.b');
      s.add('AddNode', 'mix');
      s.link('sine.out', 'mix.a');
      s.link('scale.out', 'mix.b');
      s.add('PlaybackNode', 'play');
      s.link('mix.out', 'play.left');
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
      const wasm = render(true, blockSize, steps, 4, wasmEvents);
      const js = render(false, blockSize, steps, 4, jsEvents);
      expect(maxDifference(wasm.out, js.out)).toBeLessThan(TOLERANCE);
      const faults = (events: RenderEvent[]) => events.filter((e) => e.kind === 'fault').map((e) => e.node);
      expect(faults(wasmEvents)).toEqual(['scale', 'scale']);
      expect(faults(jsEvents)).toEqual(['scale', 'scale']);
      expect(wasm.stats[3]).toEqual({ ops: 3, segments: 1, js: 1 });
      // Muted: the sine alone; playing again: the sine plus 1.2.
      expect(Math.max(...wasm.out.subarray(4 * blockSize, 12 * blockSize))).toBeLessThan(1.0001);
      expect(Math.max(...wasm.out.subarray(13 * blockSize))).toBeGreaterThan(2);
    }
  });
});
