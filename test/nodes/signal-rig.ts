// Test signals for node tests: a source node that plays an exact array (impulses, level steps, NaN in the
// middle of a block…) through the real engine, and rigs whose registry knows it.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { fft } from '../../src/dsp/fft.js';
import { defineNode, stream } from '../../src/engine/definition.js';
import type { RenderEvent } from '../../src/engine/renderer.js';
import { createNodeHost } from '../../src/io/node-host.js';
import { createRegistry, Synchrotron, toPortRef } from '../../src/synchrotron.js';
import { RATE, type Rig } from './render.js';

/** What each TestSignalNode plays, by node name (set before the node is added). */
const signals = new Map<string, Float32Array>();

/** Plays `signals.get(name)` from its first block on, then zeros. */
const TestSignalNode = defineNode({
  type: 'TestSignalNode',
  category: 'test',
  description: 'Test only: plays a prepared array.',
  inputs: {},
  outputs: { out: stream('The array, then zeros.') },
  create(ctx, io) {
    const signal = signals.get(ctx.name) ?? new Float32Array(0);
    const out = io.outputs.out.buf;
    let position = 0;
    return {
      process(frames) {
        for (let i = 0; i < frames; i++) out[i] = position < signal.length ? signal[position++] : 0;
      },
    };
  },
});

/** Rigs (engine + temporary root) that know TestSignalNode, cleaned up after each test. */
export function signalRigsCleanedAfterEachTest(): (options?: { blockSize?: number }) => Rig {
  let open: Rig[] = [];
  afterEach(() => {
    for (const r of open) r.cleanup();
    open = [];
  });
  return (options = {}) => {
    const root = mkdtempSync(join(tmpdir(), 'synchrotron-signal-'));
    const registry = createRegistry();
    registry.register(TestSignalNode);
    const s = new Synchrotron({
      sampleRate: RATE,
      blockSize: options.blockSize ?? 128,
      host: createNodeHost({ root }),
      registry,
    });
    const events: RenderEvent[] = [];
    s.onEvent((event) => events.push(event));
    const r: Rig = {
      s,
      root,
      events,
      capture(ports, frames) {
        const blocks = Math.ceil(frames / s.blockSize);
        const outs = ports.map(() => new Float32Array(blocks * s.blockSize));
        const refs = ports.map(toPortRef);
        for (let b = 0; b < blocks; b++) {
          s.renderBlock();
          refs.forEach((ref, i) => {
            const buf = s.renderer.streamOutput(ref);
            if (!buf) throw new Error(`no stream output ${ref.node}.${ref.port}`);
            outs[i].set(buf, b * s.blockSize);
          });
        }
        return outs.map((o) => o.subarray(0, frames));
      },
      cleanup() {
        s.dispose();
        rmSync(root, { recursive: true, force: true });
      },
    };
    open.push(r);
    return r;
  };
}

/** Adds a TestSignalNode called `name` playing `signal`; returns its output port. */
export function play(r: Rig, name: string, signal: Float32Array): string {
  signals.set(name, signal);
  r.s.add('TestSignalNode', name);
  return `${name}.out`;
}

/** Links a new DataNode holding `value` into `port` (node.port); returns the DataNode's name. */
export function setConstant(r: Rig, port: string, value: number | string): string {
  const holder = `${port.replace('.', '_')}_value`;
  if (r.s.graph.hasNode(holder)) r.s.remove(holder);
  r.s.addValue(value, holder);
  r.s.link(`${holder}.out`, port);
  return holder;
}

/** A sine of `hz` and amplitude `amplitude`, `frames` long. */
export function sine(hz: number, amplitude: number, frames: number, rate = RATE): Float32Array {
  const out = new Float32Array(frames);
  for (let i = 0; i < frames; i++) out[i] = amplitude * Math.sin((2 * Math.PI * hz * i) / rate);
  return out;
}

/** Deterministic white noise in ±amplitude (a fixed LCG, so renders repeat exactly). */
export function noise(frames: number, amplitude = 1, seed = 12345): Float32Array {
  const out = new Float32Array(frames);
  let state = seed >>> 0;
  for (let i = 0; i < frames; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = amplitude * (state / 2 ** 31 - 1);
  }
  return out;
}

/** Largest |x| of signal[from, to). */
export function peakOf(signal: Float32Array, from = 0, to = signal.length): number {
  let max = 0;
  for (let i = from; i < to; i++) max = Math.max(max, Math.abs(signal[i]));
  return max;
}

/**
 * Magnitude spectrum with a 4-term Blackman–Harris window (side lobes −92 dB), for measurements that
 * need a deep floor (aliasing at −60 dB next to strong harmonics). Uses the first power of two ≤ length.
 */
export function deepSpectrum(
  signal: Float32Array,
  sampleRate = RATE,
): { magnitudes: Float64Array; binHz: number } {
  let n = 1;
  while (n * 2 <= signal.length) n *= 2;
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = (2 * Math.PI * i) / (n - 1);
    const w = 0.35875 - 0.48829 * Math.cos(t) + 0.14128 * Math.cos(2 * t) - 0.01168 * Math.cos(3 * t);
    re[i] = signal[i] * w;
  }
  fft(re, im);
  const magnitudes = new Float64Array(n / 2 + 1);
  for (let i = 0; i <= n / 2; i++) magnitudes[i] = Math.hypot(re[i], im[i]);
  return { magnitudes, binHz: sampleRate / n };
}

/**
 * Clickiness: the largest fourth difference relative to `peak`. A tone of frequency f scores about
 * (2π·f/rate)⁴ (1e-6 at 220 Hz), whatever its level; a step of 1 % of the level scores about 3e-2.
 */
export function clickiness(signal: Float32Array, peak: number): number {
  let max = 0;
  for (let i = 4; i < signal.length; i++)
    max = Math.max(
      max,
      Math.abs(signal[i] - 4 * signal[i - 1] + 6 * signal[i - 2] - 4 * signal[i - 3] + signal[i - 4]),
    );
  return max / peak;
}

/**
 * The yardstick for "does not click": the clickiness of a tone of `hz` faded out linearly over 5 ms from
 * one of its peaks, the usual declick at its least gentle (about 1e-2). A change that scores well below
 * it does not click.
 */
export function fadeOutClickiness(hz: number): number {
  const tone = sine(hz, 1, RATE / 5);
  const fade = Math.round(0.005 * RATE);
  const start = Math.round((Math.ceil(0.05 * hz) + 0.25) * (RATE / hz)); // a peak, after 50 ms or more
  for (let i = start; i < tone.length; i++) tone[i] *= Math.max(0, 1 - (i - start) / fade);
  return clickiness(tone, 1);
}
