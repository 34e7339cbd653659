// Scopes on the render side: frequency readout over 20 Hz…20 kHz, triggered windows that stand still,
// long timebases as bounded min/max frames, and the echo of controllers to editors.

import { describe, expect, it } from 'vitest';
import {
  measureFrequency,
  RAW_SIZE,
  SCOPE_COLUMNS,
  SCOPE_POINTS,
  type ScopeView,
  Taps,
  viewKey,
} from '../../src/engine/taps.js';
import { controlChanges } from '../../src/server/engine.js';

const RATE = 44100;
const BLOCK = 128;

/** Feeds `seconds` of `signal(t)` (t in samples) through a Taps watching `views`; answers a report. */
function run(views: ScopeView[], signal: (n: number) => number, seconds: number, taps = new Taps(RATE)) {
  taps.watch([], false, false, views);
  const buf = new Float32Array(BLOCK);
  const blocks = Math.ceil((seconds * RATE) / BLOCK);
  for (let b = 0; b < blocks; b++) {
    for (let i = 0; i < BLOCK; i++) buf[i] = signal(b * BLOCK + i);
    taps.afterBlock(() => buf, buf, buf, BLOCK);
  }
  return { taps, report: taps.report() };
}

const port = { node: 'osc', port: 'out' };
const sine =
  (hz: number, phase = 0) =>
  (n: number) =>
    Math.sin((2 * Math.PI * hz * n) / RATE + phase);

describe('scope frequency readout', () => {
  it.each([20, 41, 110, 1000, 5000, 12345, 20000])('reads a %d Hz sine within 0.2 percent', (hz) => {
    const samples = Float32Array.from({ length: RAW_SIZE }, (_, n) => sine(hz, 0.3)(n));
    const measured = measureFrequency(samples, RATE)!;
    expect(Math.abs(measured / hz - 1)).toBeLessThan(0.002);
  });

  it('reads a pulse wave and a sine with a DC offset and noise', () => {
    const pulse = Float32Array.from({ length: RAW_SIZE }, (_, n) => (((n * 41) / RATE) % 1 < 0.2 ? 1 : -0.2));
    expect(measureFrequency(pulse, RATE)! / 41).toBeCloseTo(1, 2);
    let seed = 1;
    const noise = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647 - 0.5;
    };
    const offset = Float32Array.from(
      { length: RAW_SIZE },
      (_, n) => 0.5 + 0.4 * sine(300)(n) + 0.01 * noise(),
    );
    expect(measureFrequency(offset, RATE)! / 300).toBeCloseTo(1, 2);
  });

  it('says null for silence and for a constant', () => {
    expect(measureFrequency(new Float32Array(RAW_SIZE), RATE)).toBeNull();
    expect(measureFrequency(new Float32Array(RAW_SIZE).fill(0.7), RATE)).toBeNull();
  });

  it('reports the frequency with every frame, and an LFO too slow for the raw ring from the long one', () => {
    const views: ScopeView[] = [{ port, seconds: 0.1, trigger: 'auto' }];
    const { report } = run(views, sine(41), 1);
    expect(Math.abs(report.scopes[0].frequency! / 41 - 1)).toBeLessThan(0.01);
    const slow = run([{ port, seconds: 5, trigger: 'free' }], sine(0.5), 11).report;
    expect(slow.scopes[0].frequency! / 0.5).toBeCloseTo(1, 2);
  });
});

describe('scope frames', () => {
  it('a rising-edge view starts a tenth of the window before an upward crossing, frame after frame', () => {
    const view: ScopeView = { port, seconds: 0.02, trigger: 'rising' };
    const taps = new Taps(RATE);
    const starts: number[] = [];
    for (const seconds of [0.3, 0.05, 0.07]) {
      const { report } = run([view], sine(41, 1), seconds, taps);
      const frame = report.scopes[0];
      expect(frame.triggered).toBe(true);
      expect(frame.step).toBe(1);
      expect(frame.samples.length).toBe(Math.round(0.02 * RATE));
      const t = frame.trigger!;
      expect(t).toBe(Math.floor(frame.samples.length / 10));
      // At the trigger: below the midpoint just before, at or above it there (a rising edge through 0).
      expect(frame.samples[t - 1]).toBeLessThan(0);
      expect(frame.samples[t]).toBeGreaterThanOrEqual(0);
      starts.push(frame.samples[0]);
    }
    // The picture stands still: every frame begins at the same phase.
    for (const s of starts) expect(s).toBeCloseTo(starts[0], 2);
  });

  it('a long window comes as at most 512 min/max columns covering the whole timebase', () => {
    const { report } = run([{ port, seconds: 10, trigger: 'free' }], sine(1000), 10.5);
    const frame = report.scopes[0];
    expect(frame.min!.length).toBeLessThanOrEqual(SCOPE_COLUMNS);
    expect(frame.max!.length).toBe(frame.min!.length);
    expect((frame.step * frame.samples.length) / RATE).toBeCloseTo(10, 1);
    // A 1 kHz sine fills every column from −1 to 1.
    expect(Math.min(...frame.max!)).toBeGreaterThan(0.99);
    expect(Math.max(...frame.min!)).toBeLessThan(-0.99);
  });

  it('short windows are raw samples (at most 1024), longer ones min/max columns', () => {
    const { report } = run(
      [
        { port, seconds: 0.001, trigger: 'free' },
        { port, seconds: 0.02, trigger: 'free' },
        { port, seconds: 0.2, trigger: 'free' },
      ],
      sine(440),
      0.5,
    );
    const [ms1, ms20, ms200] = report.scopes;
    expect(ms1.samples.length).toBe(Math.round(0.001 * RATE));
    expect(ms20.samples.length).toBeLessThanOrEqual(SCOPE_POINTS);
    expect(ms20.min).toBeUndefined();
    expect(ms200.min!.length).toBe(SCOPE_COLUMNS);
  });

  it("a free view shows the newest samples; a 'rising' view of a constant waits; 'auto' does not", () => {
    const ramp = run([{ port, seconds: 0.01, trigger: 'free' }], (n) => n / RATE, 0.2).report;
    const free = ramp.scopes[0];
    expect(free.samples.at(-1)).toBeCloseTo((Math.ceil((0.2 * RATE) / BLOCK) * BLOCK - 1) / RATE, 4);
    const { report } = run(
      [
        { port, seconds: 0.01, trigger: 'rising' },
        { port, seconds: 0.01, trigger: 'auto' },
      ],
      () => 0.5,
      0.2,
    );
    const [rising, auto] = report.scopes;
    expect(rising.waiting).toBe(true);
    expect(rising.samples).toEqual([]);
    expect(auto.triggered).toBe(false);
    expect(auto.samples.length).toBe(Math.round(0.01 * RATE));
  });

  it('each view is keyed by port, timebase and trigger', () => {
    const a = viewKey({ port, seconds: 0.5, trigger: 'auto' });
    expect(a).not.toBe(viewKey({ port, seconds: 0.5, trigger: 'free' }));
    expect(a).not.toBe(viewKey({ port }));
  });
});

describe('controllers echoed to editors', () => {
  it('picks the control changes out of MIDI bytes, running status expanded', () => {
    expect(controlChanges([0x90, 60, 100, 0xb0, 7, 100, 9, 3, 0xf8, 0xc1, 5, 0xb2, 74, 0])).toEqual([
      0xb0, 7, 100, 0xb0, 9, 3, 0xb2, 74, 0,
    ]);
    expect(controlChanges([0x90, 60, 100])).toEqual([]);
  });
});
