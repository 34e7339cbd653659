// The side panel: a map of the graph, the master's spectrum and level, an oscilloscope per watched
// output (timebase 1 ms…10 s, trigger, frequency readout, rolling mode), value snapshots and MIDI
// mappings. Signals come from /ws pushes and are drawn on canvases in one animation loop.

import { MiniMap } from '@xyflow/react';
import { useRef } from 'react';
import { changed, cssVar, fitCanvas, useAnimationFrame } from '../animation';
import type { ApiPort } from '../api';
import { formatControl } from '../controls';
import { history } from '../history';
import { removeMapping, setLearning, useLearning, useMappings } from '../midimap';
import { togglePanel } from '../panels';
import { clearSnapshot, morph, recallSnapshot, SLOTS, storeSnapshot, useSnapshots } from '../snapshots';
import { portKey, type ScopeData, type ScopeMode, store, useStore } from '../store';
import { Files } from './Files';

const DB_FLOOR = -60;
export const toDb = (x: number) => (x > 0 ? 20 * Math.log10(x) : Number.NEGATIVE_INFINITY);

/** Scope timebases, 1-2-5 from 1 ms to 10 s. */
export const TIMEBASES = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10];
const MODES: Array<{ mode: ScopeMode; label: string; title: string }> = [
  { mode: 'auto', label: 'Auto', title: 'Triggered on a rising edge; free-running when there is none' },
  { mode: 'rising', label: 'Rise', title: 'Only on a rising edge: the last trace stays until the next' },
  { mode: 'free', label: 'Free', title: 'Untriggered: the newest window' },
  { mode: 'roll', label: 'Roll', title: 'Scrolls like a chart recorder: for envelopes and LFOs' },
];

export const formatSeconds = (s: number) => (s < 1 ? `${Math.round(s * 1000)} ms` : `${s} s`);
export const formatHz = (hz: number) =>
  hz >= 1000
    ? `${(hz / 1000).toFixed(hz >= 10000 ? 2 : 3)} kHz`
    : `${hz.toFixed(hz < 10 ? 3 : hz < 100 ? 2 : 1)} Hz`;

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
  const settings = useStore((s) => s.scopes[key]) ?? store.scopeSettings(port);
  const canvas = useRef<HTMLCanvasElement>(null);
  const label = useRef<HTMLSpanElement>(null);
  const lastLabel = useRef(0);
  useAnimationFrame((now) => {
    const el = canvas.current;
    if (!el) return;
    const data: ScopeData | undefined = store.signals.get(key);
    // Redrawn when a frame arrives (rolling: always, it moves between frames).
    if (!changed(el, settings.mode === 'roll' ? now : `${data?.updated}${settings.mode}`)) return;
    const { ctx, width, height, dpr } = fitCanvas(el);
    ctx.clearRect(0, 0, width, height);
    ctx.strokeStyle = cssVar('--grid');
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (let i = 1; i < 10; i++) {
      ctx.moveTo(Math.round((i * width) / 10) + 0.5, 0);
      ctx.lineTo(Math.round((i * width) / 10) + 0.5, height);
    }
    ctx.moveTo(0, height / 2);
    ctx.lineTo(width, height / 2);
    ctx.stroke();
    if (!data || data.samples.length < 2) return;
    const { samples, min, max } = data;
    const n = samples.length;
    let peak = 0;
    for (let i = 0; i < n; i++)
      peak = Math.max(peak, Math.abs(min ? min[i] : samples[i]), Math.abs(max ? max[i] : samples[i]));
    // Auto-range to the next power of two above the peak (quiet signals are magnified too).
    const range = peak > 1e-4 ? 2 ** Math.ceil(Math.log2(peak)) : 1;
    const y = (v: number) => height / 2 - (v / range) * (height / 2 - 2 * dpr);
    // The window's time spans the width; rolling, the trace moves left with the time since it arrived.
    const span = data.seconds || (data.step * (n - 1)) / data.sampleRate;
    const shift =
      settings.mode === 'roll'
        ? Math.min(0.1, (now - data.updated) / 1000 / Math.max(span, 1e-3)) * width
        : 0;
    const x = (i: number) => (i / (n - 1)) * width - shift;
    ctx.strokeStyle = cssVar('--accent');
    ctx.fillStyle = cssVar('--accent');
    ctx.lineWidth = 1.5 * dpr;
    if (min && max) {
      // Columns of extremes: a band from min to max (a fast signal in a long window fills it).
      ctx.globalAlpha = 0.55;
      ctx.beginPath();
      for (let i = 0; i < n; i++) ctx.lineTo(x(i), y(max[i]) - 0.5 * dpr);
      for (let i = n - 1; i >= 0; i--) ctx.lineTo(x(i), y(min[i]) + 0.5 * dpr);
      ctx.closePath();
      ctx.fill();
      ctx.globalAlpha = 1;
    }
    ctx.beginPath();
    for (let i = 0; i < n; i++) {
      if (i === 0) ctx.moveTo(x(i), y(samples[i]));
      else ctx.lineTo(x(i), y(samples[i]));
    }
    ctx.stroke();
    if (data.triggered && data.trigger !== undefined && settings.mode !== 'roll') {
      ctx.fillStyle = cssVar('--warn');
      const tx = x(data.trigger);
      ctx.beginPath();
      ctx.moveTo(tx - 4 * dpr, 0);
      ctx.lineTo(tx + 4 * dpr, 0);
      ctx.lineTo(tx, 5 * dpr);
      ctx.fill();
    }
    el.dataset.span = String(Math.round(data.step * (n - 1)) + 1);
    el.dataset.points = String(n);
    el.dataset.seconds = String(span);
    el.dataset.triggered = String(data.triggered);
    el.dataset.first = String(samples[0]);
    el.dataset.frame = String(data.updated);
    if (now - lastLabel.current > 200 && label.current) {
      lastLabel.current = now;
      const hz = data.frequency;
      label.current.textContent = `${hz ? `${formatHz(hz)} · ` : ''}±${range < 0.01 ? range.toExponential(0) : range}${data.waiting ? ' · waiting' : ''}`;
      label.current.dataset.frequency = hz ? String(hz) : '';
      el.dataset.periodSamples = hz ? String(data.sampleRate / hz) : '';
    }
  });
  return (
    <div className="scope" data-testid={`scope-${key}`}>
      <div className="scope-head">
        <span className="scope-name" title={key}>
          {key}
        </span>
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
      {/* The readout sits on the trace, as on a hardware scope: the header keeps its width for the name. */}
      <div className="scope-screen">
        <canvas ref={canvas} className="scope-canvas" data-testid={`scope-canvas-${key}`} />
        <span className="scope-freq" ref={label} data-testid={`scope-freq-${key}`} />
      </div>
      <div className="scope-controls">
        <label title="Time across the scope">
          <span className="visually-hidden">timebase of {key}</span>
          <select
            value={settings.seconds}
            data-testid={`scope-timebase-${key}`}
            onChange={(e) => store.setScope(port, { seconds: Number(e.target.value) })}
          >
            {TIMEBASES.map((s) => (
              <option key={s} value={s}>
                {formatSeconds(s)}
              </option>
            ))}
          </select>
        </label>
        <fieldset className="segmented" aria-label={`trigger of ${key}`}>
          {MODES.map((m) => (
            <button
              key={m.mode}
              type="button"
              aria-pressed={settings.mode === m.mode}
              title={m.title}
              data-testid={`scope-mode-${key}-${m.mode}`}
              className={settings.mode === m.mode ? 'on' : ''}
              onClick={() => store.setScope(port, { mode: m.mode })}
            >
              {m.label}
            </button>
          ))}
        </fieldset>
      </div>
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
    if (!changed(el, store.spectrum?.updated)) return;
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
    // The strongest bin's frequency, for tests and tools (as the scopes expose theirs).
    let strongest = 1;
    for (let i = 2; i < bins.length; i++) if (bins[i] > bins[strongest]) strongest = i;
    el.dataset.peakHz = String(Math.round((strongest * nyquist) / bins.length));
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

function Snapshots() {
  const slots = useSnapshots();
  const morphFrom = useRef(0);
  const morphTo = useRef(1);
  const filled = slots.flatMap((s, i) => (s ? [i] : []));
  return (
    <div className="looking-section" data-testid="snapshots">
      <div className="section-title">Snapshots</div>
      <div className="snapshot-slots">
        {slots.map((slot, i) => (
          <button
            // biome-ignore lint/suspicious/noArrayIndexKey: slots are positions
            key={i}
            type="button"
            className={`snapshot-slot${slot ? ' filled' : ''}`}
            data-testid={`snapshot-${i + 1}`}
            title={
              slot
                ? `Snapshot ${i + 1}: click to recall, Shift+click to store again, Alt+click to clear`
                : `Snapshot ${i + 1}: click to store every value now`
            }
            aria-label={slot ? `recall snapshot ${i + 1}` : `store snapshot ${i + 1}`}
            onClick={(e) => {
              if (e.altKey && slot) clearSnapshot(i);
              else if (!slot || e.shiftKey) storeSnapshot(i);
              else void recallSnapshot(i);
            }}
          >
            {i + 1}
          </button>
        ))}
      </div>
      {filled.length >= 2 && (
        <div className="morph">
          <select
            aria-label="morph from snapshot"
            defaultValue={filled[0]}
            onChange={(e) => {
              morphFrom.current = Number(e.target.value);
            }}
            ref={(el) => {
              if (el) morphFrom.current = Number(el.value);
            }}
          >
            {filled.map((i) => (
              <option key={i} value={i}>
                {i + 1}
              </option>
            ))}
          </select>
          <input
            type="range"
            min={0}
            max={1}
            step={0.001}
            defaultValue={0}
            aria-label="morph between the two snapshots"
            data-testid="morph"
            onPointerDown={() => history.seal()}
            onPointerUp={() => history.seal()}
            onChange={(e) => void morph(morphFrom.current, morphTo.current, Number(e.target.value))}
          />
          <select
            aria-label="morph to snapshot"
            defaultValue={filled[1]}
            onChange={(e) => {
              morphTo.current = Number(e.target.value);
            }}
            ref={(el) => {
              if (el) morphTo.current = Number(el.value);
            }}
          >
            {filled.map((i) => (
              <option key={i} value={i}>
                {i + 1}
              </option>
            ))}
          </select>
        </div>
      )}
      {filled.length < 2 && slots.length === SLOTS && (
        <p className="hint">Store two snapshots to morph between them.</p>
      )}
    </div>
  );
}

function MidiMappings() {
  const learning = useLearning();
  const mappings = useMappings();
  return (
    <div className="looking-section" data-testid="midi-mappings">
      <div className="section-title section-row">
        MIDI controls
        <button
          type="button"
          className={`small${learning ? ' on' : ''}`}
          aria-pressed={learning}
          data-testid="midi-learn"
          title="MIDI learn: click a control, then move a knob on a MIDI controller"
          onClick={() => setLearning(!learning)}
        >
          {learning ? 'Done' : 'Learn'}
        </button>
      </div>
      {learning && <p className="hint">Click a slider, then move a controller.</p>}
      {mappings.length > 0 && (
        <ul className="mappings">
          {mappings.map((m) => (
            <li key={`${m.channel}:${m.cc}`} data-testid={`mapping-${m.node}`}>
              <span>
                CC {m.cc}
                {m.channel !== 1 ? ` ch ${m.channel}` : ''} → <b>{m.node}</b>{' '}
                <span className="muted">
                  {formatControl(m.range.min, m.range.unit)}…{formatControl(m.range.max, m.range.unit)}
                </span>
              </span>
              <button
                type="button"
                className="icon-button"
                aria-label={`forget the mapping of CC ${m.cc} to ${m.node}`}
                onClick={() => removeMapping(m)}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function Looking() {
  const watched = useStore((s) => s.watched);
  const count = useStore((s) => s.nodes.size);
  return (
    <aside className="looking panel" aria-label="Scopes and spectrum">
      <div className="looking-head">
        <span className="section-title">Map</span>
        <button
          type="button"
          className="icon-button"
          title="Hide the side panel"
          aria-label="hide the side panel"
          data-testid="hide-side"
          onClick={() => togglePanel('side')}
        >
          ›
        </button>
      </div>
      {count > 0 && (
        <MiniMap
          pannable
          zoomable
          className="side-map"
          position="top-left"
          ariaLabel="map of the graph"
          nodeClassName={(n) => `mini-${(n.data as { node: { type: string } }).node.type}`}
        />
      )}
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
      <Files />
      <Snapshots />
      <MidiMappings />
    </aside>
  );
}
