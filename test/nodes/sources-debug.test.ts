import { describe, expect, it } from 'vitest';
import { spectrum } from '../helpers/analysis.js';
import { node, RATE, rigsCleanedAfterEachTest } from './render.js';

const make = rigsCleanedAfterEachTest();

describe('UniformRandomNode', () => {
  it('stays within [min, max), is uniform with the right mean and variance, and white', () => {
    const r = make();
    node(r, 'UniformRandomNode', 'noise', { min: -0.5, max: 1.5 });
    const out = r.capture(['noise.out'], RATE)[0];
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    let squares = 0;
    const histogram = new Array(10).fill(0);
    for (const x of out) {
      min = Math.min(min, x);
      max = Math.max(max, x);
      sum += x;
      squares += x * x;
      histogram[Math.min(9, Math.floor((x + 0.5) * 5))]++;
    }
    const mean = sum / out.length;
    expect(min).toBeGreaterThanOrEqual(-0.5);
    expect(max).toBeLessThanOrEqual(1.5);
    expect(min).toBeLessThan(-0.49);
    expect(max).toBeGreaterThan(1.49);
    expect(mean).toBeCloseTo(0.5, 2);
    expect(squares / out.length - mean * mean).toBeCloseTo(4 / 12, 2); // variance of U(a,b) = (b−a)²/12
    for (const count of histogram) expect(Math.abs(count / out.length - 0.1)).toBeLessThan(0.01);
    // White: the lower and upper halves of the spectrum hold about the same energy.
    const { magnitudes } = spectrum(
      out.map((x) => x - mean),
      RATE,
    );
    let low = 0;
    let high = 0;
    magnitudes.forEach((m, i) => {
      if (i < magnitudes.length / 2) low += m * m;
      else high += m * m;
    });
    expect(low / high).toBeGreaterThan(0.9);
    expect(low / high).toBeLessThan(1.1);
  });

  it('defaults to −1…1, is deterministic per name and differs between nodes', () => {
    const a = make();
    node(a, 'UniformRandomNode', 'noise');
    node(a, 'UniformRandomNode', 'other');
    const [first, other] = a.capture(['noise.out', 'other.out'], 4096);
    const b = make(256);
    node(b, 'UniformRandomNode', 'noise');
    const again = b.capture(['noise.out'], 4096)[0];
    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
    expect(Math.min(...first)).toBeLessThan(-0.99);
    expect(Math.max(...first)).toBeGreaterThan(0.99);
  });

  it('follows audio-rate bounds', () => {
    const r = make();
    node(r, 'UniformRandomNode', 'noise', { min: 0 });
    node(r, 'SineNode', 'sine', { frequency: 3 });
    r.s.link('sine.out', 'noise.max');
    const [noise, bound] = r.capture(['noise.out', 'sine.out'], RATE / 2);
    for (let i = 0; i < noise.length; i++) {
      if (bound[i] >= 0) expect(noise[i] >= 0 && noise[i] <= bound[i] + 1e-7).toBe(true);
    }
  });
});

describe('DebugNode', () => {
  it('reports a data value once, and again only when it changes, at most every 0.1 s of audio', () => {
    const r = make();
    r.s.addValue(440, 'value');
    r.s.add('DebugNode', 'debug');
    r.s.link('value.out', 'debug.input');
    r.s.renderFrames(RATE);
    const debug = () => r.events.filter((e) => e.kind === 'debug');
    expect(debug()).toEqual([{ kind: 'debug', node: 'debug', value: 440 }]);
    expect(r.s.graph.node('debug').exports).toEqual({ Value: 440 });
    // Change it every block for a second: reports are throttled to about 10 per second.
    for (let b = 0; b < RATE / 128; b++) {
      r.s.setValue('value', b);
      r.s.renderBlock();
    }
    const reports = debug().length - 1;
    expect(reports).toBeGreaterThanOrEqual(9);
    expect(reports).toBeLessThanOrEqual(11);
    // The last value is always delivered once the interval has passed.
    r.s.setValue('value', 'done');
    r.s.renderFrames(RATE / 5);
    expect(debug().at(-1)?.value).toBe('done');
    expect(r.s.graph.node('debug').exports).toEqual({ Value: 'done' });
    expect(JSON.parse(JSON.stringify(r.s.graph.node('debug').exports))).toEqual({ Value: 'done' });
  });

  it('shows a stream as its block of samples (a copy), throttled', () => {
    const r = make(64);
    node(r, 'SineNode', 'sine', { frequency: 100 });
    r.s.add('DebugNode', 'debug');
    r.s.link('sine.out', 'debug.input');
    const sine = r.capture(['sine.out'], RATE)[0];
    const reports = r.events.filter((e) => e.kind === 'debug');
    expect(reports.length).toBeGreaterThanOrEqual(9);
    expect(reports.length).toBeLessThanOrEqual(11);
    const first = reports[0].kind === 'debug' ? (reports[0].value as number[]) : [];
    expect(Array.isArray(first)).toBe(true);
    expect(first).toHaveLength(64);
    expect(first).toEqual([...sine.subarray(0, 64)]); // the first block, not overwritten later
  });

  it('reports nothing new for an unchanged value, and reports null when unconnected', () => {
    const r = make();
    r.s.add('DebugNode', 'debug');
    r.s.renderFrames(RATE);
    expect(r.events.filter((e) => e.kind === 'debug')).toEqual([
      { kind: 'debug', node: 'debug', value: null },
    ]);
  });
});
