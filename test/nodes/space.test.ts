// ReverbNode measured: RT60 from the impulse response (Schroeder), left/right decorrelation, damping,
// the dry/wet mix, clicks when parameters move, absurd values, and tails that end in exact zeros.

import { describe, expect, it } from 'vitest';
import { allFinite, rms } from '../helpers/analysis.js';
import { RATE, type Rig } from './render.js';
import {
  clickiness,
  deepSpectrum,
  fadeOutClickiness,
  noise,
  peakOf,
  play,
  setConstant,
  signalRigsCleanedAfterEachTest,
  sine,
} from './signal-rig.js';

const make = signalRigsCleanedAfterEachTest();

function impulse(amplitude = 1): Float32Array {
  return Float32Array.of(amplitude);
}

/** A ReverbNode `verb` with constant parameters, fed by the given sources (output ports). */
function reverb(r: Rig, params: Record<string, number>, left?: string, right?: string): void {
  r.s.add('ReverbNode', 'verb');
  for (const [port, value] of Object.entries(params)) setConstant(r, `verb.${port}`, value);
  if (left) r.s.link(left, 'verb.inputLeft');
  if (right) r.s.link(right, 'verb.inputRight');
}

/** Impulse response of `verb` (the impulse into both inputs, or the left only), `seconds` long. */
function impulseResponse(r: Rig, params: Record<string, number>, seconds: number, mono = true) {
  const source = play(r, 'pulse', impulse());
  reverb(r, params, source, mono ? source : undefined);
  const [left, right] = r.capture(['verb.left', 'verb.right'], Math.round(seconds * RATE));
  return { left, right };
}

/**
 * RT60 by Schroeder backward integration: the energy decay curve in dB, a least-squares line fitted
 * between −5 and −35 dB, extrapolated to −60 dB. Seconds.
 */
function schroederRt60(ir: Float32Array): number {
  const edc = new Float64Array(ir.length);
  let sum = 0;
  for (let i = ir.length - 1; i >= 0; i--) {
    sum += ir[i] * ir[i];
    edc[i] = sum;
  }
  const db = (i: number) => 10 * Math.log10(edc[i] / edc[0]);
  let from = 0;
  while (db(from) > -5) from++;
  let to = from;
  while (to < ir.length - 1 && db(to) > -35) to++;
  expect(db(to), 'the response reaches −35 dB within the capture').toBeLessThanOrEqual(-35);
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  const count = to - from + 1;
  for (let i = from; i <= to; i++) {
    const y = db(i);
    sx += i;
    sy += y;
    sxx += i * i;
    sxy += i * y;
  }
  const slope = (count * sxy - sx * sy) / (count * sxx - sx * sx); // dB per frame
  return -60 / slope / RATE;
}

function largestDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

function correlation(a: Float32Array, b: Float32Array, from: number, to: number): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = from; i < to; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb);
}

/** Share (dB) of a segment's energy above `hz`. */
function highShareDb(signal: Float32Array, from: number, hz: number): number {
  const { magnitudes, binHz } = deepSpectrum(signal.subarray(from, from + 8192));
  let high = 0;
  let total = 0;
  for (let i = 1; i < magnitudes.length; i++) {
    const energy = magnitudes[i] * magnitudes[i];
    total += energy;
    if (i * binHz >= hz) high += energy;
  }
  return 10 * Math.log10(high / total);
}

describe('ReverbNode decay', () => {
  it.each([0.5, 2, 8])(
    'RT60 of the impulse response (Schroeder, −5…−35 dB) is %s s within 20 percent at damping 0',
    (decay) => {
      const r = make();
      const { left, right } = impulseResponse(r, { decay, damping: 0, mix: 1 }, decay + 0.3);
      for (const ir of [left, right]) {
        const rt60 = schroederRt60(ir);
        expect(rt60 / decay).toBeGreaterThan(0.8);
        expect(rt60 / decay).toBeLessThan(1.2);
        // The design is exact for a lossless mix: hold it to much better than the contract.
        expect(Math.abs(rt60 / decay - 1)).toBeLessThan(0.03);
      }
    },
  );

  it.each([0, 1])('keeps the RT60 at size %s (the decay formula follows the line lengths)', (size) => {
    const r = make();
    const { left } = impulseResponse(r, { decay: 2, damping: 0, mix: 1, size }, 2.3);
    expect(Math.abs(schroederRt60(left) / 2 - 1)).toBeLessThan(0.05);
  });

  it('damping makes the highs die sooner: the late tail darkens at damping 1, not at damping 0', () => {
    const share = (damping: number) => {
      const r = make();
      const { left } = impulseResponse(r, { decay: 2, damping, mix: 1 }, 1.6);
      return {
        early: highShareDb(left, Math.round(0.05 * RATE), 4000),
        late: highShareDb(left, Math.round(1.2 * RATE), 4000),
      };
    };
    const bright = share(0);
    const dark = share(1);
    expect(Math.abs(bright.late - bright.early)).toBeLessThan(3);
    expect(dark.late - dark.early).toBeLessThan(-15);
    // And the broadband RT60 shortens (the highs' share of the energy goes first).
    const r = make();
    const { left } = impulseResponse(r, { decay: 2, damping: 1, mix: 1 }, 2.3);
    expect(schroederRt60(left)).toBeLessThan(1.9);
  });

  it('a tail dies away to exact zeros, never through subnormal floats (no denormal slow-down by design)', () => {
    const r = make();
    const { left, right } = impulseResponse(r, { decay: 0.5, damping: 0.5, mix: 1 }, 30);
    let subnormal = 0;
    for (const channel of [left, right])
      for (const x of channel) if (x !== 0 && Math.abs(x) < 1.2e-38) subnormal++;
    expect(subnormal).toBe(0);
    // 0.5 s RT60: after 10 s the tail would be at −1200 dB; it is flushed to zero long before.
    const late = left.subarray(10 * RATE);
    expect(late.every((x) => x === 0)).toBe(true);
    expect(right.subarray(10 * RATE).every((x) => x === 0)).toBe(true);
  });
});

describe('ReverbNode stereo', () => {
  it('left and right tails correlate below 0.5 in magnitude, for a mono source and for the left alone', () => {
    for (const mono of [true, false]) {
      const r = make();
      const { left, right } = impulseResponse(r, { decay: 2, damping: 0.5, mix: 1 }, 2, mono);
      const rho = correlation(left, right, Math.round(0.02 * RATE), left.length);
      expect(Math.abs(rho), mono ? 'mono source' : 'left only').toBeLessThan(0.5);
      // Both sides carry the tail.
      expect(rms(right) / rms(left)).toBeGreaterThan(0.7);
      expect(rms(right) / rms(left)).toBeLessThan(1.4);
    }
  });

  it('also for a long (8 s) and a short (0.5 s) decay, over the whole response', () => {
    for (const decay of [0.5, 8]) {
      const r = make();
      const { left, right } = impulseResponse(r, { decay, damping: 0, mix: 1 }, Math.min(decay, 3));
      expect(Math.abs(correlation(left, right, 0, left.length)), `decay ${decay}`).toBeLessThan(0.5);
    }
  });
});

describe('ReverbNode mix', () => {
  it('mix 0 passes the inputs through unchanged; mix 1 has no dry part; mix 0.5 half of each', () => {
    const input = noise(RATE / 2, 0.5);
    const run = (mix: number) => {
      const r = make();
      const left = play(r, 'noise', input);
      reverb(r, { mix, decay: 1 }, left, left);
      return r.capture(['verb.left', 'verb.right'], input.length);
    };
    const [dryLeft, dryRight] = run(0);
    expect(largestDifference(dryLeft, input)).toBe(0);
    expect(largestDifference(dryRight, input)).toBe(0);
    // Wet only: nothing comes out before the shortest line's first echo.
    const [wetLeft] = run(1);
    expect(wetLeft.subarray(0, 16).every((x) => x === 0)).toBe(true);
    expect(rms(wetLeft)).toBeGreaterThan(0.05);
    const [halfLeft] = run(0.5);
    for (let i = 0; i < input.length; i += 997)
      expect(halfLeft[i]).toBeCloseTo(0.5 * input[i] + 0.5 * wetLeft[i], 5);
  });

  it('the wet level stays within 3 dB across sizes (longer lines are level-matched)', () => {
    const level = (size: number) => {
      const r = make();
      const left = play(r, 'noise', noise(RATE, 0.5));
      reverb(r, { mix: 1, decay: 2, size }, left, left);
      const [out] = r.capture(['verb.left'], RATE);
      return rms(out.subarray(RATE / 2));
    };
    const reference = level(0.7);
    for (const size of [0, 0.3, 1])
      expect(Math.abs(20 * Math.log10(level(size) / reference)), `size ${size}`).toBeLessThan(3);
  });
});

describe('ReverbNode parameter changes', () => {
  const yardstick = fadeOutClickiness(220);

  /** A 220 Hz tone into the reverb; `port` jumps from `from` to `to` at 1 s: clickiness before and after. */
  function clicks(port: string, from: number, to: number, mix: number) {
    const r = make();
    // Faded in over 50 ms: an abrupt start is itself a click, and the reverb would ring with it.
    const signal = sine(220, 0.5, 4 * RATE);
    const fade = Math.round(0.05 * RATE);
    for (let i = 0; i < fade; i++) signal[i] *= 0.5 - 0.5 * Math.cos((Math.PI * i) / fade);
    const tone = play(r, 'tone', signal);
    reverb(r, { mix, decay: 2, damping: 0.3, size: 0.5 }, tone, tone);
    const holder = setConstant(r, `verb.${port}`, from);
    const [before] = r.capture(['verb.left'], RATE);
    r.s.setValue(holder, to);
    const [after] = r.capture(['verb.left'], 2 * RATE);
    const settled = before.subarray(RATE / 2);
    const peak = Math.max(peakOf(settled), peakOf(after));
    return { before: clickiness(settled, peak), after: clickiness(after, peak), level: rms(after) };
  }

  it.each([
    ['size', 0.2, 1],
    ['size', 1, 0],
    ['decay', 0.5, 8],
    ['decay', 8, 0.1],
    ['damping', 0, 1],
    ['mix', 0, 1],
  ])('%s %s → %s does not click (the output stays as smooth as a 220 Hz tone)', (port, from, to) => {
    const { before, after, level } = clicks(
      port as string,
      from as number,
      to as number,
      port === 'mix' ? 0.5 : 1,
    );
    expect(level).toBeGreaterThan(0.005); // still sounding
    expect(before).toBeLessThan(1e-5); // a clean tone scores ~1e-6
    // The yardstick: the usual declick, a 5 ms linear fade-out of the same tone, scores ~1e-2 (a 1 % step
    // ~3e-2). A change must be at least twice as smooth as that.
    expect(after).toBeLessThan(yardstick / 2);
  });

  it('a parameter modulated at audio rate, with absurd values among the samples, stays finite and bounded', () => {
    const absurd = (frames: number, scale: number) => {
      const signal = noise(frames, scale, 99);
      for (let i = 37; i < frames; i += 128)
        signal[i] = [Number.NaN, 1e30, -1e30, Infinity, -Infinity, -5][(i >> 7) % 6];
      return signal;
    };
    for (const [port, scale] of [
      ['decay', 10],
      ['damping', 2],
      ['size', 2],
      ['mix', 2],
      ['inputLeft', 3],
    ] as const) {
      const r = make();
      const tone = play(r, 'tone', sine(330, 0.5, RATE));
      reverb(r, {}, tone, tone);
      r.s.link(play(r, 'wild', absurd(RATE, scale)), `verb.${port}`);
      const [left, right] = r.capture(['verb.left', 'verb.right'], RATE);
      expect(allFinite(left) && allFinite(right), port).toBe(true);
      const bound = port === 'inputLeft' ? 1e8 : 100;
      expect(Math.max(...left.map(Math.abs), ...right.map(Math.abs)), port).toBeLessThan(bound);
      expect(
        r.events.filter((e) => e.kind === 'fault'),
        port,
      ).toEqual([]);
    }
  });

  it('values outside the ranges are clamped as documented (a text value reads 0)', () => {
    // decay −3 → 0.1 s (the minimum), size 5 → 1, damping −1 → 0, mix "loud" (a string: 0) → dry only.
    // (Within float32 rounding: 0.1 in a stream buffer is 0.100000001.)
    for (const [outside, limits] of [
      [
        { decay: -3, size: 5, damping: -1 },
        { decay: 0.1, size: 1, damping: 0 },
      ],
      [
        { decay: 100, size: -2, damping: 7 },
        { decay: 60, size: 0, damping: 1 },
      ],
    ]) {
      const clamped = impulseResponse(make(), { ...outside, mix: 1 }, 0.5);
      const expected = impulseResponse(make(), { ...limits, mix: 1 }, 0.5);
      expect(rms(expected.left)).toBeGreaterThan(1e-5);
      expect(largestDifference(clamped.left, expected.left) / peakOf(expected.left)).toBeLessThan(1e-5);
    }
    const r = make();
    const tone = play(r, 'tone', sine(330, 0.5, RATE / 4));
    reverb(r, {}, tone, tone);
    setConstant(r, 'verb.mix', 'loud');
    const [out] = r.capture(['verb.left'], RATE / 4);
    expect(largestDifference(out, sine(330, 0.5, RATE / 4))).toBe(0);
  });
});
