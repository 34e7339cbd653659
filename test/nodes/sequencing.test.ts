import { describe, expect, it } from 'vitest';
import { dominantFrequency } from '../helpers/analysis.js';
import { node, RATE, rigsCleanedAfterEachTest } from './render.js';

const make = rigsCleanedAfterEachTest();

function ticks(signal: Float32Array): number[] {
  const at: number[] = [];
  signal.forEach((x, i) => {
    if (x !== 0) at.push(i);
  });
  return at;
}

describe('ClockNode', () => {
  it('fires one frame of 1 at frame 0 and then exactly every 17640 frames at 2.5 Hz', () => {
    const r = make();
    node(r, 'ClockNode', 'clock', { frequency: 2.5 });
    const out = r.capture(['clock.out'], 5 * RATE)[0];
    expect(ticks(out)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map((k) => k * 17640));
    expect(out.every((x) => x === 0 || x === 1)).toBe(true);
  });

  it('keeps the exact average period when it is a fraction of a frame (7 Hz: 6300 frames; 3 Hz; 1000.3 Hz)', () => {
    for (const hz of [7, 3, 1000.3]) {
      const r = make();
      node(r, 'ClockNode', 'clock', { frequency: hz });
      const at = ticks(r.capture(['clock.out'], 2 * RATE)[0]);
      const period = RATE / Math.fround(hz); // the frequency travels as a 32-bit float
      at.forEach((frame, k) => {
        expect(Math.abs(frame - k * period)).toBeLessThan(1); // never drifts by a frame
      });
      expect(at.length).toBe(Math.floor((2 * RATE - 1) / period) + 1);
    }
  });

  it('never fires at frequency ≤ 0 and resumes at once when it becomes positive', () => {
    const r = make();
    node(r, 'ClockNode', 'clock', { frequency: 0 });
    expect(ticks(r.capture(['clock.out'], 4096)[0])).toEqual([]);
    r.s.setValue('clock_frequency', -5);
    expect(ticks(r.capture(['clock.out'], 4096)[0])).toEqual([]);
    r.s.setValue('clock_frequency', 10);
    r.s.renderBlock(); // the value glides in over one block
    const at = ticks(r.capture(['clock.out'], RATE)[0]);
    expect(at.length).toBeGreaterThanOrEqual(9);
    for (let k = 1; k < at.length; k++) expect(at[k] - at[k - 1]).toBe(4410);
  });

  it('renders identically with block sizes 64, 128 and 256', () => {
    const outputs = [64, 128, 256].map((blockSize) => {
      const r = make(blockSize);
      node(r, 'ClockNode', 'clock', { frequency: 13.7 });
      return ticks(r.capture(['clock.out'], RATE)[0]);
    });
    expect(outputs[1]).toEqual(outputs[0]);
    expect(outputs[2]).toEqual(outputs[0]);
  });
});

describe('SequenceNode', () => {
  it('starts before the first element: element 0 until the first step, which moves onto element 0', () => {
    const r = make();
    node(r, 'SequenceNode', 'seq', { sequence: [10, 20, 30] });
    node(r, 'ClockNode', 'clock', { frequency: 10 });
    r.s.link('clock.out', 'seq.step');
    const out = r.capture(['seq.out'], RATE)[0];
    // Clock ticks at 0, 4410, 8820 … → elements 0, 1, 2, 0, …
    for (let k = 0; k < 10; k++) {
      expect(out[k * 4410]).toBe([10, 20, 30][k % 3]);
      expect(out[k * 4410 + 4409]).toBe([10, 20, 30][k % 3]);
    }
  });

  it('outputs element 0 before any step, and 0 for empty, absent or non-number elements', () => {
    const r = make();
    node(r, 'SequenceNode', 'seq', { sequence: [5, 6] });
    node(r, 'SequenceNode', 'empty', { sequence: [] });
    r.s.add('SequenceNode', 'absent');
    node(r, 'SequenceNode', 'mixed', { sequence: ['x', 7] as unknown as number[] });
    node(r, 'ClockNode', 'clock', { frequency: 100 });
    r.s.link('clock.out', 'mixed.step');
    const [seq, empty, absent, mixed] = r.capture(['seq.out', 'empty.out', 'absent.out', 'mixed.out'], 882);
    expect(seq.every((x) => x === 5)).toBe(true);
    expect(empty.every((x) => x === 0)).toBe(true);
    expect(absent.every((x) => x === 0)).toBe(true);
    expect(mixed[0]).toBe(0);
    expect(mixed[441]).toBe(7);
  });

  it('advances on every non-zero frame and wraps', () => {
    const r = make();
    node(r, 'SequenceNode', 'seq', { sequence: [1, 2, 3], step: 1 });
    const out = r.capture(['seq.out'], 9)[0];
    expect([...out]).toEqual([1, 2, 3, 1, 2, 3, 1, 2, 3]);
  });

  it('keeps its position modulo the new length when the sequence changes', () => {
    const r = make();
    node(r, 'SequenceNode', 'seq', { sequence: [1, 2, 3, 4, 5] });
    node(r, 'ClockNode', 'clock', { frequency: 50 }); // 882 frames a step
    r.s.link('clock.out', 'seq.step');
    const before = r.capture(['seq.out'], 3000)[0]; // steps at 0, 882, 1764, 2646 → index 3
    expect(before[before.length - 1]).toBe(4);
    r.s.setValue('seq_sequence', [7, 8]); // index 3 → 3 mod 2 = 1
    const after = r.capture(['seq.out'], 128)[0];
    expect(after[0]).toBe(8);
  });

  it('plays megalovania: ClockNode 2.5 Hz → SequenceNode → SineNode, a note every 17640 frames', () => {
    const notes = [
      293.66, 293.66, 587.33, 0, 440, 440, 0, 415.3, 0, 392, 0, 349.23, 349.23, 293.66, 349.23, 392,
    ];
    const r = make();
    node(r, 'SequenceNode', 'seq', { sequence: notes });
    node(r, 'ClockNode', 'clock', { frequency: 2.5 });
    r.s.add('SineNode', 'sine');
    r.s.link('clock.out', 'seq.step');
    r.s.link('seq.out', 'sine.frequency');
    const [freq, sine] = r.capture(['seq.out', 'sine.out'], 5 * RATE);
    const changes: number[] = [];
    for (let i = 1; i < freq.length; i++) if (freq[i] !== freq[i - 1]) changes.push(i);
    // Every change lies on a step time k·17640 (repeated notes make no change).
    for (const at of changes) expect(at % 17640).toBe(0);
    expect(changes).toContain(2 * 17640); // 293.66 → 587.33
    for (let k = 0; k < 12; k++) expect(freq[k * 17640 + 100]).toBeCloseTo(notes[k], 2);
    // The first note sounds at 293.66 Hz.
    expect(Math.abs(dominantFrequency(sine.subarray(0, 16384), RATE) / 293.66 - 1)).toBeLessThan(0.005);
    expect(
      Math.abs(dominantFrequency(sine.subarray(2 * 17640, 2 * 17640 + 16384), RATE) / 587.33 - 1),
    ).toBeLessThan(0.005);
  });
});

describe('TriggerEnvelopeNode', () => {
  function envelope(attack: number, decay: number, clockHz: number, frames: number, blockSize = 128) {
    const r = make(blockSize);
    node(r, 'TriggerEnvelopeNode', 'env', { attack, decay });
    node(r, 'ClockNode', 'clock', { frequency: clockHz });
    r.s.link('clock.out', 'env.trigger');
    return r.capture(['env.envelope'], frames)[0];
  }

  it('rises 0→1 over attack seconds and falls to 0 over decay seconds (within one block)', () => {
    const out = envelope(0.05, 0.2, 1, RATE);
    let peakAt = 0;
    for (let i = 0; i < out.length; i++) if (out[i] > out[peakAt]) peakAt = i;
    expect(out[peakAt]).toBeCloseTo(1, 5);
    expect(Math.abs(peakAt - 0.05 * RATE)).toBeLessThanOrEqual(128);
    const endAt = out.findIndex((x, i) => i > peakAt && x === 0);
    expect(Math.abs(endAt - 0.25 * RATE)).toBeLessThanOrEqual(128);
    expect(out[0]).toBe(0);
    expect(out.every((x) => x >= 0 && x <= 1)).toBe(true);
    // Half-way up and half-way down.
    expect(out[Math.round(0.025 * RATE)]).toBeCloseTo(0.5, 2);
    expect(out[Math.round(0.15 * RATE)]).toBeCloseTo(0.5, 2);
  });

  it('retriggers from the current level without a click', () => {
    // Triggers every 0.1 s while the decay lasts 0.3 s: each retrigger starts from the current level.
    const out = envelope(0.02, 0.3, 10, RATE);
    let jump = 0;
    for (let i = 1; i < out.length; i++) jump = Math.max(jump, Math.abs(out[i] - out[i - 1]));
    expect(jump).toBeLessThanOrEqual(1 / (0.02 * RATE) + 1e-6); // never steeper than the attack slope
    const atRetrigger = out[4410];
    expect(atRetrigger).toBeGreaterThan(0.5); // still decaying when the next trigger comes
    expect(out[4410 + 200]).toBeGreaterThan(atRetrigger);
  });

  it('renders identically with block sizes 64, 128 and 256', () => {
    const reference = envelope(0.01, 0.1, 4, 16384, 64);
    expect(envelope(0.01, 0.1, 4, 16384, 128)).toEqual(reference);
    expect(envelope(0.01, 0.1, 4, 16384, 256)).toEqual(reference);
  });

  it('has sensible defaults (10 ms attack, 300 ms decay)', () => {
    const r = make();
    r.s.add('TriggerEnvelopeNode', 'env');
    node(r, 'ClockNode', 'clock', { frequency: 1 });
    r.s.link('clock.out', 'env.trigger');
    const out = r.capture(['env.envelope'], RATE)[0];
    expect(out[441]).toBeCloseTo(1, 5);
    expect(out[441 + 13230]).toBeCloseTo(0, 6);
    expect(out[441 + 13232]).toBe(0);
    expect(out[441 + 6615]).toBeCloseTo(0.5, 2);
  });
});
