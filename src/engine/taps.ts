// Render-side taps for scopes, meters and the master spectrum (the server's render worker, the browser's
// AudioWorklet). Each block copies the watched outputs into rings and accumulates levels; `report()`
// (≈ 25 times a second) turns them into the numbers clients draw. Nothing here runs unless a client
// watches. No Node or DOM APIs: both hosts run this same code.

import { fft } from '../dsp/fft.js';
import type { PortRef } from './types.js';

export const SCOPE_SAMPLES = 512;

/** What the render side reports for the watched ports, the master level and spectrum (plain data). */
export interface TapReport {
  scopes: Array<{ port: PortRef; samples: number[] }>;
  meters: Array<{ port: PortRef; peak: number; rms: number }>;
  master?: { peak: number; rms: number };
  /** Magnitudes in dBFS, SPECTRUM_SIZE / 2 bins spaced sampleRate / SPECTRUM_SIZE. */
  spectrum?: number[];
}
export const SPECTRUM_SIZE = 2048;

class Ring {
  readonly data: Float32Array;
  private write = 0;
  constructor(size: number) {
    this.data = new Float32Array(size);
  }
  push(buf: Float32Array, frames: number): void {
    const data = this.data;
    for (let i = 0; i < frames; i++) {
      data[this.write] = buf[i];
      this.write = (this.write + 1) % data.length;
    }
  }
  /** Oldest to newest. */
  ordered(into: Float32Array): Float32Array {
    const data = this.data;
    const n = data.length;
    for (let i = 0; i < n; i++) into[i] = data[(this.write + i) % n];
    return into;
  }
}

class Level {
  peak = 0;
  sumSquares = 0;
  count = 0;
  add(buf: Float32Array, frames: number): void {
    let peak = this.peak;
    let sum = 0;
    for (let i = 0; i < frames; i++) {
      const x = buf[i];
      const a = x < 0 ? -x : x;
      if (a > peak) peak = a;
      sum += x * x;
    }
    this.peak = peak;
    this.sumSquares += sum;
    this.count += frames;
  }
  take(): { peak: number; rms: number } {
    const result = {
      peak: round(this.peak),
      rms: round(Math.sqrt(this.sumSquares / Math.max(1, this.count))),
    };
    this.peak = 0;
    this.sumSquares = 0;
    this.count = 0;
    return result;
  }
}

function round(x: number): number {
  return Math.round(x * 1e5) / 1e5;
}

interface Watched {
  port: PortRef;
  ring: Ring;
  level: Level;
}

export class Taps {
  private watched: Watched[] = [];
  /** Left and right kept apart: a mono sum would cancel a patch whose right channel is −left. */
  private spectrumRings: [Ring, Ring] | null = null;
  private masterLevel: Level | null = null;
  private readonly fft = new SpectrumAnalyser(SPECTRUM_SIZE);

  get active(): boolean {
    return this.watched.length > 0 || this.spectrumRings !== null || this.masterLevel !== null;
  }

  watch(ports: PortRef[], spectrum: boolean, master: boolean): void {
    this.watched = ports.map((port) => ({ port, ring: new Ring(SCOPE_SAMPLES), level: new Level() }));
    this.spectrumRings = spectrum ? [new Ring(SPECTRUM_SIZE), new Ring(SPECTRUM_SIZE)] : null;
    this.masterLevel = master || spectrum ? new Level() : null;
  }

  /** After each block: `output(ref)` gives a watched port's live buffer (undefined if gone). */
  afterBlock(
    output: (ref: PortRef) => Float32Array | undefined,
    left: Float32Array,
    right: Float32Array,
    frames: number,
  ): void {
    for (const w of this.watched) {
      const buf = output(w.port);
      if (!buf) continue;
      w.ring.push(buf, frames);
      w.level.add(buf, frames);
    }
    if (this.masterLevel) {
      this.masterLevel.add(left, frames);
      this.masterLevel.add(right, frames);
    }
    if (this.spectrumRings) {
      this.spectrumRings[0].push(left, frames);
      this.spectrumRings[1].push(right, frames);
    }
  }

  report(): TapReport {
    const scratch = new Float32Array(SCOPE_SAMPLES);
    const report: TapReport = { scopes: [], meters: [] };
    for (const w of this.watched) {
      const samples = Array.from(w.ring.ordered(scratch), round);
      report.scopes.push({ port: w.port, samples });
      report.meters.push({ port: w.port, ...w.level.take() });
    }
    if (this.masterLevel) report.master = this.masterLevel.take();
    if (this.spectrumRings) {
      const [left, right] = this.spectrumRings;
      report.spectrum = this.fft.analyse(
        left.ordered(new Float32Array(SPECTRUM_SIZE)),
        right.ordered(new Float32Array(SPECTRUM_SIZE)),
      );
    }
    return report;
  }
}

/**
 * Hann-windowed magnitude spectrum in dBFS (a full-scale sine reads ≈ 0 dB), size / 2 bins. Given two
 * channels, each bin is their power average, so opposite-phase channels do not cancel.
 */
export class SpectrumAnalyser {
  readonly size: number;
  private readonly window: Float64Array;
  private readonly re: Float64Array;
  private readonly im: Float64Array;
  private readonly windowSum: number;

  constructor(size: number) {
    if (size & (size - 1)) throw new RangeError('spectrum size must be a power of two');
    this.size = size;
    this.window = new Float64Array(size);
    let sum = 0;
    for (let i = 0; i < size; i++) {
      this.window[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / size);
      sum += this.window[i];
    }
    this.windowSum = sum;
    this.re = new Float64Array(size);
    this.im = new Float64Array(size);
  }

  analyse(signal: Float32Array, other?: Float32Array): number[] {
    const half = this.size / 2;
    const power = new Float64Array(half);
    const channels = other ? [signal, other] : [signal];
    for (const channel of channels) {
      this.transform(channel);
      for (let k = 0; k < half; k++) power[k] += (this.re[k] ** 2 + this.im[k] ** 2) / channels.length;
    }
    const bins: number[] = new Array(half);
    for (let k = 0; k < half; k++) {
      const magnitude = (2 * Math.sqrt(power[k])) / this.windowSum;
      bins[k] = Math.round(Math.max(-140, 20 * Math.log10(magnitude + 1e-12)) * 10) / 10;
    }
    return bins;
  }

  private transform(signal: Float32Array): void {
    const { size, re, im, window } = this;
    for (let i = 0; i < size; i++) {
      re[i] = signal[i] * window[i];
      im[i] = 0;
    }
    fft(re, im);
  }
}
