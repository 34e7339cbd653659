// The nodes with a data input as WebAssembly ops (scripts/wasm/ops-data.ts): each renders as an op of the
// plan's op list and equals its plain-JS `process` (kernels switched off) within 1e-5 at 16, 128 and 4096
// frames, with constant and audio-rate inputs, values changing mid-render, the DATA input changing
// mid-render (read by the node's `readData` before its op), NaN/±∞/±1e30 inputs, relinks, removals.

import { afterEach, describe, expect, it } from 'vitest';
import type { RenderEvent } from '../../src/engine/renderer.js';
import { setWasmKernelsEnabled } from '../../src/engine/wasm/kernels.js';
import { createRegistry, Synchrotron } from '../../src/index.js';
import { BIQUAD_MODES } from '../../src/nodes/filters/biquad-filter-node.js';
import { MATH_OPS } from '../../src/nodes/math/math-node.js';
import { maxDifference, maxRelativeDifference, peak } from '../helpers/analysis.js';
import { SpecialValuesNode } from '../nodes/render.js';

const SAMPLE_RATE = 44100;
const BLOCK_SIZES = [16, 128, 4096];
const TOLERANCE = 1e-5;

afterEach(() => setWasmKernelsEnabled(true));

type Step = (s: Synchrotron) => void;

/**
 * Renders `frames` frames after each step's edits, with or without kernels: per step the left master, then
 * the right. Also the op list's stats after each step's edits, and the events.
 */
function render(wasm: boolean, blockSize: number, steps: Step[], frames: number, events: RenderEvent[] = []) {
  const registry = createRegistry();
  registry.register(SpecialValuesNode);
  setWasmKernelsEnabled(wasm);
  const s = new Synchrotron({ sampleRate: SAMPLE_RATE, blockSize, registry });
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

const faults = (events: RenderEvent[]) => events.filter((e) => e.kind === 'fault').map((e) => e.node);

/**
 * Runs `steps` on both paths at every block size; the difference (absolute, or `relative` to the samples'
 * size) must be within 1e-5, faults alike. Returns the op path's renders and stats.
 */
function expectParity(steps: Step[], frames: number, relative = false) {
  const results = [];
  for (const blockSize of BLOCK_SIZES) {
    const wasmEvents: RenderEvent[] = [];
    const jsEvents: RenderEvent[] = [];
    const wasm = render(true, blockSize, steps, frames, wasmEvents);
    const js = render(false, blockSize, steps, frames, jsEvents);
    const difference = relative ? maxRelativeDifference(wasm.out, js.out) : maxDifference(wasm.out, js.out);
    expect(difference, `${blockSize} frames per block`).toBeLessThan(TOLERANCE);
    expect(js.stats.every((stat) => stat.ops === 0)).toBe(true);
    expect(faults(wasmEvents)).toEqual(faults(jsEvents));
    results.push({ blockSize, events: wasmEvents, ...wasm });
  }
  return results;
}

/**
 * Noise `name` (NoiseNode of `color`, JS in both paths and seeded by its name, so the same samples in both)
 * scaled by `depth` and offset by `centre`: an audio-rate input that is the same in both paths to the bit.
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

/** Every op in turn (each a change of the data input mid-render, crossfading over 5 ms), then a bad one. */
function everyOp(frames: number): { steps: Step[]; frames: number } {
  const steps: Step[] = MATH_OPS.map((op) => (s: Synchrotron) => s.setValue('op', op));
  steps.push((s) => s.setValue('op', 'sideways')); // not an op: a warning, the last op stays
  return { steps, frames };
}

describe('MathNode as an op', () => {
  const build = (first: string, b: number | ((s: Synchrotron) => string)): Step => {
    return (s) => {
      s.add('MathNode', 'math');
      s.link(wander(s, 'x', 'white', 0.2, 3), 'math.a');
      const source = typeof b === 'number' ? b : b(s);
      if (typeof source === 'number') {
        s.addValue(source, 'y');
        s.link('y.out', 'math.b');
      } else s.link(source, 'math.b');
      s.addValue(first, 'op');
      s.link('op.out', 'math.op');
      s.add('PlaybackNode', 'play');
      s.link('math.out', 'play.left');
    };
  };

  it('agrees with JS for every op and op change, a constant b, changed mid-render', () => {
    const { steps } = everyOp(1024);
    const all: Step[] = [
      build('power', 1.7),
      ...steps,
      (s) => s.setValue('y', -0.6), // ramps for a block: the op reads the converter's flag
      ...steps,
    ];
    for (const { stats, out, events } of expectParity(all, 1024)) {
      // The source's multiply and add and the math are ops: one segment after the NoiseNode.
      expect(stats[0]).toEqual({ ops: 3, segments: 1, js: 2 });
      expect(stats.at(-1)?.ops).toBe(3);
      expect(peak(out)).toBeGreaterThan(1);
      expect(events.filter((e) => e.kind === 'warning').length).toBe(2); // 'sideways', twice
    }
  });

  it('agrees with JS with both operands at audio rate, relinks, and the op relinked and removed', () => {
    const { steps } = everyOp(1024);
    const all: Step[] = [
      build('subtract', (s) => wander(s, 'yy', 'brown', 0.5, 2)),
      ...steps,
      (s) => {
        // The op's data input relinked to another DataNode: a new plan reads it first.
        s.addValue('modulo', 'op2');
        s.link('op2.out', 'math.op');
      },
      (s) => s.link(wander(s, 'z', 'pink', -1, 4), 'math.b'), // a crossfade (JS for a plan), then an op
      () => {},
      (s) => s.remove('op2'), // the op reads its default, subtract: a fade
      (s) => s.remove('z_moved'), // b reads its default
      (s) => s.unlink('x_moved.out', 'math.a'), // both constant: one frame computed, filled
      (s) => s.setValue('op', 'tanh'), // the op input is unlinked: nothing changes
    ];
    for (const { stats, out } of expectParity(all, 1024)) {
      // Two segments: the NoiseNodes cut them (yy's, then x's and the math).
      expect(stats[0]).toEqual({ ops: 5, segments: 2, js: 3 });
      // The math renders in JS while the new link to b crossfades, then as an op with z's two.
      expect(stats[MATH_OPS.length + 3].ops).toBe(4 + 2);
      expect(Math.max(...stats.map((stat) => stat.ops))).toBe(5 + 2);
      expect(peak(out)).toBeGreaterThan(1);
    }
  });

  it('NaN, ±∞, ±the largest float32 and ±1e30 operands: every op, on both paths, never faults', () => {
    const { steps } = everyOp(512);
    const all: Step[] = [
      (s) => {
        s.add('SpecialValuesNode', 'special');
        s.add('SpecialValuesNode', 'slow');
        s.addValue(15, 'hold');
        s.link('hold.out', 'slow.hold'); // with `special`, every pair of values within 225 frames
        s.add('MathNode', 'math');
        s.link('special.out', 'math.a');
        s.link('slow.out', 'math.b');
        s.addValue('subtract', 'op');
        s.link('op.out', 'math.op');
        s.add('PlaybackNode', 'play');
        s.link('math.out', 'play.left');
      },
      ...steps,
    ];
    for (const { stats, out, events } of expectParity(all, 512, true)) {
      expect(stats[0]).toEqual({ ops: 1, segments: 1, js: 3 });
      expect(faults(events)).toEqual([]);
      expect(peak(out)).toBeGreaterThan(1e38);
    }
  });
});

describe('BiquadFilterNode as an op', () => {
  const build: Step = (s) => {
    s.add('BiquadFilterNode', 'filter');
    s.link(wander(s, 'source', 'white', 0, 0.4), 'filter.input');
    s.addValue(800, 'cut');
    s.link('cut.out', 'filter.cutoff');
    s.addValue(2, 'q');
    s.link('q.out', 'filter.q');
    s.addValue(6, 'gain');
    s.link('gain.out', 'filter.gain');
    s.addValue('lowpass', 'mode');
    s.link('mode.out', 'filter.mode');
    s.add('PlaybackNode', 'play');
    s.link('filter.out', 'play.left');
  };
  /** Every mode in turn, each a change of the data input mid-render (a 5 ms glide), then a bad one. */
  const everyMode: Step[] = [
    ...BIQUAD_MODES.map((mode) => (s: Synchrotron) => s.setValue('mode', mode)),
    (s) => s.setValue('mode', 'sideways'), // a warning; the mode stays
    (s) => s.setValue('mode', 'lowshelf'),
  ];

  it('agrees with JS through every mode change, constant and audio-rate parameters, relinks, removals', () => {
    const steps: Step[] = [
      build,
      ...everyMode,
      (s) => s.setValue('cut', 3000), // ramps for a block: the op reads the converter's flag
      (s) => s.link(wander(s, 'sweep', 'brown', 2000, 1500), 'filter.cutoff'), // a crossfade, then audio rate
      () => {},
      ...everyMode, // mode glides on the per-sample path
      (s) => s.link(wander(s, 'wobble', 'white', 3, 5), 'filter.q'), // beyond 0.1…40: clamped
      (s) => s.link(wander(s, 'boost', 'pink', 0, 80), 'filter.gain'), // beyond ±48 dB: clamped
      () => {},
      (s) => s.setValue('mode', 'peak'),
      (s) => s.setValue('sweep_depth', 40000), // cutoffs far outside 10 Hz…19.8 kHz: clamped
      (s) => {
        // The mode's data input relinked to another DataNode, then removed (reads its default, lowpass).
        s.addValue('highshelf', 'mode2');
        s.link('mode2.out', 'filter.mode');
      },
      (s) => s.remove('mode2'),
      (s) => s.remove('sweep_moved'), // the cutoff reads its default
      (s) => s.unlink('source_moved.out', 'filter.input'), // silence in: it rings out
    ];
    for (const { stats, out, events } of expectParity(steps, 1024)) {
      // The source's multiply and add, and the filter, are ops: one segment after the NoiseNode.
      expect(stats[0]).toEqual({ ops: 3, segments: 1, js: 2 });
      expect(Math.max(...stats.map((stat) => stat.ops))).toBe(3 + 6);
      expect(peak(out)).toBeGreaterThan(0.1);
      expect(events.filter((e) => e.kind === 'warning').length).toBe(2); // 'sideways', twice
    }
  });

  it('NaN, ±∞ and ±1e30 parameters are clamped alike; in the input they mute the filter alike', () => {
    const special =
      (hold: number): Step =>
      (s) => {
        s.add('SpecialValuesNode', `special${hold}`);
        s.addValue(hold, `hold${hold}`);
        s.link(`hold${hold}.out`, `special${hold}.hold`);
      };
    const parameters: Step[] = [
      (s) => {
        build(s);
        special(1)(s);
        special(15)(s);
        s.link('special1.out', 'filter.cutoff');
        s.link('special15.out', 'filter.q');
      },
      (s) => s.link('special1.out', 'filter.gain'),
      (s) => s.setValue('mode', 'highshelf'),
      (s) => s.link('special15.out', 'filter.cutoff'),
    ];
    for (const { stats, out, events } of expectParity(parameters, 1024)) {
      expect(stats[0].ops).toBe(3);
      expect(faults(events)).toEqual([]);
      expect(peak(out)).toBeGreaterThan(0.1);
    }
    const input: Step[] = [
      (s) => {
        build(s);
        special(15)(s);
        s.link('special15.out', 'filter.input');
      },
    ];
    for (const { stats, events } of expectParity(input, 1024, true)) {
      expect(stats[0].ops).toBe(3);
      expect(faults(events)).toEqual(['filter']);
    }
  });
});

describe('DelayNode as an op', () => {
  const build: Step = (s) => {
    s.add('DelayNode', 'delay');
    s.link(wander(s, 'source', 'white', 0, 0.4), 'delay.input');
    s.addValue(0.01, 'time');
    s.link('time.out', 'delay.time');
    s.addValue(0.6, 'feedback');
    s.link('feedback.out', 'delay.feedback');
    s.addValue(0.05, 'maxTime');
    s.link('maxTime.out', 'delay.maxTime');
    s.add('PlaybackNode', 'play');
    s.link('delay.out', 'play.left');
  };

  it('agrees with JS through time and feedback changes, audio-rate time, maxTime changes, removals', () => {
    const steps: Step[] = [
      build,
      (s) => s.setValue('time', 0.0123456), // a jump: a crossfade to the new (fractional) position
      (s) => s.setValue('feedback', -0.9),
      (s) => s.setValue('feedback', 5), // clamped to 0.99
      (s) => s.link(wander(s, 'chorus', 'brown', 0.02, 0.004), 'delay.time'), // followed sample by sample
      () => {},
      (s) => s.setValue('chorus_depth', 0.03), // beyond maxTime and 2 samples: clamped, and jumps crossfade
      (s) => s.link(wander(s, 'wobble', 'white', 0.5, 0.8), 'delay.feedback'), // audio-rate feedback
      (s) => s.setValue('maxTime', 0.02), // a new, silent line (in the kernels' memory again)
      (s) => s.setValue('maxTime', 0), // the shortest line: 2 samples
      (s) => s.setValue('maxTime', 60), // the longest: 10 MB, the memory grows
      (s) => s.remove('chorus_moved'), // the time reads its default, 0.25 s
      (s) => s.remove('maxTime'), // maxTime reads its default, 2 s: a new line
      (s) => {
        // Removed and made again under the same name: its line and state come from recycled memory.
        s.remove('delay');
        s.add('DelayNode', 'delay');
        s.link('source_moved.out', 'delay.input');
        s.link('feedback.out', 'delay.feedback');
        s.link('delay.out', 'play.left');
      },
      (s) => s.unlink('source_moved.out', 'delay.input'), // silence in: the echoes ring out
    ];
    for (const { stats, out } of expectParity(steps, 2048)) {
      expect(stats[0]).toEqual({ ops: 3, segments: 1, js: 2 });
      expect(Math.max(...stats.map((stat) => stat.ops))).toBe(3 + 4);
      expect(peak(out)).toBeGreaterThan(0.1);
    }
  });

  it('NaN, ±∞ and ±1e30 in the input, time and feedback: clamped alike, never a fault', () => {
    const steps: Step[] = [
      (s) => {
        build(s);
        s.add('SpecialValuesNode', 'special');
        s.add('SpecialValuesNode', 'slow');
        s.addValue(15, 'hold');
        s.link('hold.out', 'slow.hold');
        s.link('special.out', 'delay.input');
      },
      (s) => s.link('slow.out', 'delay.time'),
      (s) => s.link('special.out', 'delay.feedback'),
      (s) => s.link('slow.out', 'delay.input'),
    ];
    for (const { stats, out, events } of expectParity(steps, 1024)) {
      expect(stats[0].ops).toBe(3);
      expect(faults(events)).toEqual([]);
      expect(peak(out)).toBeGreaterThan(10); // the line holds ±100 at most
    }
  });
});

describe('readData, the data inputs of ops', () => {
  it('is called only when a data value changed (or the plan is new), never while nothing changes', () => {
    setWasmKernelsEnabled(true);
    const s = new Synchrotron({ sampleRate: SAMPLE_RATE, blockSize: 128 });
    s.add('MathNode', 'math');
    s.addValue(2, 'y');
    s.link('y.out', 'math.b');
    s.addValue('negate', 'op');
    s.link('op.out', 'math.op');
    s.add('PlaybackNode', 'play');
    s.link('math.out', 'play.left');
    s.renderFrames(128 * 4); // the first value read, the converters settled
    expect(s.renderer.opStats().ops).toBe(1);
    const instance = s.renderer.instance('math')!;
    const read = instance.readData!;
    let calls = 0;
    (instance as { readData?: () => void }).readData = () => {
      calls++;
      read();
    };
    s.renderFrames(128 * 50);
    expect(calls).toBe(0); // 50 blocks, no data value changed: the gate stays shut
    s.setValue('y', 3); // a data value (not the op) changed: read when the segment next runs, and while
    s.renderFrames(128 * 10); // its converter ramps and settles …
    const afterValue = calls;
    expect(afterValue).toBeGreaterThanOrEqual(1);
    s.renderFrames(128 * 20);
    expect(calls).toBe(afterValue); // … then not again
    s.setValue('op', 'abs');
    const { left } = s.renderFrames(128 * 10);
    expect(calls).toBeGreaterThan(afterValue);
    expect(left[left.length - 1]).toBe(0); // abs(0): the op change reached the kernel
    s.dispose();
  });
});

describe('DelayNode lines beyond the kernels memory', () => {
  it('a line that finds no room renders by process(), beside lines that do, alike on both paths', () => {
    // Eight 60 s lines (10.6 MB each) at 128 frames: the memory's maximum (64 MiB of buffers and 8 MiB of
    // state, 72 MiB) holds seven; the eighth stays the prepared plain array and renders by process().
    const steps: Step[] = [
      (s) => {
        s.add('PlaybackNode', 'play');
        s.addValue(60, 'longest');
        let last = '';
        for (let i = 0; i < 8; i++) {
          s.add('DelayNode', `d${i}`);
          s.link('longest.out', `d${i}.maxTime`);
          s.addValue(0.001 + i * 0.0007, `t${i}`);
          s.link(`t${i}.out`, `d${i}.time`);
          s.link(i === 0 ? wander(s, 'source', 'white', 0, 0.4) : `d${i - 1}.out`, `d${i}.input`);
          last = `d${i}.out`;
        }
        s.link(last, 'play.left');
      },
      (s) => s.setValue('t3', 0.004),
    ];
    const wasm = render(true, 128, steps, 2048);
    const js = render(false, 128, steps, 2048);
    expect(maxDifference(wasm.out, js.out)).toBeLessThan(TOLERANCE);
    // The source's multiply and add, and seven of the eight delays.
    expect(wasm.stats[1].ops).toBe(2 + 7);
    expect(wasm.stats[1].js).toBe(3); // the NoiseNode, the eighth delay and the PlaybackNode
    expect(peak(wasm.out)).toBeGreaterThan(0.05);
  });
});
