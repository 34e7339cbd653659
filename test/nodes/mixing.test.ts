// GainNode, PanNode, MixerNode, CrossfadeNode: levels and laws measured in dB, clamps, and the 5 ms glide
// that keeps a stepped parameter (a sequencer, not just a DataNode) from clicking.

import { describe, expect, it } from 'vitest';
import { MAX_LEVEL, MIXER_CHANNELS } from '../../src/nodes/mixing/mixer-node.js';
import { SMOOTHING_SECONDS, smoothingCoefficient } from '../../src/nodes/mixing/smoothing.js';
import { allFinite, maxStep, rms } from '../helpers/analysis.js';
import { node, RATE, type Rig, rigsCleanedAfterEachTest, SpecialValuesNode } from './render.js';

const make = rigsCleanedAfterEachTest();
const db = (ratio: number) => 20 * Math.log10(ratio);
/**
 * A sine at a crest whenever a `stepped` parameter steps (every 0.1 s = 22.25 of its cycles, so a step
 * lands on a crest, a zero crossing or a trough), and its largest step between frames: what an output may
 * show without a click.
 */
const SINE_HZ = 222.5;
const SINE_STEP = 2 * Math.sin((Math.PI * SINE_HZ) / RATE);
/**
 * The most a 5 ms glide moves per frame, as a fraction of the jump (99.9 % in 220.5 frames, one pole):
 * a stepped parameter may add this much times its range to a frame's step; a jump would add all of it.
 */
const GLIDE_STEP = 1 - Math.exp(-Math.log(1000) / (0.005 * RATE));

/** A parameter that steps through `values`, one per 0.1 s, from a sequencer: steps, not engine ramps. */
function stepped(r: Rig, name: string, values: number[]): string {
  node(r, 'ClockNode', `${name}_clock`, { frequency: 10 });
  node(r, 'SequenceNode', name, { sequence: values });
  r.s.link(`${name}_clock.out`, `${name}.step`);
  return `${name}.out`;
}

describe('GainNode', () => {
  it.each([
    [0, 1],
    [-6.0206, 0.5],
    [20, 10],
    [-60, 0.001],
    [-120, 1e-6],
  ])('%d dB scales the signal by %d', (gain, ratio) => {
    const r = make();
    node(r, 'SineNode', 'sine', { frequency: 440 });
    node(r, 'GainNode', 'g', { gain });
    r.s.link('sine.out', 'g.input');
    const [input, out] = r.capture(['sine.out', 'g.out'], 8192);
    for (let i = 0; i < input.length; i += 97) expect(out[i]).toBeCloseTo(input[i] * ratio, 6);
    expect(db(rms(out) / rms(input))).toBeCloseTo(gain, 3);
  });

  it('is silent (−∞ dB) below −120 dB; above +40 dB counts as +40 dB', () => {
    const r = make();
    node(r, 'GainNode', 'quiet', { input: 1, gain: -120.5 });
    node(r, 'GainNode', 'silent', { input: 1, gain: -1e30 });
    node(r, 'GainNode', 'loud', { input: 1, gain: 1e30 });
    const [quiet, silent, loud] = r.capture(['quiet.out', 'silent.out', 'loud.out'], 256);
    expect(quiet.every((x) => x === 0)).toBe(true);
    expect(silent.every((x) => x === 0)).toBe(true);
    expect(loud.every((x) => Math.abs(x - 100) < 1e-4)).toBe(true);
  });

  it('starts at its first gain, then glides over ≤ 5 ms when the gain steps (no zipper, no click)', () => {
    const r = make();
    // Input 1 (DC) shows the gain itself: 0 dB, then −40 dB 0.1 s later (a sequencer's step).
    node(r, 'GainNode', 'g', { input: 1 });
    r.s.link(stepped(r, 'level', [0, -40]), 'g.gain');
    const out = r.capture(['g.out'], 8820)[0];
    expect(out[0]).toBe(1);
    const step = 4410;
    expect(out[step - 1]).toBe(1);
    const c = smoothingCoefficient(RATE);
    expect(out[step]).toBeCloseTo(1 - 0.99 * c, 6); // one-pole: the first frame covers c of the gap
    expect(maxStep(out)).toBeLessThan(0.99 * c * 1.0001);
    expect(maxStep(out)).toBeLessThan(0.05); // a jump would be 0.99
    // 99.9 % of the way after 5 ms.
    const settled = step + Math.ceil(SMOOTHING_SECONDS * RATE);
    expect(Math.abs(out[settled] - 0.01)).toBeLessThan(0.99 * 0.001);
    expect(out[step + 1000]).toBeCloseTo(0.01, 9); // arrived (the glide snaps within 1e-6)
  });

  it('a sine through a gain stepping between 0 and −200 dB steps no more than the sine plus the glide', () => {
    const r = make();
    node(r, 'SineNode', 'sine', { frequency: SINE_HZ });
    node(r, 'GainNode', 'g');
    r.s.link('sine.out', 'g.input');
    r.s.link(stepped(r, 'level', [0, -60, -6, -200]), 'g.gain');
    const out = r.capture(['g.out'], RATE)[0];
    expect(maxStep(out)).toBeLessThan(SINE_STEP + GLIDE_STEP);
  });

  it('follows an LFO on its gain (tremolo) within 0.2 dB: the glide is a 220 Hz low-pass', () => {
    const r = make();
    node(r, 'SineNode', 'lfo', { frequency: 5 });
    node(r, 'MultiplyNode', 'depth', { b: 6 });
    node(r, 'GainNode', 'g', { input: 1 });
    r.s.link('lfo.out', 'depth.a');
    r.s.link('depth.out', 'g.gain');
    const [lfo, out] = r.capture(['depth.out', 'g.out'], RATE);
    let worst = 0;
    for (let i = 4410; i < out.length; i++) worst = Math.max(worst, Math.abs(db(out[i]) - lfo[i]));
    // The glide lags by its time constant, 0.72 ms: at most 188 dB/s × 0.72 ms = 0.14 dB behind.
    expect(worst).toBeLessThan(0.2);
  });
});

describe('PanNode', () => {
  function pan(position: number): { left: Float32Array; right: Float32Array; input: Float32Array } {
    const r = make();
    node(r, 'SineNode', 'sine', { frequency: 440 });
    node(r, 'PanNode', 'p', { pan: position });
    r.s.link('sine.out', 'p.input');
    const [input, left, right] = r.capture(['sine.out', 'p.left', 'p.right'], 8192);
    return { input, left, right };
  }

  it('is −3 dB on each side at the centre', () => {
    const { input, left, right } = pan(0);
    expect(db(rms(left) / rms(input))).toBeCloseTo(-3.0103, 3);
    expect(db(rms(right) / rms(input))).toBeCloseTo(-3.0103, 3);
  });

  it('hard left and hard right put the whole signal on one side; beyond ±1 clamps there', () => {
    for (const [position, side] of [
      [-1, 'left'],
      [-5, 'left'],
      [1, 'right'],
      [1e30, 'right'],
    ] as const) {
      const { input, left, right } = pan(position);
      const [loud, silent] = side === 'left' ? [left, right] : [right, left];
      expect(rms(silent) / rms(input), `${position}`).toBeLessThan(1e-7);
      expect(db(rms(loud) / rms(input)), `${position}`).toBeCloseTo(0, 5);
    }
  });

  it('keeps the power constant across the field (equal power): left² + right² = input²', () => {
    for (const position of [-0.75, -0.3, 0.1, 0.5, 0.9]) {
      const { input, left, right } = pan(position);
      const power = (rms(left) ** 2 + rms(right) ** 2) / rms(input) ** 2;
      expect(power, `${position}`).toBeCloseTo(1, 5);
      const theta = ((position + 1) * Math.PI) / 4;
      expect(rms(left) / rms(input)).toBeCloseTo(Math.cos(theta), 5);
    }
  });

  it('a stepped position glides: no click on either side; NaN reads as the centre', () => {
    const r = make(128, { types: [SpecialValuesNode] });
    node(r, 'SineNode', 'sine', { frequency: SINE_HZ });
    node(r, 'PanNode', 'p');
    r.s.link('sine.out', 'p.input');
    r.s.link(stepped(r, 'position', [-1, 1, 0, -1]), 'p.pan');
    const [left, right] = r.capture(['p.left', 'p.right'], RATE / 2);
    // From −1 to 1 the angle turns π/2: each side's gain moves at most GLIDE_STEP·π/2 a frame.
    expect(maxStep(left)).toBeLessThan(SINE_STEP + (GLIDE_STEP * Math.PI) / 2);
    expect(maxStep(right)).toBeLessThan(SINE_STEP + (GLIDE_STEP * Math.PI) / 2);
    r.s.add('SpecialValuesNode', 'hostile');
    node(r, 'PanNode', 'wild', { input: 1 });
    r.s.link('hostile.out', 'wild.pan');
    const [wl, wr] = r.capture(['wild.left', 'wild.right'], 4096);
    expect(allFinite(wl) && allFinite(wr)).toBe(true);
    expect(Math.max(...wl, ...wr)).toBeLessThanOrEqual(1);
  });
});

describe('MixerNode', () => {
  it('sums its eight inputs times their levels', () => {
    const r = make();
    node(r, 'MixerNode', 'mix');
    const inputs: string[] = [];
    const levels = [1, 0.5, 2, 0, 1.5, 0.25, 1, 0.75];
    for (let k = 1; k <= MIXER_CHANNELS; k++) {
      node(r, 'SineNode', `s${k}`, { frequency: 100 * k + 7 });
      r.s.link(`s${k}.out`, `mix.input${k}`);
      r.s.addValue(levels[k - 1], `l${k}`);
      r.s.link(`l${k}.out`, `mix.level${k}`);
      inputs.push(`s${k}.out`);
    }
    const [out, ...sines] = r.capture(['mix.out', ...inputs], 4096);
    for (let i = 0; i < out.length; i += 13) {
      let expected = 0;
      for (let k = 0; k < MIXER_CHANNELS; k++) expected += sines[k][i] * levels[k];
      expect(out[i]).toBeCloseTo(expected, 5);
    }
  });

  it('levels default to 1; unlinked inputs add nothing; levels clamp to 0…2 (NaN reads as 1)', () => {
    const r = make(128, { types: [SpecialValuesNode] });
    node(r, 'MixerNode', 'mix', { input1: 0.25, input3: 0.5 });
    expect(r.capture(['mix.out'], 128)[0][100]).toBe(0.75);
    node(r, 'MixerNode', 'clamped', { input1: 1, level1: 5, input2: 1, level2: -3 });
    expect(r.capture(['clamped.out'], 128)[0][100]).toBe(MAX_LEVEL);
    r.s.add('SpecialValuesNode', 'hostile');
    node(r, 'MixerNode', 'wild', { input1: 1 });
    r.s.link('hostile.out', 'wild.level1');
    const wild = r.capture(['wild.out'], 4096)[0];
    expect(allFinite(wild)).toBe(true);
    expect(Math.max(...wild)).toBeLessThanOrEqual(MAX_LEVEL);
    expect(Math.min(...wild)).toBeGreaterThanOrEqual(0);
  });

  it('holds a sum beyond float32 at its edge instead of overflowing to ∞', () => {
    const r = make();
    node(r, 'MixerNode', 'mix', { input1: 3e38, input2: 3e38, level1: 2, level2: 2 });
    const out = r.capture(['mix.out'], 128)[0];
    expect(allFinite(out)).toBe(true);
    expect(r.events.filter((e) => e.kind === 'fault')).toEqual([]);
  });

  it('a stepped level glides: no click', () => {
    const r = make();
    node(r, 'SineNode', 'sine', { frequency: SINE_HZ });
    node(r, 'MixerNode', 'mix');
    r.s.link('sine.out', 'mix.input5');
    r.s.link(stepped(r, 'level', [1, 0, 2, 0.1]), 'mix.level5');
    const out = r.capture(['mix.out'], RATE / 2)[0];
    // Level 2 doubles the sine's own steps; the level's range is 2.
    expect(maxStep(out)).toBeLessThan(2 * SINE_STEP + 2 * GLIDE_STEP);
  });
});

describe('CrossfadeNode', () => {
  function fade(mix: number): { a: Float32Array; b: Float32Array; out: Float32Array } {
    const r = make();
    node(r, 'SineNode', 'sa', { frequency: 440 });
    node(r, 'SineNode', 'sb', { frequency: 661 });
    node(r, 'CrossfadeNode', 'x', { mix });
    r.s.link('sa.out', 'x.a');
    r.s.link('sb.out', 'x.b');
    const [a, b, out] = r.capture(['sa.out', 'sb.out', 'x.out'], 8192);
    return { a, b, out };
  }

  it('mix 0 is a, mix 1 is b', () => {
    const zero = fade(0);
    for (let i = 0; i < zero.out.length; i += 31) expect(zero.out[i]).toBeCloseTo(zero.a[i], 6);
    const one = fade(1);
    for (let i = 0; i < one.out.length; i += 31) expect(one.out[i]).toBeCloseTo(one.b[i], 6);
  });

  it('mix 0.5 has both at −3 dB', () => {
    // Each side alone (the other input silent).
    for (const side of ['a', 'b']) {
      const r = make();
      node(r, 'SineNode', 'sine', { frequency: 440 });
      node(r, 'CrossfadeNode', 'x');
      r.s.link('sine.out', `x.${side}`);
      const [input, out] = r.capture(['sine.out', 'x.out'], 8192);
      expect(db(rms(out) / rms(input)), side).toBeCloseTo(-3.0103, 3);
    }
  });

  it('keeps the power of two unrelated signals constant through the fade (equal power)', () => {
    for (const mix of [0, 0.2, 0.5, 0.8, 1]) {
      const { a, out } = fade(mix);
      expect(rms(out) / rms(a), `${mix}`).toBeCloseTo(1, 2);
    }
  });

  it('a stepped mix glides: no click; beyond 0…1 clamps; NaN reads as 0.5', () => {
    const r = make(128, { types: [SpecialValuesNode] });
    node(r, 'SineNode', 'sa', { frequency: SINE_HZ });
    node(r, 'CrossfadeNode', 'x');
    r.s.link('sa.out', 'x.a');
    r.s.link(stepped(r, 'mix', [0, 1, 0.5, 0]), 'x.mix');
    const out = r.capture(['x.out'], RATE / 2)[0];
    expect(maxStep(out)).toBeLessThan(SINE_STEP + (GLIDE_STEP * Math.PI) / 2);
    node(r, 'CrossfadeNode', 'over', { a: 1, b: 0.5, mix: 7 });
    node(r, 'CrossfadeNode', 'under', { a: 1, b: 0.5, mix: -7 });
    const [over, under] = r.capture(['over.out', 'under.out'], 128);
    expect(over[0]).toBeCloseTo(0.5, 6);
    expect(under[0]).toBe(1);
    r.s.add('SpecialValuesNode', 'hostile');
    node(r, 'CrossfadeNode', 'wild', { a: 1, b: 1 });
    r.s.link('hostile.out', 'wild.mix');
    const wild = r.capture(['wild.out'], 4096)[0];
    expect(allFinite(wild)).toBe(true);
    expect(Math.max(...wild)).toBeLessThanOrEqual(Math.SQRT2 + 1e-6);
  });
});
