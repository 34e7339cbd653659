// Filters measured against their analytic responses: the biquad against the RBJ audio-EQ cookbook's digital
// responses, the SVF's −3 dB point and bandpass gain, the ladder's slope and self-oscillation; and all of
// them under audio-rate and absurd parameters, and across value changes (no clicks).

import { describe, expect, it } from 'vitest';
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
import { node, RATE, type Rig, rigsCleanedAfterEachTest } from './render.js';

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

const SETTINGS = [
  { cutoff: 100, q: 0.7071, gain: 6 },
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
    const low = impulseResponse('BiquadFilterNode', { cutoff: 500, q: 0.7071, gain: 12, mode: 'lowshelf' });
    const high = impulseResponse('BiquadFilterNode', { cutoff: 500, q: 0.7071, gain: 12, mode: 'highshelf' });
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
