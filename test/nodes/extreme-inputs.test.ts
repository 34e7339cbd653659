// Extreme inputs must give finite, bounded, sensible sound — not aliasing, Infinity or a muted node.

import { describe, expect, it } from 'vitest';
import { STREAM_MAX } from '../../src/engine/types.js';
import { allFinite, peak, rms, zeroCrossingFrequency } from '../helpers/analysis.js';
import { node, RATE, type Rig, rigsCleanedAfterEachTest } from './render.js';

const make = rigsCleanedAfterEachTest();
function faults(r: Rig): string[] {
  return r.events.filter((e) => e.kind === 'fault').map((e) => (e as { message: string }).message);
}

describe('SineNode above Nyquist', () => {
  // Web Audio clamps an oscillator's frequency to ±Nyquist; a sine there is silent (sin(πn + 0) = 0).
  // Before: 30 kHz aliased to an audible 14.1 kHz tone at full level.
  it.each([30000, 44100, 1e6, -1e6])('a constant %d Hz does not alias into the audible band', (hz) => {
    const r = make();
    node(r, 'SineNode', 'osc', { frequency: hz });
    const out = r.capture(['osc.out'], RATE / 4)[0];
    expect(allFinite(out)).toBe(true);
    expect(peak(out)).toBeLessThan(1e-6);
  });

  it('an audio-rate frequency above Nyquist does not alias either (modulated path)', () => {
    const r = make();
    node(r, 'SineNode', 'lfo', { frequency: 3 });
    node(r, 'MultiplyNode', 'depth', { b: 1000 });
    node(r, 'AddNode', 'hz', { b: 30000 });
    node(r, 'SineNode', 'osc');
    r.s.link('lfo.out', 'depth.a');
    r.s.link('depth.out', 'hz.a');
    r.s.link('hz.out', 'osc.frequency');
    const out = r.capture(['osc.out'], RATE / 4)[0];
    expect(allFinite(out)).toBe(true);
    expect(peak(out)).toBeLessThan(1e-6);
    expect(faults(r)).toEqual([]);
  });

  it('keeps playing after an infinite frequency (a float32 overflow upstream) instead of being muted', () => {
    const r = make();
    node(r, 'MultiplyNode', 'big', { a: 1e30, b: 1e30 }); // Infinity: this node is muted, rightly
    node(r, 'SineNode', 'osc', { frequency: 440 });
    const out = r.capture(['osc.out'], RATE / 4)[0];
    expect(Math.abs(zeroCrossingFrequency(out, RATE) - 440)).toBeLessThan(1);
    r.s.link('big.out', 'osc.frequency'); // reads the muted node's zeros: silence, no fault
    node(r, 'SineNode', 'osc2', { frequency: 1e39 }); // clamped to float32, then to Nyquist
    const after = r.capture(['osc.out', 'osc2.out'], RATE / 4);
    expect(after.every(allFinite)).toBe(true);
    expect(faults(r).some((m) => m.includes('`osc'))).toBe(false);
  });
});

describe('data values beyond float32', () => {
  it('a DataNode of 1e39 feeds a stream as the largest float32, not Infinity (no fault)', () => {
    const r = make();
    node(r, 'StreamNode', 'converted', { data: 1e39 });
    node(r, 'MultiplyNode', 'scaled', { a: -1e39, b: 1e-30 });
    const [converted, scaled] = r.capture(['converted.out', 'scaled.out'], 1024);
    expect(allFinite(converted)).toBe(true);
    expect(converted[0]).toBe(Math.fround(STREAM_MAX));
    expect(scaled[0] / (-STREAM_MAX * 1e-30)).toBeCloseTo(1, 6);
    expect(faults(r)).toEqual([]);
  });

  it('a SequenceNode with 1e300 and -1e39 elements plays them clamped, then the normal ones', () => {
    const r = make();
    node(r, 'ClockNode', 'clock', { frequency: 100 });
    node(r, 'SequenceNode', 'seq', { sequence: [1e300, -1e39, 440] });
    r.s.link('clock.out', 'seq.step');
    const out = r.capture(['seq.out'], 3 * 441)[0];
    expect(allFinite(out)).toBe(true);
    expect(out[10]).toBeGreaterThan(3e38);
    expect(out[441 + 10]).toBeLessThan(-3e38);
    expect(out[882 + 10]).toBe(440);
    expect(faults(r)).toEqual([]);
  });
});

describe('TriggerEnvelopeNode with zero, negative and huge times', () => {
  it.each([
    [0, 0],
    [-1, -1],
    [1e-30, 1e-30],
    [1e39, 1e39],
  ])('attack %d s, decay %d s stays finite within 0…1', (attack, decay) => {
    const r = make();
    node(r, 'ClockNode', 'clock', { frequency: 4 });
    node(r, 'TriggerEnvelopeNode', 'env', { attack, decay });
    r.s.link('clock.out', 'env.trigger');
    const out = r.capture(['env.envelope'], RATE)[0];
    expect(allFinite(out)).toBe(true);
    expect(Math.min(...out)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...out)).toBeLessThanOrEqual(1);
    expect(rms(out)).toBeLessThan(1);
  });
});
