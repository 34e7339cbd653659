// Measurements on rendered signals: the tests check the sound, not just that code ran.

import { fft } from '../../src/dsp/fft.js';

/** A rendered block or a channel read back from a WAV file. */
export type Signal = Float32Array | Float64Array;

/** Frequency from rising zero crossings, interpolated to sub-sample accuracy. */
export function zeroCrossingFrequency(signal: Signal, sampleRate: number): number {
  const crossings: number[] = [];
  for (let i = 1; i < signal.length; i++) {
    const a = signal[i - 1];
    const b = signal[i];
    if (a < 0 && b >= 0) crossings.push(i - 1 + a / (a - b));
  }
  if (crossings.length < 2) return 0;
  const periods = crossings.length - 1;
  return (periods * sampleRate) / (crossings[crossings.length - 1] - crossings[0]);
}

export function peak(signal: Signal): number {
  let max = 0;
  for (const x of signal) max = Math.max(max, Math.abs(x));
  return max;
}

/** The largest |a[i] − b[i]|: how far two renders of the same thing (two engines, two paths) differ. */
export function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} and ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/**
 * The largest |a[i] − reference[i]| relative to the reference's magnitude (at least 1): equal to
 * `maxDifference` for signals within ±1, and meaningful for samples up to ±3.4e38.
 */
export function maxRelativeDifference(a: ArrayLike<number>, reference: ArrayLike<number>): number {
  if (a.length !== reference.length) throw new Error(`lengths differ: ${a.length} and ${reference.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++)
    worst = Math.max(worst, Math.abs(a[i] - reference[i]) / Math.max(1, Math.abs(reference[i])));
  return worst;
}

export function rms(signal: Signal): number {
  let sum = 0;
  for (const x of signal) sum += x * x;
  return Math.sqrt(sum / Math.max(1, signal.length));
}

export function allFinite(signal: Signal): boolean {
  for (const x of signal) if (!Number.isFinite(x)) return false;
  return true;
}

/** Largest jump between neighbouring samples (a click shows as a jump far above the signal's slope). */
export function maxStep(signal: Signal): number {
  let max = 0;
  for (let i = 1; i < signal.length; i++) max = Math.max(max, Math.abs(signal[i] - signal[i - 1]));
  return max;
}

/**
 * Magnitude spectrum (Hann window, radix-2 FFT) of the first power-of-two length ≤ signal.length.
 * Returns magnitudes for bins 0…n/2 and the bin width in Hz.
 */
export function spectrum(signal: Signal, sampleRate: number): { magnitudes: Float64Array; binHz: number } {
  let n = 1;
  while (n * 2 <= signal.length) n *= 2;
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  for (let i = 0; i < n; i++) re[i] = signal[i] * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1)));
  fft(re, im);
  const magnitudes = new Float64Array(n / 2 + 1);
  for (let i = 0; i <= n / 2; i++) magnitudes[i] = Math.hypot(re[i], im[i]);
  return { magnitudes, binHz: sampleRate / n };
}

/** Frequency of the strongest bin (parabolic interpolation between neighbours). */
export function dominantFrequency(signal: Signal, sampleRate: number): number {
  const { magnitudes, binHz } = spectrum(signal, sampleRate);
  let best = 1;
  for (let i = 2; i < magnitudes.length - 1; i++) if (magnitudes[i] > magnitudes[best]) best = i;
  const a = Math.log(magnitudes[best - 1] + 1e-20);
  const b = Math.log(magnitudes[best] + 1e-20);
  const c = Math.log(magnitudes[best + 1] + 1e-20);
  const offset = (0.5 * (a - c)) / (a - 2 * b + c);
  return (best + offset) * binHz;
}

/**
 * Averaged power spectrum (Welch): Hann-windowed segments of `segment` samples (a power of two), half
 * overlapping, each |FFT|² averaged. `power[k]` is the mean power at bin k (k·binHz), in arbitrary but
 * consistent units: compare bands with each other. Noise needs this: a single spectrum of noise scatters
 * by ±5 dB from bin to bin.
 */
export function welch(
  signal: Signal,
  sampleRate: number,
  segment = 8192,
): { power: Float64Array; binHz: number; segments: number } {
  const window = new Float64Array(segment);
  for (let i = 0; i < segment; i++) window[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / segment);
  const power = new Float64Array(segment / 2 + 1);
  const re = new Float64Array(segment);
  const im = new Float64Array(segment);
  let segments = 0;
  for (let start = 0; start + segment <= signal.length; start += segment / 2) {
    for (let i = 0; i < segment; i++) {
      re[i] = signal[start + i] * window[i];
      im[i] = 0;
    }
    fft(re, im);
    for (let k = 0; k <= segment / 2; k++) power[k] += re[k] * re[k] + im[k] * im[k];
    segments++;
  }
  for (let k = 0; k < power.length; k++) power[k] /= Math.max(1, segments);
  return { power, binHz: sampleRate / segment, segments };
}

/** Mean power (dB) of the bins from `lowHz` to `highHz` of a Welch spectrum: a band's level. */
export function bandPowerDb(power: Float64Array, binHz: number, lowHz: number, highHz: number): number {
  const first = Math.max(1, Math.ceil(lowHz / binHz));
  const last = Math.min(power.length - 1, Math.floor(highHz / binHz));
  let sum = 0;
  for (let k = first; k <= last; k++) sum += power[k];
  return 10 * Math.log10(sum / Math.max(1, last - first + 1));
}

/**
 * Band levels of a Welch spectrum at third-octave centres from `lowHz` to `highHz` (each band a third of an
 * octave wide), with the least-squares slope in dB per octave and each band's deviation from that line.
 */
export function spectralSlope(
  power: Float64Array,
  binHz: number,
  lowHz: number,
  highHz: number,
): { slopeDbPerOctave: number; bands: Array<{ hz: number; db: number; deviation: number }> } {
  const bands: Array<{ hz: number; db: number; deviation: number }> = [];
  for (let k = 0; ; k++) {
    const hz = lowHz * 2 ** (k / 3);
    if (hz > highHz * 1.001) break;
    bands.push({ hz, db: bandPowerDb(power, binHz, hz * 2 ** (-1 / 6), hz * 2 ** (1 / 6)), deviation: 0 });
  }
  const xs = bands.map((b) => Math.log2(b.hz));
  const meanX = xs.reduce((a, b) => a + b, 0) / xs.length;
  const meanY = bands.reduce((a, b) => a + b.db, 0) / bands.length;
  let sxy = 0;
  let sxx = 0;
  bands.forEach((b, i) => {
    sxy += (xs[i] - meanX) * (b.db - meanY);
    sxx += (xs[i] - meanX) ** 2;
  });
  const slope = sxy / sxx;
  for (let i = 0; i < bands.length; i++) bands[i].deviation = bands[i].db - (meanY + slope * (xs[i] - meanX));
  return { slopeDbPerOctave: slope, bands };
}

/**
 * |H(f)| of a system from its impulse response: the DTFT of `impulse` evaluated exactly at `hz` (no bins,
 * no window; the response must have decayed within the signal). Divide by the impulse's height.
 */
export function responseAt(impulse: Signal, hz: number, sampleRate: number): number {
  const w = (2 * Math.PI * hz) / sampleRate;
  // Rotate a unit phasor instead of calling cos/sin per sample; renormalise now and then.
  const stepRe = Math.cos(w);
  const stepIm = -Math.sin(w);
  let re = 0;
  let im = 0;
  let pr = 1;
  let pi = 0;
  for (let n = 0; n < impulse.length; n++) {
    const x = impulse[n];
    re += x * pr;
    im += x * pi;
    const nr = pr * stepRe - pi * stepIm;
    pi = pr * stepIm + pi * stepRe;
    pr = nr;
    if ((n & 1023) === 1023) {
      const norm = 1 / Math.hypot(pr, pi);
      pr *= norm;
      pi *= norm;
    }
  }
  return Math.hypot(re, im);
}

/** Third-octave frequencies (base-2, 1 kHz centred: 1000·2^(n/3)) from `from` to `to` Hz. */
export function thirdOctaves(from = 20, to = 20000): number[] {
  const out: number[] = [];
  for (let n = -30; n <= 30; n++) {
    const hz = 1000 * 2 ** (n / 3);
    if (hz >= from * 0.98 && hz <= to * 1.02) out.push(hz); // the nominal 20 Hz band is 19.7 Hz
  }
  return out;
}

export const toDb = (gain: number): number => 20 * Math.log10(gain);
