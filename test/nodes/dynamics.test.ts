// CompressorNode and DistortionNode measured: the compressor's static curve against the analytic soft
// knee, its attack and release times, sidechain, makeup and Gain Reduction export; the distortion's
// aliasing, latency, comb-free mix, shapes and smoothing; both under absurd audio-rate inputs.

import { describe, expect, it } from 'vitest';
import { fft } from '../../src/dsp/fft.js';
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
const db = (ratio: number) => 20 * Math.log10(ratio);

function faults(r: Rig) {
  return r.events.filter((e) => e.kind === 'fault');
}

/** A constant signal `seconds` long. */
function dc(level: number, seconds: number): Float32Array {
  return new Float32Array(Math.round(seconds * RATE)).fill(level);
}

function concat(...parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** A node of `type` called `name` with constant parameters. */
function addNode(r: Rig, type: string, name: string, params: Record<string, number | string>): void {
  r.s.add(type, name);
  for (const [port, value] of Object.entries(params)) setConstant(r, `${name}.${port}`, value);
}

// ---------------------------------------------------------------------------------------------------
// CompressorNode

/** The analytic static curve: gain reduction (dB ≥ 0) at a peak level x (dBFS). */
function reduction(x: number, threshold: number, ratio: number, knee: number): number {
  const over = x - threshold;
  if (2 * over <= -knee) return 0;
  if (2 * over >= knee) return (1 - 1 / ratio) * over;
  return ((1 - 1 / ratio) * (over + knee / 2) ** 2) / (2 * knee);
}

describe('CompressorNode static curve', () => {
  it.each([
    { threshold: -20, ratio: 4, knee: 6 },
    { threshold: -30, ratio: 10, knee: 12 },
    { threshold: -10, ratio: 2, knee: 0 },
    { threshold: -40, ratio: 100, knee: 24 },
    { threshold: -20, ratio: 1, knee: 6 },
  ])('steady 1 kHz sines from −60 to 0 dBFS follow the soft-knee curve within 0.5 dB: %o', (setting) => {
    const levels: number[] = [];
    for (let level = -60; level <= 0; level += 1.5) levels.push(level);
    // Rising levels, 0.2 s each (attack 5 ms: settled long before the last 0.1 s, where it is measured).
    const segment = Math.round(0.2 * RATE);
    const input = concat(...levels.map((level) => sine(1000, 10 ** (level / 20), segment)));
    const r = make();
    addNode(r, 'CompressorNode', 'comp', { ...setting, attack: 0.005, release: 0.02 });
    r.s.link(play(r, 'tone', input), 'comp.input');
    const [out] = r.capture(['comp.out'], input.length);
    levels.forEach((level, k) => {
      const from = k * segment + segment / 2;
      const gain = db(peakOf(out, from, from + segment / 2) / peakOf(input, from, from + segment / 2));
      const expected = -reduction(level, setting.threshold, setting.ratio, setting.knee);
      expect(
        Math.abs(gain - expected),
        `at ${level} dBFS: ${gain.toFixed(2)} dB, expected ${expected.toFixed(2)}`,
      ).toBeLessThan(0.5);
      // The design is exact for steady sines: hold it to much better than the contract.
      expect(Math.abs(gain - expected), `at ${level} dBFS`).toBeLessThan(0.05);
    });
  });

  it('makeup adds its gain (clamped to +40 dB), below and above the threshold', () => {
    for (const [makeup, expected] of [
      [6, 6],
      [-12, -12],
      [100, 40],
    ]) {
      const r = make();
      addNode(r, 'CompressorNode', 'comp', { makeup });
      const input = concat(sine(1000, 0.001, RATE / 2), sine(1000, 1, RATE / 2)); // −60 dBFS, then 0 dBFS
      r.s.link(play(r, 'tone', input), 'comp.input');
      const [out] = r.capture(['comp.out'], input.length);
      const quiet = db(peakOf(out, RATE / 4, RATE / 2) / 0.001);
      const loud = db(peakOf(out, (3 * RATE) / 4, RATE) / 1);
      expect(quiet).toBeCloseTo(expected, 2);
      expect(loud).toBeCloseTo(expected - reduction(0, -20, 4, 6), 2);
    }
  });
});

describe('CompressorNode timing', () => {
  /**
   * A DC level stepping −40 → 0 → −40 dBFS (threshold −20, ratio 4, knee 6: 0 → 15 → 0 dB of reduction).
   * Returns the frames from each step until the reduction has covered 63 % of its way.
   */
  function stepTimes(attack: number, release: number) {
    const r = make();
    addNode(r, 'CompressorNode', 'comp', { attack, release });
    const up = Math.round(0.3 * RATE);
    const down = up + Math.round(1.5 * RATE);
    const input = concat(dc(0.01, 0.3), dc(1, 1.5), dc(0.01, 3));
    r.s.link(play(r, 'level', input), 'comp.input');
    const [out] = r.capture(['comp.out'], input.length);
    const gr = (i: number) => -db(out[i] / input[i]);
    expect(gr(up - 1)).toBeCloseTo(0, 6);
    expect(gr(down - 1)).toBeCloseTo(15, 3);
    expect(gr(input.length - 1)).toBeLessThan(0.01);
    let i = up;
    while (gr(i) < (1 - Math.exp(-1)) * 15) i++;
    const attackFrames = i - up;
    i = down;
    while (gr(i) > Math.exp(-1) * 15) i++;
    const releaseFrames = i - down;
    // Monotonic: no overshoot on the way.
    for (let j = up + 1; j < down; j++) expect(gr(j)).toBeGreaterThanOrEqual(gr(j - 1) - 1e-6);
    for (let j = down + 1; j < input.length; j++) expect(gr(j)).toBeLessThanOrEqual(gr(j - 1) + 1e-6);
    return { attackFrames, releaseFrames };
  }

  it.each([
    [0.005, 0.05],
    [0.01, 0.1],
    [0.03, 0.3],
  ])(
    'attack %s s: 63 %% of a step’s reduction after `attack`; release %s s: 63 %% of the recovery 10 ms (hold) + `release` after',
    (attack, release) => {
      const { attackFrames, releaseFrames } = stepTimes(attack, release);
      expect(Math.abs(attackFrames - attack * RATE)).toBeLessThanOrEqual(2);
      expect(Math.abs(releaseFrames - (0.01 + release) * RATE)).toBeLessThanOrEqual(2);
    },
  );

  it('attack 0 and release 0 follow the level at once', () => {
    const { attackFrames, releaseFrames } = stepTimes(0, 0);
    expect(attackFrames).toBe(0);
    expect(releaseFrames).toBeLessThanOrEqual(0.01 * RATE + 1);
  });

  it('a hard step of makeup glides: 10 → 90 % in about 2.2 ms, settled within 5 ms', () => {
    const r = make();
    r.s.add('CompressorNode', 'comp');
    const step = Math.round(0.1 * RATE);
    r.s.link(play(r, 'quiet', dc(0.01, 0.3)), 'comp.input'); // below the threshold: no reduction
    r.s.link(play(r, 'makeup', concat(dc(0, 0.1), dc(12, 0.2))), 'comp.makeup');
    const [out] = r.capture(['comp.out'], Math.round(0.3 * RATE));
    const gainDb = (i: number) => db(out[i] / 0.01);
    const crossing = (fraction: number) => {
      let i = step;
      while (gainDb(i) < 12 * fraction) i++;
      return i - step;
    };
    const rise = (crossing(0.9) - crossing(0.1)) / RATE;
    expect(rise).toBeGreaterThan(0.0015);
    expect(rise).toBeLessThan(0.003);
    expect(Math.abs(gainDb(step + Math.round(0.005 * RATE)) - 12)).toBeLessThan(0.12);
  });
});

describe('CompressorNode sidechain and Gain Reduction', () => {
  it('a linked sidechain drives the reduction; unlinked, the input does', () => {
    const r = make();
    r.s.add('CompressorNode', 'comp');
    r.s.link(play(r, 'quiet', sine(1000, 0.01, 3 * RATE)), 'comp.input'); // −40 dBFS
    const key = play(r, 'key', sine(150, 1, 3 * RATE)); // 0 dBFS
    r.s.link(key, 'comp.sidechain');
    const [keyed] = r.capture(['comp.out'], RATE);
    expect(db(peakOf(keyed, RATE / 2) / 0.01)).toBeCloseTo(-reduction(0, -20, 4, 6), 1);
    r.s.unlink(key, 'comp.sidechain');
    const [free] = r.capture(['comp.out'], RATE);
    expect(db(peakOf(free, RATE / 2) / 0.01)).toBeCloseTo(0, 2);
    // The input itself, now loud, compresses itself (unlinked sidechain = input).
    const r2 = make();
    r2.s.add('CompressorNode', 'comp');
    r2.s.link(play(r2, 'loud', sine(1000, 1, 2 * RATE)), 'comp.input');
    const [self] = r2.capture(['comp.out'], RATE);
    expect(db(peakOf(self, RATE / 2))).toBeCloseTo(-reduction(0, -20, 4, 6), 1);
    // A sidechain linked to a constant 0 is a silent key, not "unlinked": the loud input passes untouched.
    setConstant(r2, 'comp.sidechain', 0);
    const [silentKey] = r2.capture(['comp.out'], RATE);
    expect(db(peakOf(silentKey, RATE / 2))).toBeCloseTo(0, 2);
  });

  it('exports Gain Reduction (dB) a few times a second at most, never per block', () => {
    const r = make();
    r.s.add('CompressorNode', 'comp');
    expect(r.s.graph.node('comp').exports).toEqual({ 'Gain Reduction': 0 });
    // A level that keeps moving: 0 dBFS and −6 dBFS alternating every 50 ms, for 2 s; then silence.
    const moving = concat(...Array.from({ length: 40 }, (_, k) => sine(1000, k % 2 ? 0.5 : 1, RATE / 20)));
    r.s.link(play(r, 'tone', concat(moving, dc(0, 1))), 'comp.input');
    r.capture(['comp.out'], 2 * RATE);
    const published = () =>
      r.events
        .filter((e) => e.kind === 'exports' && e.node === 'comp')
        .map((e) => (e as { exports: Record<string, number> }).exports['Gain Reduction']);
    const during = published();
    expect(during.length).toBeGreaterThan(0);
    expect(during.length).toBeLessThanOrEqual(2 / 0.2 + 1); // 689 blocks rendered
    expect(r.s.graph.node('comp').exports['Gain Reduction']).toBeCloseTo(reduction(0, -20, 4, 6), 1);
    r.capture(['comp.out'], RATE);
    expect(r.s.graph.node('comp').exports['Gain Reduction']).toBe(0);
  });
});

describe('value changes do not click', () => {
  /**
   * A 220 Hz tone (faded in) through `type`; `port` jumps from `from` to `to` (a DataNode edit) after
   * 0.5 s. Clickiness before and after, against the usual declick: a 5 ms fade-out from a peak.
   */
  function clicks(type: string, params: Record<string, number>, port: string, from: number, to: number) {
    const r = make();
    addNode(r, type, 'dut', params);
    const signal = sine(220, 0.5, 2 * RATE);
    const fade = Math.round(0.05 * RATE);
    for (let i = 0; i < fade; i++) signal[i] *= 0.5 - 0.5 * Math.cos((Math.PI * i) / fade);
    r.s.link(play(r, 'tone', signal), 'dut.input');
    const holder = setConstant(r, `dut.${port}`, from);
    const [before] = r.capture(['dut.out'], RATE / 2);
    r.s.setValue(holder, to);
    const [after] = r.capture(['dut.out'], RATE / 2);
    const settled = before.subarray(RATE / 4);
    const peak = Math.max(peakOf(settled), peakOf(after));
    return {
      before: clickiness(settled, peak),
      after: clickiness(after, peak),
      yardstick: fadeOutClickiness(220),
    };
  }

  it.each([
    ['threshold', -10, -30],
    ['threshold', -30, -10],
    ['ratio', 2, 20],
    ['knee', 0, 24],
    ['makeup', 0, 12],
    ['makeup', 12, -12],
  ])('CompressorNode %s %s → %s', (port, from, to) => {
    const { before, after, yardstick } = clicks(
      'CompressorNode',
      {},
      port as string,
      from as number,
      to as number,
    );
    expect(before).toBeLessThan(1e-5);
    expect(after).toBeLessThan(yardstick / 2);
  });

  it.each([
    ['drive', 0, 6],
    ['drive', 6, -12],
    ['mix', 1, 0],
  ])('DistortionNode %s %s → %s', (port, from, to) => {
    // Drive +6 dB: the shaped tone is rounder but still smooth, so a click would stand out.
    const { before, after, yardstick } = clicks(
      'DistortionNode',
      { drive: 6 },
      port as string,
      from as number,
      to as number,
    );
    expect(before).toBeLessThan(1e-4);
    expect(after).toBeLessThan(yardstick / 2);
  });
});

describe('CompressorNode under absurd inputs', () => {
  it('every input modulated at audio rate, with NaN, ±Infinity, ±1e30 among the samples: finite and bounded', () => {
    for (const [port, scale] of [
      ['threshold', 100],
      ['ratio', 50],
      ['knee', 50],
      ['attack', 2],
      ['release', 2],
      ['makeup', 100],
      ['sidechain', 10],
      ['input', 10],
    ] as const) {
      const r = make();
      r.s.add('CompressorNode', 'comp');
      r.s.link(play(r, 'tone', sine(440, 0.5, RATE)), 'comp.input');
      r.s.link(play(r, 'wild', absurd(RATE, scale)), `comp.${port}`);
      const [out] = r.capture(['comp.out'], RATE);
      expect(allFinite(out), port).toBe(true);
      expect(peakOf(out), port).toBeLessThan(port === 'input' ? 1e9 : 100);
      expect(faults(r), port).toEqual([]);
    }
  });

  it('values outside the ranges are clamped as documented', () => {
    const render = (params: Record<string, number>) => {
      const r = make();
      addNode(r, 'CompressorNode', 'comp', params);
      r.s.link(play(r, 'tone', concat(sine(1000, 1, RATE / 2), sine(1000, 0.001, RATE / 2))), 'comp.input');
      return r.capture(['comp.out'], RATE)[0];
    };
    const outside = render({ threshold: -200, ratio: 0.5, knee: -3, attack: -1, release: 99, makeup: -90 });
    const limits = render({ threshold: -80, ratio: 1, knee: 0, attack: 0, release: 5, makeup: -24 });
    expect(peakOf(limits)).toBeGreaterThan(0.01);
    expect(largestDifference(outside, limits) / peakOf(limits)).toBeLessThan(1e-5);
  });
});

// ---------------------------------------------------------------------------------------------------
// DistortionNode

const LATENCY = 57;

/** Worst spectral line below 20 kHz that is not a harmonic of `fundamental` (±40 Hz), dB re the fundamental. */
function worstNonHarmonicDb(signal: Float32Array, fundamental: number): number {
  const { magnitudes, binHz } = deepSpectrum(signal);
  let fund = 0;
  let worst = 0;
  for (let i = 1; i < magnitudes.length && i * binHz < 20000; i++) {
    const hz = i * binHz;
    const distance = Math.abs(hz / fundamental - Math.round(hz / fundamental)) * fundamental;
    if (Math.abs(hz - fundamental) < 40) fund = Math.max(fund, magnitudes[i]);
    else if (distance > 40) worst = Math.max(worst, magnitudes[i]);
  }
  return db(worst / fund);
}

describe('DistortionNode anti-aliasing', () => {
  it.each([
    ['tanh', -60],
    ['hardclip', -60],
    ['fold', -40],
  ])(
    '%s: a 5 kHz sine at 0.5 and +24 dB drive has no non-harmonic line below 20 kHz above %s dB',
    (shape, limit) => {
      const r = make();
      addNode(r, 'DistortionNode', 'dist', { drive: 24, shape });
      const frames = 65536 + 4096;
      r.s.link(play(r, 'tone', sine(5000, 0.5, frames)), 'dist.input');
      const [out] = r.capture(['dist.out'], frames);
      const level = worstNonHarmonicDb(out.subarray(4096), 5000);
      expect(level).toBeLessThan(limit as number);
      // It is distorting hard, not passing the sine through: strong odd harmonics.
      const { magnitudes, binHz } = deepSpectrum(out.subarray(4096));
      const at = (hz: number) => magnitudes[Math.round(hz / binHz)];
      expect(db(at(15000) / at(5000))).toBeGreaterThan(-20);
    },
  );
});

describe('DistortionNode latency and mix', () => {
  /** The node's response to a small impulse (linear region: drive 0 dB, tanh). */
  function response(mix: number, frames = 8192) {
    const r = make();
    addNode(r, 'DistortionNode', 'dist', { mix });
    const pulse = new Float32Array(frames);
    pulse[0] = 0.01;
    r.s.link(play(r, 'pulse', pulse), 'dist.input');
    const [out] = r.capture(['dist.out'], frames);
    return { out, exports: r.s.graph.node('dist').exports };
  }

  it('exports Latency, and the wet signal arrives exactly that late; mix 0 is the dry signal that late', () => {
    const { out: wet, exports } = response(1);
    expect(exports.Latency).toBe(LATENCY);
    let peakAt = 0;
    for (let i = 0; i < wet.length; i++) if (Math.abs(wet[i]) > Math.abs(wet[peakAt])) peakAt = i;
    expect(peakAt).toBe(LATENCY);
    const { out: dry } = response(0);
    expect(dry[LATENCY]).toBe(Math.fround(0.01));
    expect(peakOf(dry, 0, LATENCY)).toBe(0);
    expect(peakOf(dry, LATENCY + 1)).toBe(0);
  });

  it('mix 0.5 does not comb: flat within 0.1 dB from 20 Hz to 18 kHz (and so is the wet path alone)', () => {
    for (const [mix, tolerance] of [
      [0.5, 0.1],
      [1, 0.2], // the wet path alone: −0.13 dB at 18 kHz (ADAA's half-sample average, the filters' edge)
    ]) {
      const { out } = response(mix);
      const n = out.length;
      const re = Float64Array.from(out, (x) => x / 0.01);
      const im = new Float64Array(n);
      fft(re, im);
      let worst = 0;
      let worstHz = 0;
      for (let i = 1; i < n / 2; i++) {
        const hz = (i * RATE) / n;
        if (hz < 20 || hz > 18000) continue;
        const level = Math.abs(db(Math.hypot(re[i], im[i])));
        if (level > worst) {
          worst = level;
          worstHz = hz;
        }
      }
      expect(worst, `mix ${mix}: worst ${worst.toFixed(3)} dB at ${worstHz.toFixed(0)} Hz`).toBeLessThan(
        tolerance,
      );
    }
  });

  it('a hard step of mix glides: 10 → 90 % in about 2.2 ms', () => {
    const r = make();
    r.s.add('DistortionNode', 'dist');
    setConstant(r, 'dist.drive', 24);
    r.s.link(play(r, 'level', dc(0.5, 0.3)), 'dist.input'); // wet ≈ tanh(7.9) ≈ 1, dry 0.5
    const step = Math.round(0.1 * RATE);
    r.s.link(play(r, 'mix', concat(dc(0, 0.1), dc(1, 0.2))), 'dist.mix');
    const [out] = r.capture(['dist.out'], Math.round(0.3 * RATE));
    const wet = out[out.length - 1];
    const mixAt = (i: number) => (out[i] - 0.5) / (wet - 0.5);
    const crossing = (fraction: number) => {
      let i = step;
      while (mixAt(i) < fraction) i++;
      return i - step;
    };
    const rise = (crossing(0.9) - crossing(0.1)) / RATE;
    expect(rise).toBeGreaterThan(0.0015);
    expect(rise).toBeLessThan(0.003);
  });
});

describe('DistortionNode shapes', () => {
  it('each curve: tanh saturates smoothly, hardclip clips at ±1, fold reflects from ±1', () => {
    const level = (shape: string, amplitude: number, drive: number) => {
      const r = make();
      addNode(r, 'DistortionNode', 'dist', { shape, drive });
      r.s.link(play(r, 'tone', sine(100, amplitude, RATE / 2)), 'dist.input');
      return peakOf(r.capture(['dist.out'], RATE / 2)[0], RATE / 4);
    };
    expect(level('tanh', 0.5, 0)).toBeCloseTo(Math.tanh(0.5), 3);
    expect(level('tanh', 0.5, 12)).toBeCloseTo(Math.tanh(0.5 * 10 ** 0.6), 2);
    expect(level('hardclip', 0.5, 0)).toBeCloseTo(0.5, 3);
    expect(level('hardclip', 0.5, 12)).toBeCloseTo(1, 2);
    expect(level('fold', 0.5, 0)).toBeCloseTo(0.5, 3);
    expect(level('fold', 0.5, 12)).toBeCloseTo(1, 1); // 2 folds: every peak of the triangle reaches 1
  });

  it('an unknown shape warns and plays tanh', () => {
    const render = (shape: string | number) => {
      const r = make();
      addNode(r, 'DistortionNode', 'dist', { shape, drive: 12 });
      r.s.link(play(r, 'tone', sine(220, 0.5, RATE / 4)), 'dist.input');
      return {
        out: r.capture(['dist.out'], RATE / 4)[0],
        warnings: r.events.filter((e) => e.kind === 'warning'),
      };
    };
    const tanh = render('tanh');
    expect(tanh.warnings).toEqual([]);
    for (const shape of ['fuzz', 3]) {
      const unknown = render(shape);
      expect(unknown.warnings).toHaveLength(1);
      expect((unknown.warnings[0] as { message: string }).message).toMatch(new RegExp(`${shape}.*tanh`));
      expect(largestDifference(unknown.out, tanh.out)).toBe(0);
    }
  });

  it('changing the shape while playing crossfades (no click), then plays the new curve', () => {
    const run = (to: string) => {
      const r = make();
      addNode(r, 'DistortionNode', 'dist', { drive: 0 });
      const holder = setConstant(r, 'dist.shape', 'tanh');
      r.s.link(play(r, 'tone', sine(200, 0.8, 2 * RATE)), 'dist.input');
      const [before] = r.capture(['dist.out'], RATE / 2);
      r.s.setValue(holder, to);
      const [after] = r.capture(['dist.out'], RATE / 2);
      return { before, after };
    };
    const { before, after } = run('hardclip'); // at 0.8, hardclip passes the sine; tanh gives 0.66
    expect(peakOf(before, RATE / 4)).toBeCloseTo(Math.tanh(0.8), 2);
    expect(peakOf(after, RATE / 4)).toBeCloseTo(0.8, 2);
    // A switch without the fade would jump by up to 0.14 at once; the fade is smoother than the usual
    // declick (a 5 ms linear fade-out of the tone).
    expect(clickiness(before.subarray(RATE / 4), 0.8)).toBeLessThan(1e-5);
    expect(clickiness(after, 0.8)).toBeLessThan(fadeOutClickiness(200) / 2);
  });
});

describe('DistortionNode under absurd inputs', () => {
  it('every input modulated at audio rate, with NaN, ±Infinity, ±1e30 among the samples: finite and bounded', () => {
    for (const [port, scale] of [
      ['drive', 100],
      ['mix', 3],
      ['input', 10],
    ] as const) {
      for (const shape of ['tanh', 'hardclip', 'fold']) {
        const r = make();
        addNode(r, 'DistortionNode', 'dist', { shape, drive: 12 });
        r.s.link(play(r, 'tone', sine(440, 0.5, RATE / 2)), 'dist.input');
        r.s.link(play(r, 'wild', absurd(RATE / 2, scale)), `dist.${port}`);
        const [out] = r.capture(['dist.out'], RATE / 2);
        expect(allFinite(out), `${port} ${shape}`).toBe(true);
        // The shaped signal stays within ±1; band-limiting it (the decimation filter) can overshoot that
        // for noise-like signals (a wild drive); only a wild dry part goes further (inputs clip at ±1e6).
        expect(peakOf(out), `${port} ${shape}`).toBeLessThan(port === 'input' ? 2e6 : 2);
        expect(faults(r), port).toEqual([]);
      }
    }
  });

  it('drive outside −24…+48 dB is clamped', () => {
    const render = (drive: number) => {
      const r = make();
      addNode(r, 'DistortionNode', 'dist', { drive });
      r.s.link(play(r, 'tone', sine(100, 0.5, RATE / 4)), 'dist.input');
      return r.capture(['dist.out'], RATE / 4)[0];
    };
    expect(largestDifference(render(-100), render(-24))).toBeLessThan(1e-7);
    expect(largestDifference(render(200), render(48))).toBeLessThan(1e-7);
    expect(rms(render(-24))).toBeGreaterThan(0.01);
  });
});

// ---------------------------------------------------------------------------------------------------

/** Noise of ±scale with NaN, ±1e30, ±Infinity and a negative value in the middle of blocks. */
function absurd(frames: number, scale: number): Float32Array {
  const signal = noise(frames, scale, 99);
  const specials = [Number.NaN, 1e30, -1e30, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -5];
  for (let i = 37; i < frames; i += 128) signal[i] = specials[(i >> 7) % specials.length];
  return signal;
}

function largestDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}
