// Looking at the sound: an oscilloscope and level meter per watched output port, and a spectrum and
// level of the master output — all fed by /ws pushes and drawn on canvases in one animation loop.

import { useRef } from 'react';
import { cssVar, fitCanvas, useAnimationFrame } from '../animation';
import type { ApiPort } from '../api';
import { portKey, type ScopeData, store, useStore } from '../store';

const DB_FLOOR = -60;
export const toDb = (x: number) => (x > 0 ? 20 * Math.log10(x) : Number.NEGATIVE_INFINITY);

/** Rising zero crossings (with hysteresis), interpolated to fractions of a sample. */
export function risingCrossings(samples: Float32Array): number[] {
  let peak = 0;
  for (const s of samples) peak = Math.max(peak, Math.abs(s));
  const threshold = peak * 0.05;
  const crossings: number[] = [];
  let armed = false;
  let mean = 0;
  for (const s of samples) mean += s;
  mean /= samples.length || 1;
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1] - mean;
    const b = samples[i] - mean;
    if (a < -threshold) armed = true;
    if (armed && a < 0 && b >= 0) {
      crossings.push(i - 1 + -a / (b - a || 1));
      armed = false;
    }
  }
  return crossings;
}

/** Period of the waveform in samples (mean distance of rising crossings), or null. */
export function measurePeriod(samples: Float32Array): number | null {
  const c = risingCrossings(samples);
  if (c.length < 3) return null;
  return (c[c.length - 1] - c[0]) / (c.length - 1);
}

/** Horizontal level meter: RMS bar, peak line with hold, dBFS scale −60…0. */
export function Meter({
  signal,
  testId,
}: {
  signal: () => { peak: number; rms: number } | null;
  testId?: string;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const hold = useRef({ peak: 0, rms: 0, held: DB_FLOOR, heldAt: 0 });
  useAnimationFrame((now) => {
    const el = canvas.current;
    if (!el) return;
    const { ctx, width, height } = fitCanvas(el);
    const level = signal();
    const h = hold.current;
    // Fast attack, ~20 dB/s fall, so the bar reads like a real meter.
    const peak = level?.peak ?? 0;
    const rms = level?.rms ?? 0;
    h.peak = Math.max(peak, h.peak * 0.92);
    h.rms = Math.max(rms, h.rms * 0.9);
    const peakDb = toDb(h.peak);
    if (peakDb >= h.held || now - h.heldAt > 1500) {
      h.held = Math.max(peakDb, DB_FLOOR);
      h.heldAt = now;
    }
    const x = (db: number) => (Math.max(DB_FLOOR, Math.min(0, db)) / -DB_FLOOR + 1) * width;
    ctx.clearRect(0, 0, width, height);
    ctx.fillStyle = cssVar('--meter-bg');
    ctx.fillRect(0, 0, width, height);
    const gradient = ctx.createLinearGradient(0, 0, width, 0);
    gradient.addColorStop(0, cssVar('--ok'));
    gradient.addColorStop(0.8, cssVar('--ok'));
    gradient.addColorStop(0.9, cssVar('--warn'));
    gradient.addColorStop(1, cssVar('--bad'));
    ctx.fillStyle = gradient;
    ctx.globalAlpha = 0.45;
    ctx.fillRect(0, 0, x(peakDb), height);
    ctx.globalAlpha = 1;
    ctx.fillRect(0, height * 0.25, x(toDb(h.rms)), height * 0.5);
    ctx.fillStyle = h.held > -0.1 ? cssVar('--bad') : cssVar('--fg');
    ctx.fillRect(x(h.held) - 1, 0, 2, height);
    el.dataset.peakDb = Number.isFinite(peakDb) ? peakDb.toFixed(1) : '-inf';
  });
  return <canvas ref={canvas} className="meter" data-testid={testId} aria-label="level meter" />;
}

function Scope({ port }: { port: ApiPort }) {
  const key = portKey(port);
  const canvas = useRef<HTMLCanvasElement>(null);
  const label = useRef<HTMLSpanElement>(null);
  const lastLabel = useRef(0);
  useAnimationFrame((now) => {
    const el = canvas.current;
    if (!el) return;
    const { ctx, width, height, dpr } = fitCanvas(el);
    const data: ScopeData | undefined = store.signals.get(key);
    ctx.clearRect(0, 0, width, height);
    ctx.strokeStyle = cssVar('--grid');
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(0, height / 2);
    ctx.lineTo(width, height / 2);
    ctx.stroke();
    if (!data || data.samples.length < 2) return;
    const samples = data.samples;
    // Show up to 20 ms, starting at a rising zero crossing (searched in the first quarter or more) so
    // the trace stands still from one window to the next.
    const span = Math.max(2, Math.floor(Math.min(samples.length * 0.75, data.sampleRate * 0.02)));
    const crossings = risingCrossings(samples.subarray(0, samples.length - span + 1));
    const start = crossings.length ? Math.floor(crossings[crossings.length - 1]) : samples.length - span;
    let peak = 0;
    for (let i = start; i < start + span; i++) peak = Math.max(peak, Math.abs(samples[i]));
    // Auto-range to the next power of two above the peak (quiet signals are magnified too).
    const range = peak > 1e-4 ? 2 ** Math.ceil(Math.log2(peak)) : 1;
    ctx.strokeStyle = cssVar('--accent');
    ctx.lineWidth = 1.5 * dpr;
    ctx.beginPath();
    for (let i = 0; i < span; i++) {
      const x = (i / (span - 1)) * width;
      const y = height / 2 - (samples[start + i] / range) * (height / 2 - 2 * dpr);
      if (i === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    }
    ctx.stroke();
    el.dataset.span = String(span);
    if (now - lastLabel.current > 250 && label.current) {
      lastLabel.current = now;
      const period = measurePeriod(samples);
      const hz = period ? data.sampleRate / period : null;
      label.current.textContent = `${hz ? `${hz < 100 ? hz.toFixed(2) : hz.toFixed(1)} Hz · ` : ''}±${range < 0.01 ? range.toExponential(0) : range}`;
      label.current.dataset.frequency = hz ? String(hz) : '';
      el.dataset.periodSamples = period ? String(period) : '';
    }
  });
  return (
    <div className="scope" data-testid={`scope-${key}`}>
      <div className="scope-head">
        <span className="scope-name" title={key}>
          {key}
        </span>
        <span className="scope-freq" ref={label} data-testid={`scope-freq-${key}`} />
        <button
          type="button"
          className="icon-button"
          title="Stop watching"
          aria-label={`stop watching ${key}`}
          onClick={() => store.toggleWatch(port)}
        >
          ×
        </button>
      </div>
      <canvas ref={canvas} className="scope-canvas" data-testid={`scope-canvas-${key}`} />
      <Meter signal={() => store.signals.get(key) ?? null} />
    </div>
  );
}

function Spectrum() {
  const canvas = useRef<HTMLCanvasElement>(null);
  const smooth = useRef<Float32Array | null>(null);
  useAnimationFrame(() => {
    const el = canvas.current;
    if (!el) return;
    const { ctx, width, height, dpr } = fitCanvas(el);
    ctx.clearRect(0, 0, width, height);
    const floor = -100;
    const fMin = 20;
    const spectrum = store.spectrum;
    const nyquist = (spectrum?.sampleRate ?? 44100) / 2;
    const xOf = (f: number) => (Math.log(f / fMin) / Math.log(nyquist / fMin)) * width;
    const yOf = (db: number) => (Math.max(floor, Math.min(0, db)) / floor) * height;
    ctx.strokeStyle = cssVar('--grid');
    ctx.fillStyle = cssVar('--muted');
    ctx.font = `${10 * dpr}px system-ui, sans-serif`;
    ctx.lineWidth = 1;
    for (const f of [100, 1000, 10000]) {
      ctx.beginPath();
      ctx.moveTo(xOf(f), 0);
      ctx.lineTo(xOf(f), height);
      ctx.stroke();
      ctx.fillText(f >= 1000 ? `${f / 1000}k` : String(f), xOf(f) + 3 * dpr, height - 3 * dpr);
    }
    for (const db of [-20, -40, -60, -80]) {
      ctx.beginPath();
      ctx.moveTo(0, yOf(db));
      ctx.lineTo(width, yOf(db));
      ctx.stroke();
    }
    if (!spectrum?.bins.length) return;
    const bins = spectrum.bins;
    if (!smooth.current || smooth.current.length !== bins.length) smooth.current = Float32Array.from(bins);
    const s = smooth.current;
    // Fast rise, slow fall (≈ a peak-hold display without flicker).
    for (let i = 0; i < bins.length; i++) s[i] = bins[i] > s[i] ? bins[i] : s[i] * 0.85 + bins[i] * 0.15;
    const binHz = nyquist / bins.length;
    ctx.beginPath();
    ctx.moveTo(0, height);
    let lastX = -1;
    for (let i = 1; i < s.length; i++) {
      const x = xOf(i * binHz);
      if (x < 0) continue;
      if (x - lastX < 0.5 && i < s.length - 1) continue;
      lastX = x;
      ctx.lineTo(x, yOf(s[i]));
    }
    ctx.lineTo(width, height);
    ctx.closePath();
    const gradient = ctx.createLinearGradient(0, 0, 0, height);
    gradient.addColorStop(0, cssVar('--accent'));
    gradient.addColorStop(1, 'transparent');
    ctx.fillStyle = gradient;
    ctx.globalAlpha = 0.6;
    ctx.fill();
    ctx.globalAlpha = 1;
    ctx.strokeStyle = cssVar('--accent');
    ctx.lineWidth = 1.2 * dpr;
    ctx.stroke();
  });
  return (
    <canvas ref={canvas} className="spectrum-canvas" data-testid="spectrum" aria-label="master spectrum" />
  );
}

export function Looking() {
  const watched = useStore((s) => s.watched);
  return (
    <aside className="looking panel" aria-label="Scopes and spectrum">
      <div className="looking-section">
        <div className="section-title">Master</div>
        <Spectrum />
        <Meter signal={() => store.signals.get('master') ?? null} testId="master-meter" />
      </div>
      <div className="looking-section scopes">
        <div className="section-title">Scopes</div>
        {watched.length === 0 && (
          <p className="hint">
            Click the <span className="wave-icon">∿</span> beside a stream output to watch it here.
          </p>
        )}
        {watched.map((port) => (
          <Scope key={portKey(port)} port={port} />
        ))}
      </div>
    </aside>
  );
}
