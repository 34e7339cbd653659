// DelayNode measured: impulses returning to the exact sample, echoes decaying by `feedback`, fractional
// delays flat to 8 kHz, modulated times without clicks, clamped and structural values.

import { describe, expect, it } from 'vitest';
import { DelayNode } from '../../src/nodes/delay/delay-node.js';
import { allFinite, maxStep, peak, responseAt, rms, thirdOctaves, toDb } from '../helpers/analysis.js';
import { node, RATE, type Rig, renderInstance, rig, rigsCleanedAfterEachTest } from './render.js';

const make = rigsCleanedAfterEachTest();

function faults(r: Rig): string[] {
  return r.events.filter((e) => e.kind === 'fault').map((e) => (e as { message: string }).message);
}

function warnings(r: Rig): string[] {
  return r.events.filter((e) => e.kind === 'warning').map((e) => (e as { message: string }).message);
}

/** A single sample of `height` at frame 0 (a ClockNode that ticks once) into `sink`. */
function impulseInto(r: Rig, sink: string, height = 1): void {
  node(r, 'ClockNode', 'imp_clock', { frequency: 1e-6 });
  node(r, 'MultiplyNode', 'imp', { b: height });
  r.s.link('imp_clock.out', 'imp.a');
  r.s.link('imp.out', sink);
}

/** centre + depth·sin(2π·hz·t), as `name.out`. */
function lfo(r: Rig, name: string, hz: number, centre: number, depth: number): string {
  node(r, 'SineNode', `${name}_osc`, { frequency: hz });
  node(r, 'MultiplyNode', `${name}_depth`, { b: depth });
  node(r, 'AddNode', name, { b: centre });
  r.s.link(`${name}_osc.out`, `${name}_depth.a`);
  r.s.link(`${name}_depth.out`, `${name}.a`);
  return `${name}.out`;
}

/** Indices and values of the samples whose magnitude exceeds `threshold`. */
function nonZero(signal: Float32Array, threshold = 1e-7): Array<[number, number]> {
  const found: Array<[number, number]> = [];
  for (let i = 0; i < signal.length; i++) if (Math.abs(signal[i]) > threshold) found.push([i, signal[i]]);
  return found;
}

describe('DelayNode', () => {
  it.each([
    [0.25, 11025],
    [0.1, 4410], // 0.1 is not exact in float32: the delay is still exactly 4410 samples
    [1.5, 66150],
    [2 / RATE, 2],
  ])('an impulse comes back after exactly time·rate samples when that is whole (%d s)', (time, samples) => {
    const r = make();
    node(r, 'DelayNode', 'd', { time });
    impulseInto(r, 'd.input');
    const out = r.capture(['d.out'], samples + 1000)[0];
    expect(nonZero(out)).toEqual([[samples, 1]]);
    expect(faults(r)).toEqual([]);
  });

  it('fractional delays interpolate from at least 4 points and stay flat within 1 dB to 8 kHz', () => {
    for (const fraction of [0.25, 0.5, 0.75]) {
      const samples = 1000 + fraction;
      const r = make();
      node(r, 'DelayNode', 'd', { time: samples / RATE });
      impulseInto(r, 'd.input');
      const out = r.capture(['d.out'], 4096)[0];
      const taps = nonZero(out, 1e-6);
      expect(taps.length, `fraction ${fraction}`).toBeGreaterThanOrEqual(4);
      // The taps are centred on the fractional position (their centroid is the delay).
      const centroid = taps.reduce((sum, [i, v]) => sum + i * v, 0) / taps.reduce((sum, [, v]) => sum + v, 0);
      expect(centroid).toBeCloseTo(samples, 1);
      for (const hz of thirdOctaves(20, 8000)) {
        const db = toDb(responseAt(out, hz, RATE));
        expect(Math.abs(db), `fraction ${fraction} at ${hz.toFixed(0)} Hz`).toBeLessThan(1);
        expect(db, 'never above 0 dB, so feedback cannot grow').toBeLessThan(1e-6);
      }
      // Linear interpolation would lose 1.5 dB at 8 kHz at fraction 0.5; this is within 0.4 dB.
      if (fraction === 0.5) expect(toDb(responseAt(out, 8000, RATE))).toBeGreaterThan(-0.4);
    }
  });

  it.each([0.5, -0.7, 0.99])('repeats decay by the feedback each time (feedback %d)', (feedback) => {
    const delay = 441; // 10 ms
    const r = make();
    node(r, 'DelayNode', 'd', { time: delay / RATE, feedback });
    impulseInto(r, 'd.input');
    const out = r.capture(['d.out'], 8 * delay + 10)[0];
    const echoes = nonZero(out, 1e-9);
    expect(echoes.map(([i]) => i)).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((k) => k * delay));
    for (const [k, [, v]] of echoes.entries()) expect(v).toBeCloseTo(Math.fround(feedback) ** k, 6);
  });

  it('repeats decay by the feedback at a fractional time too (each echo sums to feedback^k)', () => {
    const delay = 300.4;
    const r = make();
    node(r, 'DelayNode', 'd', { time: delay / RATE, feedback: 0.6 });
    impulseInto(r, 'd.input');
    const out = r.capture(['d.out'], 7 * 300 + 400)[0];
    for (let k = 1; k <= 6; k++) {
      // Each echo spreads over a few samples around k·delay; the interpolator passes DC whole.
      const centre = Math.round(k * delay);
      let sum = 0;
      for (let i = centre - 20; i <= centre + 20; i++) sum += out[i];
      expect(sum, `echo ${k}`).toBeCloseTo(Math.fround(0.6) ** (k - 1), 4);
    }
  });

  it('clamps time to 2 samples…maxTime and feedback to ±0.99 (0, negative, huge)', () => {
    const impulseAt = (inputs: Record<string, number>) => {
      const r = make();
      node(r, 'DelayNode', 'd', inputs);
      impulseInto(r, 'd.input');
      const out = r.capture(['d.out'], 0.6 * RATE)[0];
      expect(allFinite(out)).toBe(true);
      return nonZero(out, 1e-9);
    };
    expect(impulseAt({ time: 0 })[0]).toEqual([2, 1]);
    expect(impulseAt({ time: -5 })[0]).toEqual([2, 1]);
    expect(impulseAt({ time: 1e9, maxTime: 0.1 })[0]).toEqual([4410, 1]);
    expect(impulseAt({ time: 0.3, maxTime: 0.1 })[0]).toEqual([4410, 1]);
    expect(impulseAt({ time: 0.01, maxTime: -1 })[0]).toEqual([2, 1]); // maxTime clamped to 0: 2 samples
    const repeats = impulseAt({ time: 0.01, feedback: 1e9 });
    expect(repeats[1][1]).toBeCloseTo(0.99, 6);
    expect(impulseAt({ time: 0.01, feedback: -1e9 })[1][1]).toBeCloseTo(-0.99, 6);
  });

  it('maxTime is at most 60 s: 70 s asks for 60', () => {
    const rate = 4000; // a small rate keeps the 60 s render short
    const r = rig({ sampleRate: rate });
    try {
      node(r, 'DelayNode', 'd', { time: 70, maxTime: 70 });
      impulseInto(r, 'd.input');
      const out = r.capture(['d.out'], 60 * rate + 100)[0];
      expect(nonZero(out)).toEqual([[60 * rate, 1]]);
    } finally {
      r.cleanup();
    }
  });

  it('maxTime is structural: only a value links into it, and a new value makes a new, silent line', async () => {
    const r = make();
    node(r, 'DelayNode', 'd', { time: 0.5, maxTime: 1 });
    node(r, 'SineNode', 'osc', { frequency: 1 });
    expect(() => r.s.link('osc.out', 'd.maxTime')).toThrow(/structural.*takes a value/);
    impulseInto(r, 'd.input');
    const first = r.capture(['d.out'], 0.25 * RATE)[0];
    expect(peak(first)).toBe(0);
    r.s.setValue('d_maxTime', 3); // the impulse still in the line is dropped with it
    await r.s.ready();
    r.s.setValue('d_time', 2.5);
    const rest = r.capture(['d.out'], 3 * RATE)[0];
    expect(peak(rest)).toBe(0);
    // The longer line works: a new impulse comes back 2.5 s later.
    r.s.setValue('imp_clock_frequency', 0);
    r.s.remove('imp_clock');
    node(r, 'ClockNode', 'again', { frequency: 1e-6 });
    r.s.link('again.out', 'imp.a');
    const echo = r.capture(['d.out'], 2.6 * RATE)[0];
    expect(nonZero(echo).map(([i]) => i)).toEqual([Math.round(2.5 * RATE)]);
    expect(faults(r)).toEqual([]);
  });

  it('a maxTime that is not a number is a warning, and the line keeps the default 2 s', () => {
    const r = make();
    node(r, 'DelayNode', 'd', { time: 1.5, maxTime: 'long' });
    impulseInto(r, 'd.input');
    const out = r.capture(['d.out'], 1.6 * RATE)[0];
    expect(nonZero(out).map(([i]) => i)).toEqual([Math.round(1.5 * RATE)]);
    expect(warnings(r).some((m) => m.includes('maxTime') && m.includes('"long"'))).toBe(true);
  });

  it('follows time swept at audio rate (chorus, flanger) without clicks', () => {
    for (const { hz, centre, depth } of [
      { hz: 0.8, centre: 0.02, depth: 0.005 }, // chorus
      { hz: 0.25, centre: 0.003, depth: 0.0025 }, // flanger
      { hz: 110, centre: 0.005, depth: 0.0005 }, // audio-rate vibrato: ±7.6 % pitch, 110 times a second
    ]) {
      const r = make();
      node(r, 'DelayNode', 'd');
      node(r, 'SineNode', 'x', { frequency: 1000 });
      r.s.link('x.out', 'd.input');
      r.s.link(lfo(r, 'time', hz, centre, depth), 'd.time');
      const [out, x] = r.capture(['d.out', 'x.out'], 2 * RATE);
      const settled = out.subarray(RATE / 10);
      // Read at a speed between 1 − s and 1 + s, where s is the sweep's largest slope (samples per sample).
      const slope = 2 * Math.PI * hz * depth;
      const what = `${hz} Hz sweep`;
      expect(maxStep(settled), what).toBeLessThan(maxStep(x) * (1 + slope) * 1.01);
      expect(rms(settled), what).toBeCloseTo(Math.SQRT1_2, 2); // a pitch-moving sine, at full level
    }
  });

  it('crossfades when a DataNode jumps the time, instead of clicking (any block size)', () => {
    for (const blockSize of [128, 4096]) {
      const r = make(blockSize);
      node(r, 'DelayNode', 'd', { time: 0.25 });
      node(r, 'SineNode', 'x', { frequency: 700 });
      r.s.link('x.out', 'd.input');
      const [before, x] = r.capture(['d.out', 'x.out'], RATE / 2);
      r.s.setValue('d_time', 0.1037);
      const after = r.capture(['d.out'], RATE / 2)[0];
      const own = maxStep(x);
      expect(maxStep(before.subarray(11100))).toBeLessThan(own * 1.001);
      expect(maxStep(after), `block size ${blockSize}`).toBeLessThan(own * 1.2);
      expect(rms(after.subarray(RATE / 4))).toBeCloseTo(Math.SQRT1_2, 2);
    }
  });

  it('stays finite and bounded with time and feedback as noise at audio rate, sane and absurd', () => {
    for (const [low, high, fbLow, fbHigh] of [
      [0, 0.05, -0.99, 0.99],
      [-1e9, 1e9, -5, 5],
      [0, 0, 1, 1],
    ]) {
      const r = make();
      node(r, 'DelayNode', 'd', { maxTime: 0.1 });
      node(r, 'UniformRandomNode', 'x', { min: -1, max: 1 });
      node(r, 'UniformRandomNode', 'time', { min: low, max: high });
      node(r, 'UniformRandomNode', 'fb', { min: fbLow, max: fbHigh });
      r.s.link('x.out', 'd.input');
      r.s.link('time.out', 'd.time');
      r.s.link('fb.out', 'd.feedback');
      const out = r.capture(['d.out'], RATE)[0];
      expect(allFinite(out)).toBe(true);
      expect(peak(out)).toBeLessThanOrEqual(125); // the line is held within ±100, taps add ≤ 25 %
      expect(faults(r)).toEqual([]);
    }
  });

  it('clamps NaN and ±Infinity inside a stream block instead of turning them into NaN', () => {
    const absurd = [Number.NaN, Infinity, -Infinity, 1e9, -1e9, 0, 3.4e38];
    const cycle = (offset: number) => Float32Array.from({ length: 128 }, (_, i) => absurd[(i + offset) % 7]);
    const outputs = renderInstance(
      DelayNode,
      { input: cycle(0), time: cycle(2), feedback: cycle(4), maxTime: 0.01 },
      { blocks: 40 },
    );
    expect(allFinite(outputs.out)).toBe(true);
    expect(peak(outputs.out)).toBeLessThanOrEqual(125);
    // A NaN time reads as the default (0.25 s, here clamped to maxTime): an impulse returns at 441.
    const impulse = new Float32Array(128);
    impulse[0] = 1;
    const nanTime = renderInstance(
      DelayNode,
      { input: impulse, time: new Float32Array(128).fill(Number.NaN), maxTime: 0.01 },
      { blocks: 4 },
    );
    expect(nonZero(nanTime.out).map(([i]) => i)).toEqual([441]);
  });

  it('is silent until something comes in, and wet only (no input in its output)', () => {
    const r = make();
    node(r, 'DelayNode', 'd', { time: 0.01 });
    node(r, 'SineNode', 'x', { frequency: 440 });
    r.s.link('x.out', 'd.input');
    const out = r.capture(['d.out'], 1000)[0];
    expect(peak(out.subarray(0, 441))).toBe(0);
    expect(peak(out.subarray(441))).toBeGreaterThan(0.5);
  });
});
