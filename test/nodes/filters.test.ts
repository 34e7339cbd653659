// Filters measured against their analytic responses: the biquad against the RBJ audio-EQ cookbook's digital
// responses, the SVF's −3 dB point and bandpass gain, the ladder's slope and self-oscillation; and all of
// them under audio-rate and absurd parameters, and across value changes (no clicks).

import { describe, expect, it } from 'vitest';
import { BiquadFilterNode } from '../../src/nodes/filters/biquad-filter-node.js';
import { LadderFilterNode } from '../../src/nodes/filters/ladder-filter-node.js';
import { StateVariableFilterNode } from '../../src/nodes/filters/state-variable-filter-node.js';
import {
  allFinite,
  maxStep,
  peak,
  responseAt,
  rms,
  thirdOctaves,
  toDb,
  zeroCrossingFrequency,
} from '../helpers/analysis.js';
import { node, RATE, type Rig, renderInstance, rigsCleanedAfterEachTest } from './render.js';

const make = rigsCleanedAfterEachTest();

function faults(r: Rig): string[] {
  return r.events.filter((e) => e.kind === 'fault').map((e) => (e as { message: string }).message);
}

/** A single sample of `height` at frame 0 (a ClockNode that ticks once), as `name.out`. */
function impulse(r: Rig, name: string, height = 1): string {
  node(r, 'ClockNode', `${name}_clock`, { frequency: 1e-6 });
  node(r, 'MultiplyNode', name, { b: height });
  r.s.link(`${name}_clock.out`, `${name}.a`);
  return `${name}.out`;
}

/** The impulse response of `type` with constant `inputs` on output `port` (height 1 unless given). */
function impulseResponse(
  type: string,
  inputs: Record<string, number | string>,
  options: { port?: string; frames?: number; height?: number } = {},
): Float32Array {
  const r = make();
  node(r, type, 'f', inputs);
  r.s.link(impulse(r, 'imp', options.height ?? 1), 'f.input');
  const out = r.capture([`f.${options.port ?? 'out'}`], options.frames ?? 65536)[0];
  expect(faults(r)).toEqual([]);
  return out;
}

// ------------------------------------------------------------------------------------- the cookbook

type Mode = 'lowpass' | 'highpass' | 'bandpass' | 'notch' | 'peak' | 'lowshelf' | 'highshelf' | 'allpass';
const MODES: Mode[] = [
  'lowpass',
  'highpass',
  'bandpass',
  'notch',
  'peak',
  'lowshelf',
  'highshelf',
  'allpass',
];

/**
 * |H(e^jω)| at `hz` of the RBJ audio-EQ cookbook biquad (R. Bristow-Johnson, "Cookbook formulae for audio EQ
 * biquad filter coefficients"), written here from the formulas, independently of the node's SVF form.
 * Bandpass is the constant 0 dB peak gain variant; shelves use the Q form of alpha.
 */
function cookbookMagnitude(mode: Mode, f0: number, q: number, gainDb: number, hz: number, fs = RATE): number {
  const w0 = (2 * Math.PI * f0) / fs;
  const cos = Math.cos(w0);
  const alpha = Math.sin(w0) / (2 * q);
  const A = 10 ** (gainDb / 40);
  const sqrtA2alpha = 2 * Math.sqrt(A) * alpha;
  let b: number[];
  let a: number[];
  switch (mode) {
    case 'lowpass':
      b = [(1 - cos) / 2, 1 - cos, (1 - cos) / 2];
      a = [1 + alpha, -2 * cos, 1 - alpha];
      break;
    case 'highpass':
      b = [(1 + cos) / 2, -(1 + cos), (1 + cos) / 2];
      a = [1 + alpha, -2 * cos, 1 - alpha];
      break;
    case 'bandpass':
      b = [alpha, 0, -alpha];
      a = [1 + alpha, -2 * cos, 1 - alpha];
      break;
    case 'notch':
      b = [1, -2 * cos, 1];
      a = [1 + alpha, -2 * cos, 1 - alpha];
      break;
    case 'allpass':
      b = [1 - alpha, -2 * cos, 1 + alpha];
      a = [1 + alpha, -2 * cos, 1 - alpha];
      break;
    case 'peak':
      b = [1 + alpha * A, -2 * cos, 1 - alpha * A];
      a = [1 + alpha / A, -2 * cos, 1 - alpha / A];
      break;
    case 'lowshelf':
      b = [
        A * (A + 1 - (A - 1) * cos + sqrtA2alpha),
        2 * A * (A - 1 - (A + 1) * cos),
        A * (A + 1 - (A - 1) * cos - sqrtA2alpha),
      ];
      a = [
        A + 1 + (A - 1) * cos + sqrtA2alpha,
        -2 * (A - 1 + (A + 1) * cos),
        A + 1 + (A - 1) * cos - sqrtA2alpha,
      ];
      break;
    case 'highshelf':
      b = [
        A * (A + 1 + (A - 1) * cos + sqrtA2alpha),
        -2 * A * (A - 1 + (A + 1) * cos),
        A * (A + 1 + (A - 1) * cos - sqrtA2alpha),
      ];
      a = [
        A + 1 - (A - 1) * cos + sqrtA2alpha,
        2 * (A - 1 - (A + 1) * cos),
        A + 1 - (A - 1) * cos - sqrtA2alpha,
      ];
      break;
  }
  const w = (2 * Math.PI * hz) / fs;
  const poly = (c: number[]) =>
    Math.hypot(
      c[0] + c[1] * Math.cos(w) + c[2] * Math.cos(2 * w),
      c[1] * Math.sin(w) + c[2] * Math.sin(2 * w),
    );
  return poly(b) / poly(a);
}

/** The cookbook's tolerance: 0.2 dB where the response is ≥ −40 dB; elsewhere 1 dB, or both below −60 dB. */
function expectCookbookMatch(measuredDb: number, expectedDb: number, what: string) {
  if (expectedDb >= -40) expect(Math.abs(measuredDb - expectedDb), what).toBeLessThanOrEqual(0.2);
  else if (!(measuredDb < -60 && expectedDb < -60))
    expect(Math.abs(measuredDb - expectedDb), what).toBeLessThanOrEqual(1);
}

// biome-ignore lint/suspicious/noApproximativeNumericConstant: the SPEC's default, as written there
const BUTTERWORTH_Q = 0.7071;

const SETTINGS = [
  { cutoff: 100, q: BUTTERWORTH_Q, gain: 6 },
  { cutoff: 1000, q: 4, gain: -12 },
  { cutoff: 3000, q: 0.4, gain: 18 },
  { cutoff: 12000, q: 1.5, gain: -24 },
];

describe('BiquadFilterNode', () => {
  describe.each(MODES)('%s', (mode) => {
    it.each(SETTINGS)(
      'matches the cookbook digital response at third-octave points (cutoff $cutoff Hz, q $q, gain $gain dB)',
      ({ cutoff, q, gain }) => {
        const h = impulseResponse('BiquadFilterNode', { cutoff, q, gain, mode });
        const checked: string[] = [];
        for (const hz of thirdOctaves(20, 20000)) {
          // The node reads its parameters as float32 stream samples: compare with exactly those values.
          const expected = toDb(
            cookbookMagnitude(mode, Math.fround(cutoff), Math.fround(q), Math.fround(gain), hz),
          );
          const measured = toDb(responseAt(h, hz, RATE));
          expectCookbookMatch(measured, expected, `${mode} at ${hz.toFixed(0)} Hz`);
          checked.push(hz.toFixed(0));
        }
        expect(checked.length).toBe(31);
      },
    );
  });

  it('bandpass peaks at 0 dB at its centre, for any q', () => {
    for (const q of [0.3, 1, 10]) {
      const h = impulseResponse('BiquadFilterNode', { cutoff: 2000, q, mode: 'bandpass' });
      expect(Math.abs(toDb(responseAt(h, 2000, RATE))), `q ${q}`).toBeLessThan(0.01);
      expect(toDb(responseAt(h, 1000, RATE))).toBeLessThan(-0.5);
    }
  });

  it('shelves with q 0.7071 are the cookbook slope-1 shelves (half the gain at the cutoff)', () => {
    const low = impulseResponse('BiquadFilterNode', {
      cutoff: 500,
      q: BUTTERWORTH_Q,
      gain: 12,
      mode: 'lowshelf',
    });
    const high = impulseResponse('BiquadFilterNode', {
      cutoff: 500,
      q: BUTTERWORTH_Q,
      gain: 12,
      mode: 'highshelf',
    });
    expect(toDb(responseAt(low, 500, RATE))).toBeCloseTo(6, 1);
    expect(toDb(responseAt(low, 25, RATE))).toBeCloseTo(12, 1);
    expect(toDb(responseAt(high, 500, RATE))).toBeCloseTo(6, 1);
    expect(toDb(responseAt(high, 15000, RATE))).toBeCloseTo(12, 0);
  });

  it('clamps the cutoff to 10 Hz…0.45·rate (so 0, negative and 1e9 are ordinary filters)', () => {
    const at = (cutoff: number) => impulseResponse('BiquadFilterNode', { cutoff, mode: 'bandpass' });
    // A bandpass peaks at its (clamped) cutoff.
    for (const [cutoff, clamped] of [
      [1e9, 0.45 * RATE],
      [-500, 10],
      [0, 10],
    ]) {
      const h = at(cutoff);
      expect(allFinite(h)).toBe(true);
      expect(Math.abs(toDb(responseAt(h, clamped, RATE))), `cutoff ${cutoff}`).toBeLessThan(0.01);
    }
  });
});

// ------------------------------------------------------------------------------------- shared rigs

/** White noise between `min` and `max`, as `name.out`. */
function noise(r: Rig, name: string, min: number, max: number): string {
  node(r, 'UniformRandomNode', name, { min, max });
  return `${name}.out`;
}

/** centre + depth·sin(2π·hz·t), as `name.out`. */
function lfo(r: Rig, name: string, hz: number, centre: number, depth: number): string {
  node(r, 'SineNode', `${name}_osc`, { frequency: hz });
  node(r, 'MultiplyNode', `${name}_depth`, { b: depth });
  node(r, 'AddNode', name, { b: centre });
  r.s.link(`${name}_osc.out`, `${name}_depth.a`);
  r.s.link(`${name}_depth.out`, `${name}.a`);
  return `${name}.out`;
}

/** A sine of `amplitude` at `hz`, as `name.out`. */
function tone(r: Rig, name: string, hz: number, amplitude = 1): string {
  return lfo(r, name, hz, 0, amplitude);
}

/** Amplitude of the component at `hz` (the signal should hold many of its periods). */
function level(signal: Float32Array, hz: number): number {
  return (2 * responseAt(signal, hz, RATE)) / signal.length;
}

/** Largest step between neighbouring samples in [from, to). */
function stepIn(signal: Float32Array, from: number, to: number): number {
  return maxStep(signal.subarray(from, to));
}

/** The analog prototype's |H(jΩ)| after the bilinear transform prewarped at `cutoff`: Ω = tan(ω/2)/tan(πfc/fs). */
function warped(hz: number, cutoff: number): number {
  return Math.tan((Math.PI * hz) / RATE) / Math.tan((Math.PI * Math.fround(cutoff)) / RATE);
}

const FILTERS = [
  { type: 'BiquadFilterNode', output: 'out', shape: 'q', shapeRange: [0.1, 40] },
  { type: 'StateVariableFilterNode', output: 'lowpass', shape: 'resonance', shapeRange: [0, 1] },
  { type: 'LadderFilterNode', output: 'out', shape: 'resonance', shapeRange: [0, 1] },
] as const;

describe('every filter', () => {
  describe.each(FILTERS)('$type', ({ type, output, shape, shapeRange }) => {
    it('stays finite and bounded with its cutoff and resonance as noise at audio rate, sane and absurd', () => {
      for (const [low, high] of [
        [10, 20000],
        [-1e9, 1e9],
        [0, 0],
      ]) {
        const r = make();
        node(r, type, 'f');
        r.s.link(noise(r, 'x', -1, 1), 'f.input');
        r.s.link(noise(r, 'cutoff', low, high), 'f.cutoff');
        r.s.link(noise(r, 'shape', shapeRange[0], shapeRange[1]), `f.${shape}`);
        const outputs = Object.keys(r.s.graph.node('f').definition.outputs).map((p) => `f.${p}`);
        for (const out of r.capture(outputs, RATE)) {
          expect(allFinite(out), `${type} with cutoff noise ${low}…${high}`).toBe(true);
          expect(peak(out), `${type} with cutoff noise ${low}…${high}`).toBeLessThan(100);
        }
        expect(faults(r)).toEqual([]);
      }
    });

    it('stays finite and bounded with its cutoff swept by an audio-rate sine over the whole range', () => {
      const r = make();
      node(r, type, 'f', { [shape]: shapeRange[1] }); // most resonant
      r.s.link(noise(r, 'x', -1, 1), 'f.input');
      r.s.link(lfo(r, 'sweep', 1000, 10000, 10000), 'f.cutoff'); // 0 Hz…20 kHz, a thousand times a second
      const out = r.capture([`f.${output}`], RATE)[0];
      expect(allFinite(out)).toBe(true);
      expect(peak(out)).toBeLessThan(100);
    });

    it('clamps NaN, ±Infinity and absurd values inside a stream block instead of turning them into NaN', () => {
      const blockSize = 128;
      const absurd = [Number.NaN, Infinity, -Infinity, 1e9, -1e9, 0, 1e-30, 3.4e38];
      const cycle = (offset: number) =>
        Float32Array.from({ length: blockSize }, (_, i) => absurd[(i + offset) % absurd.length]);
      const signal = Float32Array.from({ length: blockSize }, (_, i) => Math.sin(i * 0.3));
      const definition = { BiquadFilterNode, StateVariableFilterNode, LadderFilterNode }[type];
      for (const mode of type === 'BiquadFilterNode' ? MODES : [undefined]) {
        const outputs = renderInstance(
          definition,
          {
            input: signal,
            cutoff: cycle(0),
            [shape]: cycle(3),
            gain: cycle(5),
            mode: mode ?? null,
            drive: cycle(6),
          },
          { blocks: 50 },
        );
        for (const [port, out] of Object.entries(outputs)) {
          expect(allFinite(out), `${type} ${mode ?? ''} ${port}`).toBe(true);
          expect(peak(out), `${type} ${mode ?? ''} ${port}`).toBeLessThan(1e4);
        }
      }
    });

    it('renders the same filter on its constant fast path as on its per-sample path', () => {
      const render = (perSample: boolean) => {
        const r = make();
        node(r, type, 'f');
        r.s.link(noise(r, 'x', -0.5, 0.5), 'f.input');
        const settings: Record<string, number> = {
          cutoff: 1234,
          [shape]: shapeRange[0] + 0.6 * (shapeRange[1] - shapeRange[0]),
        };
        for (const [port, value] of Object.entries(settings)) {
          // A DataNode makes a constant stream (fast path); a StreamNode's output is an ordinary stream.
          r.s.addValue(value, `${port}_value`);
          if (perSample) {
            r.s.add('StreamNode', `${port}_stream`);
            r.s.link(`${port}_value.out`, `${port}_stream.data`);
            r.s.link(`${port}_stream.out`, `f.${port}`);
          } else r.s.link(`${port}_value.out`, `f.${port}`);
        }
        return r.capture([`f.${output}`], 8192)[0];
      };
      const fast = render(false);
      const slow = render(true);
      expect(rms(fast)).toBeGreaterThan(0.01);
      let difference = 0;
      for (let i = 0; i < fast.length; i++) difference = Math.max(difference, Math.abs(fast[i] - slow[i]));
      expect(difference).toBeLessThan(1e-6);
    });

    it('does not click when a DataNode moves the cutoff (followed sample by sample)', () => {
      for (const [from, to] of [
        [300, 8000],
        [8000, 300],
      ]) {
        const r = make();
        node(r, type, 'f', { cutoff: from });
        r.s.link(tone(r, 'x', 1000, 0.5), 'f.input');
        const before = r.capture([`f.${output}`], RATE / 2)[0];
        r.s.setValue('f_cutoff', to);
        const after = r.capture([`f.${output}`], RATE / 2)[0];
        // The signal's own largest step, at the louder of its two settled levels.
        const own = Math.max(stepIn(before, RATE / 4, RATE / 2), stepIn(after, RATE / 4, RATE / 2));
        expect(own).toBeGreaterThan(0.005);
        // Opening a filter in 3 ms is a fast attack: it may overshoot a little (a Butterworth step response
        // does), where a click would jump by a good part of the amplitude (0.5 here, ~7× `own`).
        expect(stepIn(after, 0, 2048), `${type} ${from} → ${to} Hz`).toBeLessThan(own * 1.25);
      }
    });
  });
});

describe('BiquadFilterNode changes and bad values', () => {
  it('glides a mode change over 5 ms instead of clicking', () => {
    const r = make();
    node(r, 'BiquadFilterNode', 'f', { cutoff: 1000, mode: 'lowpass' });
    r.s.link(tone(r, 'x', 1000, 0.5), 'f.input');
    const [before, toneBefore] = r.capture(['f.out', 'x.out'], RATE / 4);
    r.s.setValue('f_mode', 'highpass'); // at the cutoff: the same level, the phase turns from −90° to +90°
    const [after, toneAfter] = r.capture(['f.out', 'x.out'], RATE / 4);
    const own = Math.max(stepIn(before, RATE / 8, RATE / 4), stepIn(after, RATE / 8, RATE / 4));
    expect(stepIn(after, 0, 1024)).toBeLessThan(own * 1.1);
    // It did change: correlated with the tone's slope (its +90° copy), lowpass is negative, highpass positive.
    const quadrature = (out: Float32Array, x: Float32Array) => {
      let sum = 0;
      for (let i = 5513; i < RATE / 4 - 1; i++) sum += out[i] * (x[i + 1] - x[i - 1]);
      return sum;
    };
    expect(quadrature(before, toneBefore)).toBeLessThan(0);
    expect(quadrature(after, toneAfter)).toBeGreaterThan(0);
    expect(rms(after.subarray(RATE / 8)) / rms(before.subarray(RATE / 8))).toBeCloseTo(1, 2);
  });

  it('an unknown mode is a warning naming the modes, and the filter keeps its mode', () => {
    const r = make();
    node(r, 'BiquadFilterNode', 'f', { cutoff: 200, mode: 'highpass' });
    r.s.link(tone(r, 'x', 50, 0.5), 'f.input');
    r.capture(['f.out'], 4096);
    r.s.setValue('f_mode', 'lowpas');
    const out = r.capture(['f.out'], RATE / 2)[0];
    const warnings = r.events
      .filter((e) => e.kind === 'warning')
      .map((e) => (e as { message: string }).message);
    expect(
      warnings.some(
        (m) => m.includes('"lowpas"') && m.includes('highshelf') && m.includes('keeping highpass'),
      ),
    ).toBe(true);
    expect(level(out.subarray(RATE / 4), 50)).toBeLessThan(0.5 * 0.1); // still a highpass: 50 Hz is cut
    expect(faults(r)).toEqual([]);
  });

  it('clamps constant absurd values to the documented limits', () => {
    const render = (inputs: Record<string, number | string>) => {
      const r = make();
      node(r, 'BiquadFilterNode', 'f', inputs);
      r.s.link(noise(r, 'x', -0.5, 0.5), 'f.input');
      return r.capture(['f.out'], 4096)[0];
    };
    const same = (a: Float32Array, b: Float32Array, what: string) => {
      let difference = 0;
      for (let i = 0; i < a.length; i++) difference = Math.max(difference, Math.abs(a[i] - b[i]));
      expect(difference, what).toBeLessThan(1e-5);
      expect(allFinite(a), what).toBe(true);
    };
    const peakMode = { mode: 'peak', q: 2, gain: 6, cutoff: 1000 };
    same(render({ ...peakMode, cutoff: 1e9 }), render({ ...peakMode, cutoff: 0.45 * RATE }), 'cutoff 1e9');
    same(render({ ...peakMode, cutoff: -100 }), render({ ...peakMode, cutoff: 10 }), 'cutoff −100');
    same(render({ ...peakMode, cutoff: 0 }), render({ ...peakMode, cutoff: 10 }), 'cutoff 0');
    same(render({ ...peakMode, q: 0 }), render({ ...peakMode, q: 0.1 }), 'q 0');
    same(render({ ...peakMode, q: -3 }), render({ ...peakMode, q: 0.1 }), 'q −3');
    same(render({ ...peakMode, q: 1e9 }), render({ ...peakMode, q: 40 }), 'q 1e9');
    same(render({ ...peakMode, gain: 1e9 }), render({ ...peakMode, gain: 48 }), 'gain 1e9');
    same(render({ ...peakMode, gain: -1e9 }), render({ ...peakMode, gain: -48 }), 'gain −1e9');
  });
});

// ------------------------------------------------------------------------------------- the SVF

/** Frequency (Hz) between `low` and `high` where a falling |H| crosses `target` (bisection on the measurement). */
function crossing(h: Float32Array, target: number, low: number, high: number): number {
  let a = low;
  let b = high;
  for (let i = 0; i < 40; i++) {
    const mid = Math.sqrt(a * b);
    if (responseAt(h, mid, RATE) > target) a = mid;
    else b = mid;
  }
  return Math.sqrt(a * b);
}

describe('StateVariableFilterNode', () => {
  it.each([50, 200, 1000, 5000, 15000])(
    'at resonance 0 the lowpass is −3 dB within 2 %% of the cutoff (%d Hz)',
    (cutoff) => {
      const h = impulseResponse('StateVariableFilterNode', { cutoff }, { port: 'lowpass' });
      const minus3 = crossing(h, Math.SQRT1_2, cutoff / 2, Math.min(cutoff * 2, 0.49 * RATE));
      expect(Math.abs(minus3 / cutoff - 1)).toBeLessThan(0.02);
    },
  );

  it.each([0, 0.5, 0.9, 1])('the bandpass is 0 dB at the cutoff (resonance %d)', (resonance) => {
    const h = impulseResponse('StateVariableFilterNode', { cutoff: 1000, resonance }, { port: 'bandpass' });
    expect(Math.abs(toDb(responseAt(h, 1000, RATE)))).toBeLessThan(0.05);
    expect(toDb(responseAt(h, 500, RATE))).toBeLessThan(-3);
  });

  it.each([
    [0, 300],
    [0.6, 2000],
    [0.95, 8000],
  ])(
    'all four outputs are the bilinear transform of the analog SVF at third-octave points (resonance %d, %d Hz)',
    (resonance, cutoff) => {
      const k = Math.SQRT2 * (1 - 0.999 * Math.fround(resonance)); // 1/Q
      const analog = {
        lowpass: (_w: number) => 1,
        highpass: (w: number) => w * w,
        bandpass: (w: number) => k * w,
        notch: (w: number) => Math.abs(1 - w * w),
      };
      for (const [port, numerator] of Object.entries(analog)) {
        const h = impulseResponse(
          'StateVariableFilterNode',
          { cutoff, resonance },
          { port, frames: 1 << 17 },
        );
        for (const hz of thirdOctaves(20, 20000)) {
          const w = warped(hz, cutoff);
          const expected = toDb(numerator(w) / Math.hypot(1 - w * w, k * w));
          expectCookbookMatch(toDb(responseAt(h, hz, RATE)), expected, `${port} at ${hz.toFixed(0)} Hz`);
        }
      }
    },
  );
});

// ------------------------------------------------------------------------------------- the ladder

describe('LadderFilterNode', () => {
  it('is a 24 dB/octave lowpass: at resonance 0, the bilinear transform of 1/(1 + s)⁴', () => {
    const cutoff = 200;
    const height = 0.01; // small: the saturator stays linear
    const h = impulseResponse('LadderFilterNode', { cutoff }, { height });
    const measured = (hz: number) => toDb(responseAt(h, hz, RATE) / height);
    for (const hz of thirdOctaves(20, 20000)) {
      const expected = -80 * Math.log10(Math.hypot(1, warped(hz, cutoff))); // four poles
      expectCookbookMatch(measured(hz), expected, `${hz.toFixed(0)} Hz`);
    }
    // The slope three octaves above the cutoff, where the asymptote is reached.
    expect(measured(3200) - measured(1600)).toBeCloseTo(-24, 0);
    expect(measured(cutoff)).toBeCloseTo(-12, 1); // four poles, each −3 dB at the cutoff
  });

  it.each([100, 250, 1000, 2500, 5000])(
    'at resonance 0.95 and 1 sustains a sine at its cutoff (%d Hz) from a whisper of input',
    (cutoff) => {
      for (const resonance of [0.95, 1]) {
        const r = make();
        node(r, 'LadderFilterNode', 'f', { cutoff, resonance });
        r.s.link(noise(r, 'whisper', -1e-4, 1e-4), 'f.input'); // −80 dBFS
        const out = r.capture(['f.out'], 3 * RATE)[0];
        const tail = out.subarray(2 * RATE);
        const what = `${cutoff} Hz at resonance ${resonance}`;
        expect(Math.abs(zeroCrossingFrequency(tail, RATE) / cutoff - 1), what).toBeLessThan(0.03);
        expect(rms(tail), what).toBeGreaterThan(0.2); // a sine 70 dB above what came in
        expect(peak(tail), what).toBeLessThan(1);
        // A sine: the fundamental carries most of the energy.
        expect(
          level(tail, zeroCrossingFrequency(tail, RATE)) / (rms(tail) * Math.SQRT2),
          what,
        ).toBeGreaterThan(0.95);
      }
    },
  );

  it('at full resonance oscillates from silence, from its own −160 dB noise floor, as the circuit does', () => {
    const r = make();
    node(r, 'LadderFilterNode', 'f', { cutoff: 1000, resonance: 1 });
    const out = r.capture(['f.out'], RATE)[0];
    expect(Math.abs(zeroCrossingFrequency(out.subarray(RATE / 2), RATE) - 1000)).toBeLessThan(30);
    expect(rms(out.subarray(RATE / 2))).toBeGreaterThan(0.2);
  });

  it('below resonance 0.87 it rings but dies away; with no input it is silent (below −120 dB)', () => {
    const h = impulseResponse('LadderFilterNode', { cutoff: 1000, resonance: 0.8 }, { frames: RATE });
    expect(peak(h.subarray(0, RATE / 10))).toBeGreaterThan(0.05);
    expect(peak(h.subarray(RATE / 2))).toBeLessThan(1e-6);
  });

  it('drive saturates: +24 dB adds odd harmonics yet stays bounded; −24 dB is clean', () => {
    const render = (drive: number) => {
      const r = make();
      node(r, 'LadderFilterNode', 'f', { cutoff: 10000, drive });
      r.s.link(tone(r, 'x', 300, 0.5), 'f.input');
      return r.capture(['f.out'], RATE / 2)[0].subarray(RATE / 4);
    };
    const clean = render(-24);
    const driven = render(24);
    const third = (s: Float32Array) => level(s, 900) / level(s, 300);
    expect(toDb(third(clean))).toBeLessThan(-60);
    expect(toDb(third(driven))).toBeGreaterThan(-20);
    expect(peak(driven)).toBeLessThan(1.5);
    expect(level(clean, 300)).toBeCloseTo(0.5 * 10 ** (-24 / 20), 3);
  });

  it('makes up half the passband loss that resonance causes: DC gain (1 + k/2)/(1 + k), k = 4.6·resonance', () => {
    for (const resonance of [0.25, 0.5, 0.8]) {
      const r = make();
      node(r, 'LadderFilterNode', 'f', { cutoff: 2000, resonance });
      node(r, 'StreamNode', 'dc', { data: 0.01 });
      r.s.link('dc.out', 'f.input');
      const out = r.capture(['f.out'], RATE / 4)[0];
      const k = 4.6 * Math.fround(resonance);
      expect(out[out.length - 1] / 0.01).toBeCloseTo((1 + k / 2) / (1 + k), 4);
    }
  });
});
