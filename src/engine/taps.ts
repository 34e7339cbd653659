// Render-side taps for scopes, meters and the master spectrum (the server's render worker, the browser's
// AudioWorklet). Each block copies the watched outputs into rings and accumulates levels; `report()`
// (≈ 25 times a second) turns them into the numbers clients draw. Nothing here runs unless a client
// watches. No Node or DOM APIs: both hosts run this same code.
//
// Scopes see 1 ms to 10 s. Each watched output keeps the newest RAW_SIZE samples as they are and, while a
// view longer than half of that is open, a min/max pair per ENVELOPE_STEP samples over ENVELOPE_SECONDS.
// A view (port, timebase, trigger mode) gets one frame per report: at most SCOPE_POINTS samples, or
// SCOPE_COLUMNS min/max columns — bounded however long the timebase — starting a tenth of the window
// before the newest rising edge through the signal's midpoint ('rising'; 'auto' falls back to the newest
// window when there is no edge; 'free' always shows the newest). The frequency of each output is measured
// from rising crossings over the raw ring (20 Hz…20 kHz), or the envelope ring for slower signals.

import { fft } from '../dsp/fft.js';
import type { PortRef } from './types.js';

/** Samples of the default view (a port watched without a timebase): the newest, untriggered. */
export const SCOPE_SAMPLES = 512;

/** One frame of a scope view. */
export interface ScopeFrame {
  port: PortRef;
  /** viewKey of the view this frame is for. */
  view: string;
  /** Samples oldest first; for a long window the midpoints of `min`/`max` columns. */
  samples: number[];
  min?: number[];
  max?: number[];
  /** Samples of the signal per point (1 for raw samples; may be fractional). */
  step: number;
  /** Frequency of the output (Hz), measured over its newest samples; null when not periodic. */
  frequency: number | null;
  seconds?: number;
  triggered?: boolean;
  /** Index of the trigger point among the points. */
  trigger?: number;
  /** A 'rising' view found no edge: keep showing the last frame. */
  waiting?: boolean;
}

/** What the render side reports for the watched ports, the master level and spectrum (plain data). */
export interface TapReport {
  scopes: ScopeFrame[];
  meters: Array<{ port: PortRef; peak: number; rms: number }>;
  master?: { peak: number; rms: number };
  /** Magnitudes in dBFS, SPECTRUM_SIZE / 2 bins spaced sampleRate / SPECTRUM_SIZE. */
  spectrum?: number[];
}
export const SPECTRUM_SIZE = 2048;
/** Newest samples kept per watched output (0.74 s at 44.1 kHz). */
export const RAW_SIZE = 1 << 15;
/** Samples per min/max pair of the long-timebase ring. */
export const ENVELOPE_STEP = 32;
/** Seconds the long-timebase ring covers: the longest view (10 s) plus room to find a trigger. */
export const ENVELOPE_SECONDS = 12;
/** Longest and shortest view, seconds. */
export const MAX_VIEW_SECONDS = 10;
export const MIN_VIEW_SECONDS = 0.001;
/** Most points of one frame sent as raw samples; longer windows go as min/max columns. */
export const SCOPE_POINTS = 1024;
export const SCOPE_COLUMNS = 512;
/** Frequency is measured every this many reports (≈ 5 times a second). */
const FREQUENCY_EVERY = 5;

export type TriggerMode = 'rising' | 'auto' | 'free';

/** What one client asks to see of a watched output. */
export interface ScopeView {
  port: PortRef;
  /** Window length, seconds (clamped to MIN_VIEW_SECONDS…MAX_VIEW_SECONDS); absent: the default view. */
  seconds?: number;
  trigger?: TriggerMode;
}

export function viewKey(view: ScopeView): string {
  return `${view.port.node}.${view.port.port}|${view.seconds ?? ''}|${view.trigger ?? ''}`;
}

class Ring {
  readonly data: Float32Array;
  /** Samples written since the ring was made (the next write goes to written % length). */
  written = 0;
  constructor(size: number) {
    this.data = new Float32Array(size);
  }
  push(buf: Float32Array, frames: number): void {
    const data = this.data;
    const n = data.length;
    let w = this.written % n;
    for (let i = 0; i < frames; i++) {
      data[w] = buf[i];
      w = w + 1 === n ? 0 : w + 1;
    }
    this.written += frames;
  }
  /** Samples held (at most the ring's length). */
  get filled(): number {
    return Math.min(this.written, this.data.length);
  }
  /** The sample `back` places before the newest (0 = newest). */
  at(back: number): number {
    const n = this.data.length;
    return this.data[(((this.written - 1 - back) % n) + n) % n];
  }
  /** Oldest to newest, the whole ring (two block copies). */
  ordered(into: Float32Array): Float32Array {
    const data = this.data;
    const w = this.written % data.length;
    into.set(data.subarray(w), 0);
    into.set(data.subarray(0, w), data.length - w);
    return into;
  }
}

/** Min/max of every ENVELOPE_STEP samples: a long signal at a fraction of the memory. */
class Envelope {
  readonly min: Float32Array;
  readonly max: Float32Array;
  written = 0;
  private lo = Number.POSITIVE_INFINITY;
  private hi = Number.NEGATIVE_INFINITY;
  private count = 0;
  constructor(size: number) {
    this.min = new Float32Array(size);
    this.max = new Float32Array(size);
  }
  push(buf: Float32Array, frames: number): void {
    let { lo, hi, count } = this;
    for (let i = 0; i < frames; i++) {
      const x = buf[i];
      if (x < lo) lo = x;
      if (x > hi) hi = x;
      if (++count === ENVELOPE_STEP) {
        const w = this.written % this.min.length;
        this.min[w] = lo;
        this.max[w] = hi;
        this.written++;
        lo = Number.POSITIVE_INFINITY;
        hi = Number.NEGATIVE_INFINITY;
        count = 0;
      }
    }
    this.lo = lo;
    this.hi = hi;
    this.count = count;
  }
  get filled(): number {
    return Math.min(this.written, this.min.length);
  }
  index(back: number): number {
    const n = this.min.length;
    return (((this.written - 1 - back) % n) + n) % n;
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
  envelope: Envelope | null;
  level: Level;
  frequency: number | null;
}

/**
 * A signal read back from the newest end: `value(i)` for i = 0 (oldest of `length`) … length − 1 (newest),
 * as a sample or as the min/max of a stretch, in units of `step` samples.
 */
interface Source {
  length: number;
  step: number;
  lo(i: number): number;
  hi(i: number): number;
}

function rawSource(ring: Ring): Source {
  const length = ring.filled;
  const value = (i: number) => ring.at(length - 1 - i);
  return { length, step: 1, lo: value, hi: value };
}

function envelopeSource(env: Envelope): Source {
  const length = env.filled;
  return {
    length,
    step: ENVELOPE_STEP,
    lo: (i) => env.min[env.index(length - 1 - i)],
    hi: (i) => env.max[env.index(length - 1 - i)],
  };
}

/**
 * The newest rising crossing of the midpoint between `from` and `to` (indices into `source`), with
 * hysteresis of 5 % of the span so noise does not trigger; the index just after it, or -1.
 */
function newestRisingEdge(
  source: Source,
  from: number,
  to: number,
  range: { lo: number; hi: number },
): number {
  if (!(range.hi - range.lo > 1e-9)) return -1;
  const mid = (range.lo + range.hi) / 2;
  const hysteresis = (range.hi - range.lo) * 0.05;
  const at = (i: number) => (source.lo(i) + source.hi(i)) / 2;
  // Walking back from the newest: a crossing counts once the signal, further back, dipped below
  // mid − h before it rose above mid + h again (else the crossing was a wiggle of noise).
  let candidate = -1;
  for (let i = to; i > from; i--) {
    const v = at(i);
    const u = at(i - 1);
    if (candidate >= 0 && i < candidate && v > mid + hysteresis) candidate = -1;
    if (candidate < 0 && v >= mid && u < mid) candidate = i;
    if (candidate >= 0 && u < mid - hysteresis) return candidate;
  }
  return -1;
}

/** The signal's extremes over [from, to]. */
function extremes(source: Source, from: number, to: number) {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = from; i <= to; i++) {
    const a = source.lo(i);
    const b = source.hi(i);
    if (a < lo) lo = a;
    if (b > hi) hi = b;
  }
  return { lo, hi };
}

/** One frame of a view from a watched output. */
export function scopeFrame(
  watched: { ring: Ring; envelope: Envelope | null },
  seconds: number,
  trigger: TriggerMode,
  sampleRate: number,
): Omit<ScopeFrame, 'port' | 'view' | 'frequency'> {
  const want = Math.max(2, Math.round(seconds * sampleRate));
  const useRaw = want <= RAW_SIZE / 2 || !watched.envelope;
  const source = useRaw ? rawSource(watched.ring) : envelopeSource(watched.envelope!);
  const span = Math.max(2, Math.min(source.length, Math.round(want / source.step)));
  if (source.length < 2) return { samples: [], step: 1, triggered: false, seconds };
  // The trigger sits a tenth into the window; it is searched where a whole window follows it.
  const pre = Math.floor(span / 10);
  let start = source.length - span;
  let triggered = false;
  if (trigger !== 'free') {
    const lastEdge = source.length - span + pre;
    const firstEdge = Math.max(1, pre);
    const range = extremes(source, Math.max(0, source.length - 2 * span), source.length - 1);
    const edge = lastEdge > firstEdge ? newestRisingEdge(source, firstEdge, lastEdge, range) : -1;
    if (edge >= 0) {
      start = edge - pre;
      triggered = true;
    } else if (trigger === 'rising') {
      return { samples: [], step: source.step, triggered: false, seconds, waiting: true };
    }
  }
  start = Math.max(0, start);
  const count = Math.min(span, source.length - start);
  if (useRaw && count <= SCOPE_POINTS) {
    const samples = new Array<number>(count);
    for (let i = 0; i < count; i++) samples[i] = round(source.lo(start + i));
    return { samples, step: 1, triggered, seconds, trigger: triggered ? pre : undefined };
  }
  // Min/max columns: every column covers the same stretch of time, so the picture does not shimmer.
  const columns = Math.min(SCOPE_COLUMNS, count);
  const min = new Array<number>(columns);
  const max = new Array<number>(columns);
  const samples = new Array<number>(columns);
  for (let c = 0; c < columns; c++) {
    const a = start + Math.floor((c * count) / columns);
    const b = Math.max(a, start + Math.floor(((c + 1) * count) / columns) - 1);
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (let i = a; i <= b; i++) {
      const l = source.lo(i);
      const h = source.hi(i);
      if (l < lo) lo = l;
      if (h > hi) hi = h;
    }
    min[c] = round(lo);
    max[c] = round(hi);
    samples[c] = round((lo + hi) / 2);
  }
  return {
    samples,
    min,
    max,
    step: (count * source.step) / columns,
    triggered,
    seconds,
    trigger: triggered ? Math.round((pre * columns) / count) : undefined,
  };
}

/**
 * Frequency of a periodic signal from its rising crossings through its mean (with hysteresis),
 * interpolated to fractions of a sample: the number of periods between the first and last crossing is
 * counted with each gap rounded to whole median periods, so a crossing missed here and there (a 20 kHz
 * sine has barely two samples a period) does not bias it. Samples oldest first; null when there are
 * fewer than three crossings.
 */
export function measureFrequency(samples: ArrayLike<number>, rate: number): number | null {
  const length = samples.length;
  if (length < 8) return null;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  let mean = 0;
  for (let i = 0; i < length; i++) {
    const v = samples[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
    mean += v;
  }
  mean /= length;
  if (!(hi - lo > 1e-6)) return null;
  const hysteresis = (hi - lo) * 0.02;
  const crossings: number[] = [];
  let armed = false;
  let previous = samples[0] - mean;
  for (let i = 1; i < length; i++) {
    const v = samples[i] - mean;
    if (previous < -hysteresis) armed = true;
    if (armed && previous < 0 && v >= 0) {
      crossings.push(i - 1 + -previous / (v - previous));
      armed = false;
    }
    previous = v;
  }
  if (crossings.length < 3) return null;
  const gaps = crossings.slice(1).map((c, i) => c - crossings[i]);
  const median = [...gaps].sort((a, b) => a - b)[gaps.length >> 1];
  let periods = 0;
  for (const gap of gaps) periods += Math.max(1, Math.round(gap / median));
  const span = crossings[crossings.length - 1] - crossings[0];
  return span > 0 ? (rate * periods) / span : null;
}

export class Taps {
  private watched: Watched[] = [];
  private views: ScopeView[] = [];
  /** Ports some client watches without a timebase (they get the default view). */
  private defaults: PortRef[] = [];
  /** Left and right kept apart: a mono sum would cancel a patch whose right channel is −left. */
  private spectrumRings: [Ring, Ring] | null = null;
  private masterLevel: Level | null = null;
  private readonly fft = new SpectrumAnalyser(SPECTRUM_SIZE);
  private reports = 0;

  constructor(private readonly sampleRate = 44100) {}

  get active(): boolean {
    return this.watched.length > 0 || this.spectrumRings !== null || this.masterLevel !== null;
  }

  /**
   * Watches `ports` (meter and the default scope view) and `views` (scopes with a timebase, and a meter).
   * Rings of ports still watched are kept, so a changed timebase shows the past at once.
   */
  watch(ports: PortRef[], spectrum: boolean, master: boolean, views: ScopeView[] = []): void {
    const key = (p: PortRef) => `${p.node}.${p.port}`;
    const old = new Map(this.watched.map((w) => [key(w.port), w]));
    const all = new Map<string, PortRef>();
    for (const p of ports) all.set(key(p), p);
    for (const v of views) all.set(key(v.port), v.port);
    const long = new Set(
      views.filter((v) => (v.seconds ?? 0) * this.sampleRate > RAW_SIZE / 2).map((v) => key(v.port)),
    );
    this.watched = [...all.entries()].map(([k, port]) => {
      const kept = old.get(k);
      const envelope = long.has(k)
        ? (kept?.envelope ?? new Envelope(Math.ceil((ENVELOPE_SECONDS * this.sampleRate) / ENVELOPE_STEP)))
        : null;
      return kept
        ? { ...kept, port, envelope }
        : { port, ring: new Ring(RAW_SIZE), envelope, level: new Level(), frequency: null };
    });
    this.views = views;
    this.defaults = ports;
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
      w.envelope?.push(buf, frames);
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
    const report: TapReport = { scopes: [], meters: [] };
    const measure = this.reports++ % FREQUENCY_EVERY === 0;
    const byKey = new Map<string, Watched>();
    for (const w of this.watched) {
      byKey.set(`${w.port.node}.${w.port.port}`, w);
      if (measure) w.frequency = this.frequencyOf(w);
      report.meters.push({ port: w.port, ...w.level.take() });
    }
    // The default view (ports watched without a timebase): the newest SCOPE_SAMPLES, as scopes always had.
    for (const port of this.defaults) {
      const w = byKey.get(`${port.node}.${port.port}`);
      if (!w) continue;
      const samples = new Array<number>(SCOPE_SAMPLES);
      for (let i = 0; i < SCOPE_SAMPLES; i++) samples[i] = round(w.ring.at(SCOPE_SAMPLES - 1 - i));
      report.scopes.push({ port, view: viewKey({ port }), samples, step: 1, frequency: w.frequency });
    }
    for (const view of this.views) {
      const w = byKey.get(`${view.port.node}.${view.port.port}`);
      if (!w || view.seconds === undefined) continue;
      const frame = scopeFrame(w, view.seconds, view.trigger ?? 'auto', this.sampleRate);
      report.scopes.push({ port: view.port, view: viewKey(view), frequency: w.frequency, ...frame });
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

  private readonly scratch = new Float32Array(RAW_SIZE);

  private frequencyOf(w: Watched): number | null {
    const filled = w.ring.filled;
    const ordered = w.ring.ordered(this.scratch).subarray(RAW_SIZE - filled);
    const raw = measureFrequency(ordered, this.sampleRate);
    if (raw !== null || !w.envelope) return raw === null ? null : round(raw);
    // Slower than the raw ring can hold three periods of (an LFO): the envelope's midpoints.
    const env = envelopeSource(w.envelope);
    const mids = new Float32Array(env.length);
    for (let i = 0; i < env.length; i++) mids[i] = (env.lo(i) + env.hi(i)) / 2;
    const slow = measureFrequency(mids, this.sampleRate / ENVELOPE_STEP);
    return slow === null ? null : round(slow);
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
