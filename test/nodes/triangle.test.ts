// TriangleNode: band-limited (aliasing measured on the spectrum, as for square and saw), shape and phase
// against the ideal triangle, phase continuity, frequency changes, and hostile frequencies.

import { describe, expect, it } from 'vitest';
import { BLEP_DELAY } from '../../src/nodes/oscillators/blep.js';
import { allFinite, maxStep, peak, rms, spectrum, zeroCrossingFrequency } from '../helpers/analysis.js';
import { aliasingDb, node, RATE, rigsCleanedAfterEachTest, SpecialValuesNode } from './render.js';

const make = rigsCleanedAfterEachTest();

/** Skip the first frames: the band-limited output starts 16 frames late. */
const SETTLE = 1024;

function render(inputs: Record<string, number>, frames = RATE, blockSize = 128): Float32Array {
  const r = make(blockSize);
  node(r, 'TriangleNode', 'osc', inputs);
  return r.capture(['osc.out'], frames)[0];
}

/** The ideal triangle at phase p cycles: 0 rising at p = 0, +1 at 0.25, −1 at 0.75. */
function ideal(p: number): number {
  const x = p - Math.floor(p);
  return x < 0.25 ? 4 * x : x < 0.75 ? 2 - 4 * x : 4 * x - 4;
}

describe('TriangleNode', () => {
  it.each([110, 440, 1000, 3000])(
    'oscillates at %d Hz (zero crossings within 0.5 percent), within ±1',
    (hz) => {
      const out = render({ frequency: hz }).subarray(SETTLE);
      expect(allFinite(out)).toBe(true);
      expect(Math.abs(zeroCrossingFrequency(out, RATE) / hz - 1)).toBeLessThan(0.005);
      expect(peak(out)).toBeLessThanOrEqual(1);
      // A band-limited triangle keeps nearly all of its level (its harmonics fall 12 dB an octave): RMS 1/√3.
      if (hz <= 1000) expect(rms(out)).toBeCloseTo(1 / Math.sqrt(3), 2);
    },
  );

  it('is the ideal triangle, 16 frames late: 0 rising at the start, +1 a quarter cycle in', () => {
    const hz = 100;
    const out = render({ frequency: hz }, 8192);
    let worst = 0;
    for (let i = BLEP_DELAY; i < out.length; i++) {
      worst = Math.max(worst, Math.abs(out[i] - ideal(((i - BLEP_DELAY) * hz) / RATE)));
    }
    // Only the corners differ, rounded by the band limit: at 100 Hz by ~0.002.
    expect(worst).toBeLessThan(0.005);
    expect(Math.max(...out)).toBeGreaterThan(0.99);
    expect(Math.min(...out)).toBeLessThan(-0.99);
  });

  it('aliasing at a 3 kHz fundamental is at or below −60 dB (a naive triangle: about −38 dB)', () => {
    const out = render({ frequency: 3000 }, 32768 + SETTLE).subarray(SETTLE);
    const { magnitudes, binHz } = spectrum(out, RATE);
    const { db, at } = aliasingDb(magnitudes, binHz, 3000);
    expect(db, `strongest alias ${db.toFixed(1)} dB at ${at.toFixed(0)} Hz`).toBeLessThanOrEqual(-60);
    // The same measurement on a naive (not band-limited) triangle finds its aliases: the test can fail.
    const naive = new Float32Array(32768).map((_, i) => ideal((i * 3000) / RATE));
    const naiveSpectrum = spectrum(naive, RATE);
    expect(aliasingDb(naiveSpectrum.magnitudes, naiveSpectrum.binHz, 3000).db).toBeGreaterThan(-45);
  });

  it('renders identically with block sizes 64, 128 and 256, and never steps more than its slope', () => {
    const hz = 523.25;
    const reference = render({ frequency: hz }, 8192, 64);
    // Phase continuous: no jump beyond the steepest part of the wave, 4·f/rate per frame (+ the ~9 %
    // Gibbs overshoot of the band-limited slope, which is a band-limited square).
    expect(maxStep(reference)).toBeLessThan(((4 * hz) / RATE) * 1.2);
    for (const blockSize of [128, 256]) expect(render({ frequency: hz }, 8192, blockSize)).toEqual(reference);
  });

  it('changes frequency without a click and keeps its phase; runs backwards for negative frequencies', () => {
    const r = make();
    node(r, 'TriangleNode', 'osc', { frequency: 440 });
    r.capture(['osc.out'], 22050);
    r.s.setValue('osc_frequency', 660);
    const changed = r.capture(['osc.out'], 22050)[0];
    expect(maxStep(changed)).toBeLessThan(((4 * 660) / RATE) * 1.2);
    expect(Math.abs(zeroCrossingFrequency(changed.subarray(512), RATE) / 660 - 1)).toBeLessThan(0.005);
    r.s.setValue('osc_frequency', -330);
    const backwards = r.capture(['osc.out'], 22050)[0];
    expect(maxStep(backwards)).toBeLessThan(((4 * 660) / RATE) * 1.2);
    expect(Math.abs(zeroCrossingFrequency(backwards.subarray(512), RATE) / 330 - 1)).toBeLessThan(0.005);
  });

  it('an FM sweep at audio rate stays within ±1 and continuous', () => {
    const r = make();
    node(r, 'SineNode', 'lfo', { frequency: 30 });
    node(r, 'MultiplyNode', 'depth', { b: 2000 });
    node(r, 'AddNode', 'hz', { b: 2500 });
    node(r, 'TriangleNode', 'osc');
    r.s.link('lfo.out', 'depth.a');
    r.s.link('depth.out', 'hz.a');
    r.s.link('hz.out', 'osc.frequency');
    const out = r.capture(['osc.out'], RATE)[0].subarray(SETTLE);
    expect(allFinite(out)).toBe(true);
    expect(peak(out)).toBeLessThanOrEqual(1.01);
    expect(maxStep(out)).toBeLessThan(((4 * 4500) / RATE) * 1.2);
  });

  it.each([30000, 1e6, -1e6, 1e30, -1e30])(
    'a frequency of %d Hz is held at Nyquist: finite, within ±1',
    (hz) => {
      const out = render({ frequency: hz }, 8192);
      expect(allFinite(out)).toBe(true);
      expect(peak(out)).toBeLessThanOrEqual(1.01);
    },
  );

  it('NaN and ±∞ frequencies (a broken upstream node) leave it finite and within ±1', () => {
    const r = make(128, { types: [SpecialValuesNode] });
    r.s.add('SpecialValuesNode', 'hostile');
    r.s.add('TriangleNode', 'osc');
    r.s.link('hostile.out', 'osc.frequency');
    const out = r.capture(['osc.out'], 8192)[0];
    expect(allFinite(out)).toBe(true);
    expect(peak(out)).toBeLessThanOrEqual(1.01);
    expect(r.events.filter((e) => e.kind === 'fault')).toEqual([]);
  });
});
