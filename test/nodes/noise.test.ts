// NoiseNode: each colour's spectral slope from averaged (Welch) spectra, its RMS against uniform white
// noise of the same amplitude, determinism per name, colour changes and bad colours.

import { describe, expect, it } from 'vitest';
import { parallelForm } from '../../src/nodes/sources/noise-node.js';
import { allFinite, peak, rms, spectralSlope, welch } from '../helpers/analysis.js';
import { node, RATE, type Rig, rigsCleanedAfterEachTest } from './render.js';

const make = rigsCleanedAfterEachTest();

/** RMS of uniform noise in ±amplitude. */
const uniformRms = (amplitude: number) => amplitude / Math.sqrt(3);

function noise(r: Rig, name: string, color: string, amplitude: number, seconds: number): Float32Array {
  node(r, 'NoiseNode', name, { color, amplitude });
  return r.capture([`${name}.out`], Math.round(seconds * RATE))[0];
}

/**
 * The largest deviation (dB) of third-octave band levels from 40 Hz to 16 kHz from a line of the given
 * slope (its offset fitted), and the fitted slope itself.
 */
function slopeFit(signal: Float32Array, idealDbPerOctave: number, sampleRate = RATE) {
  const { power, binHz } = welch(signal, sampleRate, 16384);
  const { slopeDbPerOctave, bands } = spectralSlope(power, binHz, 40, 16000);
  const residuals = bands.map((b) => b.db - idealDbPerOctave * Math.log2(b.hz));
  const offset = residuals.reduce((a, b) => a + b, 0) / residuals.length;
  const worst = Math.max(...residuals.map((x) => Math.abs(x - offset)));
  return { slope: slopeDbPerOctave, worst };
}

describe('NoiseNode', () => {
  // 30 s each: third-octave bands of a 30 s Welch average scatter by about ±0.3 dB at 40 Hz.
  it.each([
    ['white', 0],
    ['pink', -3.0103],
    ['brown', -6.0206],
  ])('%s: %d dB per octave within ±1 dB from 40 Hz to 16 kHz, RMS amplitude/√3', (color, ideal) => {
    const r = make();
    const out = noise(r, 'n', color as string, 0.5, 30);
    expect(allFinite(out)).toBe(true);
    const { slope, worst } = slopeFit(out, ideal as number);
    expect(Math.abs(slope - (ideal as number)), `fitted slope ${slope.toFixed(3)} dB/octave`).toBeLessThan(
      0.15,
    );
    expect(worst, 'largest band deviation from the ideal slope (dB)').toBeLessThan(1);
    expect(rms(out) / uniformRms(0.5)).toBeCloseTo(1, 1); // within 5 %
    expect(Math.abs(rms(out) / uniformRms(0.5) - 1)).toBeLessThan(0.03);
    let sum = 0;
    for (const x of out) sum += x;
    expect(Math.abs(sum / out.length)).toBeLessThan(0.01); // no DC
  });

  it('white noise is uniform within ±amplitude (histogram of ten bins within 2 % of flat)', () => {
    const r = make();
    const out = noise(r, 'n', 'white', 0.8, 4);
    expect(peak(out)).toBeLessThanOrEqual(0.8);
    const bins = new Array(10).fill(0);
    for (const x of out) bins[Math.min(9, Math.floor(((x / 0.8 + 1) / 2) * 10))]++;
    for (const count of bins) expect(Math.abs(count / (out.length / 10) - 1)).toBeLessThan(0.02);
  });

  it('keeps its slope at 48 kHz and 96 kHz (the filters are fitted to the rate)', () => {
    for (const sampleRate of [48000, 96000]) {
      for (const [color, ideal] of [
        ['pink', -3.0103],
        ['brown', -6.0206],
      ] as const) {
        const r = make(128, { sampleRate });
        node(r, 'NoiseNode', 'n', { color });
        const out = r.capture(['n.out'], sampleRate * 20)[0];
        const { worst } = slopeFit(out, ideal, sampleRate);
        expect(worst, `${color} at ${sampleRate} Hz`).toBeLessThan(1);
        expect(Math.abs(rms(out) / uniformRms(1) - 1), `${color} RMS at ${sampleRate} Hz`).toBeLessThan(0.04);
      }
    }
  });

  it('is deterministic per node name: the same name gives the same samples, two names unrelated ones', () => {
    const first = noise(make(), 'hiss', 'pink', 1, 0.5);
    const again = noise(make(), 'hiss', 'pink', 1, 0.5);
    expect(again).toEqual(first);
    const r = make();
    node(r, 'NoiseNode', 'a', { color: 'pink' });
    node(r, 'NoiseNode', 'b', { color: 'pink' });
    const [a, b] = r.capture(['a.out', 'b.out'], RATE);
    expect(a).not.toEqual(b);
    let ab = 0;
    for (let i = 0; i < a.length; i++) ab += a[i] * b[i];
    const correlation = ab / a.length / (rms(a) * rms(b));
    expect(Math.abs(correlation)).toBeLessThan(0.05);
    // Not the UniformRandomNode of the same name either.
    const uniform = make();
    node(uniform, 'UniformRandomNode', 'hiss');
    const white = make();
    node(white, 'NoiseNode', 'hiss');
    expect(white.capture(['hiss.out'], 256)[0]).not.toEqual(uniform.capture(['hiss.out'], 256)[0]);
  });

  it('an unknown colour is a warning and white noise, not a fault', () => {
    const r = make();
    const out = noise(r, 'n', 'purple', 1, 10);
    expect(r.events.filter((e) => e.kind === 'fault')).toEqual([]);
    const warnings = r.events
      .filter((e) => e.kind === 'warning')
      .map((e) => (e as { message: string }).message);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/"purple".*white, pink, brown.*white/);
    expect(Math.abs(slopeFit(out, 0).slope)).toBeLessThan(0.15);
    expect(Math.abs(rms(out) / uniformRms(1) - 1)).toBeLessThan(0.02);
  });

  it('accepts colours in any case and with spaces; a number is a warning too', () => {
    const r = make();
    const out = noise(r, 'n', ' Brown ', 1, 10);
    expect(r.events.filter((e) => e.kind === 'warning')).toEqual([]);
    expect(Math.abs(slopeFit(out, -6.0206).slope + 6.0206)).toBeLessThan(0.3);
    const numeric = make();
    node(numeric, 'NoiseNode', 'n', { color: 3 as unknown as string });
    numeric.capture(['n.out'], 1024);
    expect(numeric.events.filter((e) => e.kind === 'warning')).toHaveLength(1);
  });

  it('a colour change crossfades: no burst and no dropout in the level around it', () => {
    // Pink and white are wide-band: their level in 2 ms windows right after a change stays within the
    // spread that 2 ms windows of steady pink noise show anyway (0.5…2.1 of its RMS).
    const r = make();
    node(r, 'NoiseNode', 'n', { color: 'pink' });
    const level = rms(r.capture(['n.out'], RATE)[0]);
    for (const color of ['white', 'pink']) {
      r.s.setValue('n_color', color);
      const after = r.capture(['n.out'], 0.03 * RATE)[0];
      for (let start = 0; start + 88 <= after.length; start += 88) {
        const window = rms(after.subarray(start, start + 88)) / level;
        expect(window, `${color}, ${start} frames after the change`).toBeGreaterThan(0.4);
        expect(window, `${color}, ${start} frames after the change`).toBeLessThan(2.5);
      }
    }
  });

  it('a new colour is at its level from the start (its filter is warmed up, not filled from silence)', () => {
    // Brown noise lives below 100 Hz: one node's level over a few ms says little, so this averages the
    // power of 200 nodes (200 seeds) at the same moments: 5–15 ms after all change from white to brown,
    // against 0.25–0.5 s after. From a cold filter that ratio is about 0.6 (its 10 Hz pole still filling).
    const r = make();
    const names = Array.from({ length: 200 }, (_, k) => `n${k}`);
    r.s.transaction(() => {
      for (const name of names) node(r, 'NoiseNode', name, { color: 'white' });
    });
    r.capture([], 0.1 * RATE);
    r.s.transaction(() => {
      for (const name of names) r.s.setValue(`${name}_color`, 'brown');
    });
    const outs = r.capture(
      names.map((name) => `${name}.out`),
      0.5 * RATE,
    );
    const ensemblePower = (fromSeconds: number, toSeconds: number) => {
      const from = Math.round(fromSeconds * RATE);
      const to = Math.round(toSeconds * RATE);
      let power = 0;
      for (const out of outs) for (let i = from; i < to; i++) power += out[i] * out[i];
      return power / (outs.length * (to - from));
    };
    const ratio = ensemblePower(0.005, 0.015) / ensemblePower(0.25, 0.5);
    expect(ratio).toBeGreaterThan(0.8);
    expect(ratio).toBeLessThan(1.25);
  });

  it('follows amplitude as a stream: 0 is silence, a ramp scales it, negative flips the sign', () => {
    const r = make();
    node(r, 'NoiseNode', 'n', { amplitude: 0 });
    expect(peak(r.capture(['n.out'], 4096)[0])).toBe(0);
    node(r, 'SineNode', 'lfo', { frequency: 2 });
    node(r, 'NoiseNode', 'm');
    r.s.link('lfo.out', 'm.amplitude');
    const modulated = r.capture(['m.out'], RATE / 2)[0];
    // Loud at the sine's crest (a quarter second in), quiet near its zero crossings.
    const crest = rms(modulated.subarray(RATE / 8 - 441, RATE / 8 + 441));
    const trough = rms(modulated.subarray(0, 100));
    expect(crest).toBeGreaterThan(0.5);
    expect(trough).toBeLessThan(0.05);
  });

  it.each([1e30, -1e30, 1e38])(
    'an amplitude of %d stays finite (held within the float32 range)',
    (amplitude) => {
      const r = make();
      for (const color of ['white', 'pink', 'brown']) node(r, 'NoiseNode', color, { color, amplitude });
      const outs = r.capture(['white.out', 'pink.out', 'brown.out'], 8192);
      for (const out of outs) expect(allFinite(out)).toBe(true);
      expect(r.events.filter((e) => e.kind === 'fault')).toEqual([]);
    },
  );

  it('runs its pink filter in parallel form: the same impulse response as the cascade it comes from', () => {
    const rate = 44100;
    const poles = Float64Array.from([10, 31.6, 100, 316, 1000, 3162, 10000], (hz) =>
      Math.exp((-2 * Math.PI * hz) / rate),
    );
    const zeros = Float64Array.from([17.8, 56.2, 178, 562, 1778, 5623, 17783], (hz) =>
      Math.exp((-2 * Math.PI * hz) / rate),
    );
    const c = 0.08;
    const parallel = parallelForm(poles, zeros, c, 1);
    const cascade = new Float64Array(poles.length + 1);
    const states = new Float64Array(poles.length);
    let previousWhite = 0;
    let worst = 0;
    for (let n = 0; n < 20000; n++) {
      const white = n === 0 ? 1 : 0;
      // Cascade: each section y = x − z·x[n−1] + p·y[n−1], then y + c·y[n−1].
      let x = white;
      let previous = cascade[0];
      cascade[0] = x;
      for (let k = 0; k < poles.length; k++) {
        const y = x - zeros[k] * previous + poles[k] * cascade[k + 1];
        previous = cascade[k + 1];
        cascade[k + 1] = y;
        x = y;
      }
      const fromCascade = x + c * previous;
      let fromParallel = parallel.pinkDirect * white + parallel.pinkDelayed * previousWhite;
      previousWhite = white;
      for (let k = 0; k < poles.length; k++) {
        states[k] = parallel.pinkPoles[k] * states[k] + parallel.pinkResidues[k] * white;
        fromParallel += states[k];
      }
      worst = Math.max(worst, Math.abs(fromCascade - fromParallel));
    }
    expect(worst).toBeLessThan(1e-12);
  });
});
