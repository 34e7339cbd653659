// The resampler that brings decoded files to the engine rate, measured: pass-band flatness, and how far
// down what must not get through (aliases when downsampling, images when upsampling) is.

import { describe, expect, it } from 'vitest';
import { RESAMPLE_PASSBAND, resample, resampledLength } from '../../src/dsp/resample.js';

function sine(hz: number, rate: number, seconds: number, amplitude = 0.5): Float32Array {
  const out = new Float32Array(Math.round(rate * seconds));
  for (let i = 0; i < out.length; i++) out[i] = amplitude * Math.sin((2 * Math.PI * hz * i) / rate);
  return out;
}

/**
 * Least-squares fit of sin and cos at exactly `hz` over the middle of the signal (away from the edges):
 * the fitted coefficients and the range they were fitted over.
 */
function fitAt(signal: Float32Array, hz: number, rate: number) {
  const from = Math.floor(signal.length * 0.2);
  const to = Math.floor(signal.length * 0.8);
  let ss = 0;
  let cc = 0;
  let sc = 0;
  let xs = 0;
  let xc = 0;
  for (let i = from; i < to; i++) {
    const s = Math.sin((2 * Math.PI * hz * i) / rate);
    const c = Math.cos((2 * Math.PI * hz * i) / rate);
    ss += s * s;
    cc += c * c;
    sc += s * c;
    xs += signal[i] * s;
    xc += signal[i] * c;
  }
  const det = ss * cc - sc * sc;
  return { a: (xs * cc - xc * sc) / det, b: (xc * ss - xs * sc) / det, from, to };
}

/** Amplitude of the component at exactly `hz`, away from the edges. */
function amplitudeAt(signal: Float32Array, hz: number, rate: number): number {
  const { a, b } = fitAt(signal, hz, rate);
  return Math.hypot(a, b);
}

/** RMS of what is left after removing the component at `hz` (the error of the conversion), in dB re `ref`. */
function residualDb(signal: Float32Array, hz: number, rate: number, ref: number): number {
  const { a, b, from, to } = fitAt(signal, hz, rate);
  let err = 0;
  for (let i = from; i < to; i++) {
    const fit = a * Math.sin((2 * Math.PI * hz * i) / rate) + b * Math.cos((2 * Math.PI * hz * i) / rate);
    err += (signal[i] - fit) ** 2;
  }
  return 20 * Math.log10(Math.sqrt(err / (to - from)) / (ref / Math.SQRT2));
}

const rms = (x: Float32Array, from = 0.2, to = 0.8) => {
  let sum = 0;
  const a = Math.floor(x.length * from);
  const b = Math.floor(x.length * to);
  for (let i = a; i < b; i++) sum += x[i] * x[i];
  return Math.sqrt(sum / (b - a));
};
const db = (x: number) => 20 * Math.log10(x);

describe('resample (windowed sinc, Kaiser, tabulated)', () => {
  it('keeps the duration: output length = input length × toRate / fromRate', () => {
    expect(resampledLength(48000, 48000, 44100)).toBe(44100);
    expect(resampledLength(22050, 22050, 44100)).toBe(44100);
    expect(resample(new Float32Array(480), 48000, 44100)).toHaveLength(441);
    expect(resample(new Float32Array(1000), 44100, 44100)).toHaveLength(1000);
  });

  it('equal rates: the samples themselves', () => {
    const x = sine(440, 44100, 0.1);
    expect(Array.from(resample(x, 44100, 44100))).toEqual(Array.from(x));
  });

  for (const [from, to] of [
    [48000, 44100],
    [44100, 48000],
    [22050, 44100],
    [96000, 44100],
    [8000, 44100],
  ]) {
    it(`${from} → ${to} Hz: pass band flat within 0.001 dB, pure within −95 dB`, () => {
      const low = Math.min(from, to);
      for (const fraction of [0.005, 0.05, 0.1, 0.2, 0.3, RESAMPLE_PASSBAND]) {
        const hz = fraction * low;
        const y = resample(sine(hz, from, 0.5), from, to);
        const gain = db(amplitudeAt(y, hz, to) / 0.5);
        expect(Math.abs(gain), `${hz.toFixed(0)} Hz: ${gain.toFixed(5)} dB`).toBeLessThan(0.001);
        // Everything that is not the sine (aliases, images, table and rounding error).
        const residual = residualDb(y, hz, to, 0.5);
        expect(residual, `${hz.toFixed(0)} Hz: residual ${residual.toFixed(1)} dB`).toBeLessThan(-95);
      }
    });
  }

  it('downsampling 48 → 44.1 kHz: a tone above the new Nyquist is gone (≤ −100 dB), not folded', () => {
    for (const hz of [22500, 23000, 23900]) {
      const y = resample(sine(hz, 48000, 0.5), 48000, 44100);
      expect(db(rms(y) / (0.5 / Math.SQRT2)), `${hz} Hz`).toBeLessThan(-100);
    }
  });

  it('downsampling 96 → 44.1 kHz: ultrasonic content is gone (≤ −100 dB)', () => {
    for (const hz of [22100, 30000, 47000]) {
      const y = resample(sine(hz, 96000, 0.5), 96000, 44100);
      expect(db(rms(y) / (0.5 / Math.SQRT2)), `${hz} Hz`).toBeLessThan(-100);
    }
  });

  it('upsampling 22.05 → 44.1 kHz: no image of the input spectrum (≤ −100 dB above 11.025 kHz)', () => {
    // A 10 kHz tone at 22.05 kHz has its image at 12.05 kHz once upsampled; only the tone remains.
    const y = resample(sine(10000, 22050, 0.5), 22050, 44100);
    expect(db(amplitudeAt(y, 22050 - 10000, 44100) / 0.5)).toBeLessThan(-100);
    expect(residualDb(y, 10000, 44100, 0.5)).toBeLessThan(-100);
  });

  it('converts in slices exactly as in one go', () => {
    const x = sine(1234, 48000, 0.2);
    const whole = resample(x, 48000, 44100);
    const sliced = new Float32Array(whole.length);
    for (let at = 0; at < whole.length; at += 1000) resample(x, 48000, 44100, sliced, at, at + 1000);
    expect(Array.from(sliced)).toEqual(Array.from(whole));
  });
});
