// ADSRNode, LagNode and SampleAndHoldNode: stage times to the frame, click-free retriggers and short gates,
// the lag's 63 % times, sample-and-hold on rising triggers — all measured on rendered frames.

import { describe, expect, it } from 'vitest';
import { allFinite, maxStep } from '../helpers/analysis.js';
import { node, RATE, type Rig, rigsCleanedAfterEachTest, SpecialValuesNode } from './render.js';

const make = rigsCleanedAfterEachTest();

/**
 * A gate from `pattern` (1 held, 0 released), one element per `framesPerStep` frames, starting at frame 0:
 * a ClockNode steps a SequenceNode, so the edges fall on exact frames — when RATE/framesPerStep is exact in
 * float32 (the clock's frequency travels in a stream): 100, 900, 4410, 22050 are; 1000 (44.1 Hz) is not.
 */
function gate(r: Rig, name: string, pattern: number[], framesPerStep: number): string {
  node(r, 'ClockNode', `${name}_clock`, { frequency: RATE / framesPerStep });
  node(r, 'SequenceNode', name, { sequence: pattern });
  r.s.link(`${name}_clock.out`, `${name}.step`);
  return `${name}.out`;
}

/** First frame at or after `from` where `test` holds, or -1. */
function firstFrame(signal: Float32Array, test: (x: number) => boolean, from = 0): number {
  for (let i = from; i < signal.length; i++) if (test(signal[i])) return i;
  return -1;
}

function adsr(
  r: Rig,
  pattern: number[],
  framesPerStep: number,
  params: Record<string, number>,
  frames: number,
): Float32Array {
  const g = gate(r, 'g', pattern, framesPerStep);
  node(r, 'ADSRNode', 'env', params);
  r.s.link(g, 'env.gate');
  return r.capture(['env.envelope'], frames)[0];
}

describe('ADSRNode', () => {
  // attack 441 frames, decay 4410, release 13230; the gate rises at 0 and falls at 22050.
  const params = { attack: 0.01, decay: 0.1, sustain: 0.5, release: 0.3 };

  it('reaches each stage’s target at its time, to the frame', () => {
    const env = adsr(make(), [1, 0, 0, 0], 22050, params, 2 * RATE);
    expect(env[0]).toBe(0); // the rising frame outputs the level before
    // Attack: a straight line at 1/attack per second, 1 at frame 441.
    for (const k of [1, 100, 220, 440]) expect(env[k]).toBeCloseTo(k / 441, 6);
    expect(firstFrame(env, (x) => x >= 1 - 1e-6)).toBe(441);
    // Decay: within 0.001 of sustain exactly 4410 frames later, and sustain itself from there.
    const settled = firstFrame(env, (x) => Math.abs(x - 0.5) <= 0.001, 441);
    expect(Math.abs(settled - (441 + 4410))).toBeLessThanOrEqual(1);
    expect(env[441 + 4410]).toBeCloseTo(0.5, 6);
    for (let i = 442; i < 441 + 4410; i++) expect(env[i]).toBeLessThan(env[i - 1]); // falling all along
    expect(env.subarray(441 + 4410, 22050).every((x) => Math.abs(x - 0.5) < 1e-6)).toBe(true);
    // Release: from the gate's fall, at or below −60 dBFS (0.001) and then 0 exactly 13230 frames later.
    expect(env[22050]).toBeCloseTo(0.5, 6);
    const quiet = firstFrame(env, (x) => x <= 0.001, 22050);
    const silent = firstFrame(env, (x) => x === 0, 22050);
    expect(Math.abs(quiet - (22050 + 13230))).toBeLessThanOrEqual(1);
    expect(Math.abs(silent - (22050 + 13230))).toBeLessThanOrEqual(1);
    for (let i = 22051; i < silent; i++) expect(env[i]).toBeLessThan(env[i - 1]);
    expect(env.subarray(silent).every((x) => x === 0)).toBe(true);
  });

  it('decay and release are exponential: straight lines in dB', () => {
    const env = adsr(make(), [1, 0, 0, 0], 22050, params, RATE);
    // Release from 0.5 (−6 dB) to 0.001 (−60 dB) in 13230 frames: halfway, −33 dB.
    expect(20 * Math.log10(env[22050 + 6615])).toBeCloseTo(20 * Math.log10(Math.sqrt(0.5 * 0.001)), 1);
    // Decay: the distance from sustain falls from 0.5 to 0.001 in 4410 frames: halfway √(0.5·0.001).
    expect(env[441 + 2205] - 0.5).toBeCloseTo(Math.sqrt(0.5 * 0.001), 4);
  });

  it('keeps stage times exact when attack·rate is not a whole number of frames', () => {
    // attack 0.0123 s = 542.43 frames, decay 0.0456 s = 2010.96 frames: attack + decay = 2553.39 frames.
    const env = adsr(make(), [1, 0], 22050, { attack: 0.0123, decay: 0.0456, sustain: 0.25 }, 4096);
    expect(Math.abs(firstFrame(env, (x) => x >= 1 - 1e-6) - 542.43)).toBeLessThanOrEqual(1);
    const settled = firstFrame(env, (x) => Math.abs(x - 0.25) <= 0.001, 543);
    expect(Math.abs(settled - 2553.39)).toBeLessThanOrEqual(1);
  });

  it('a new gate during the release rises from the current level at 1/attack per second: no click', () => {
    // Gate 0.1 s on, 0.1 s off, repeating: each new gate catches the release half-way.
    const env = adsr(make(), [1, 0], 4410, { attack: 0.05, decay: 0.05, sustain: 0.6, release: 0.2 }, RATE);
    const retrigger = 8820;
    const from = env[retrigger];
    expect(from).toBeGreaterThan(0.01); // still sounding: a real retrigger, not a start from 0
    expect(from).toBeLessThan(0.6);
    expect(Math.abs(env[retrigger] - env[retrigger - 1])).toBeLessThan(1e-3);
    expect(env[retrigger + 1] - env[retrigger]).toBeCloseTo(1 / (0.05 * RATE), 7);
    const top = firstFrame(env, (x) => x >= 1 - 1e-6, retrigger);
    expect(Math.abs(top - retrigger - (1 - from) * 0.05 * RATE)).toBeLessThanOrEqual(1);
    // The largest step anywhere is the steepest part of a stage (the decay's start: 0.4·ln 400 per 2205
    // frames), never a jump.
    expect(maxStep(env)).toBeLessThan(((0.4 * Math.log(400)) / (0.05 * RATE)) * 1.05);
  });

  it('a gate shorter than the attack releases from the level it reached', () => {
    // 100 frames of gate, attack 441 frames: 100/441 of the way up, then the release from there.
    const env = adsr(make(), [1, ...new Array(40).fill(0)], 100, { attack: 0.01, release: 0.05 }, 4096);
    const reached = 100 / 441;
    expect(env[100]).toBeCloseTo(reached, 6);
    expect(Math.max(...env)).toBeCloseTo(reached, 6);
    const silent = firstFrame(env, (x) => x === 0, 100);
    expect(Math.abs(silent - (100 + 0.05 * RATE))).toBeLessThanOrEqual(1);
    expect(maxStep(env)).toBeLessThan(1 / 441 + 1e-6);
  });

  it('zero times work: instant stages, finite, within 0…1', () => {
    const env = adsr(make(), [1, 0], 900, { attack: 0, decay: 0, sustain: 0.3, release: 0 }, 4000);
    expect(allFinite(env)).toBe(true);
    expect(env[0]).toBe(0); // the rising frame outputs the level before
    expect(env[1]).toBe(1);
    expect(env[2]).toBeCloseTo(0.3, 6);
    expect(env[899]).toBeCloseTo(0.3, 6);
    expect(env[900]).toBeCloseTo(0.3, 6); // the falling frame outputs the level before
    expect(env[901]).toBe(0);
    expect(env[1801]).toBe(1); // the next gate
  });

  it('follows a changed sustain, decay or release without a jump', () => {
    const r = make();
    const env = [adsr(r, [1, 0], 22050, params, 12000)];
    r.s.setValue('env_sustain', 0.8); // in sustain: glides with the control ramp
    env.push(r.capture(['env.envelope'], 22050 - 12000 + 4000)[0]); // on into the release
    r.s.setValue('env_release', 2); // mid-release: slower from here
    env.push(r.capture(['env.envelope'], 8000)[0]);
    const all = Float32Array.from(env.flatMap((e) => [...e]));
    expect(allFinite(all)).toBe(true);
    expect(maxStep(all.subarray(1000))).toBeLessThan(0.005);
    expect(all[21000]).toBeCloseTo(0.8, 6);
  });
});

describe('LagNode', () => {
  /** Input 0 until frame 22050, then `to` until 44100, then back to 0; returns the output. */
  function steps(rise: number, fall: number, to = 1): Float32Array {
    const r = make();
    node(r, 'ClockNode', 'clock', { frequency: 2 });
    node(r, 'SequenceNode', 'input', { sequence: [0, to, 0, 0] });
    r.s.link('clock.out', 'input.step');
    node(r, 'LagNode', 'lag', { rise, fall });
    r.s.link('input.out', 'lag.input');
    return r.capture(['lag.out'], 2 * RATE)[0];
  }

  it('reaches 63 % of a rising step in `rise` seconds and of a falling one in `fall`', () => {
    const out = steps(0.01, 0.05); // 441 and 2205 frames
    const up = firstFrame(out, (x) => x >= 1 - Math.exp(-1), 22050) - 22050;
    const down = firstFrame(out, (x) => x <= Math.exp(-1), 44100) - 44100;
    // The step's own frame already moves, so 63.2 % falls on frame time·rate − 1: within a frame.
    expect(Math.abs(up - 441)).toBeLessThanOrEqual(1);
    expect(Math.abs(down - 2205)).toBeLessThanOrEqual(1);
    // One pole: after k frames 1 − e^(−(k+1)/(rise·rate)) of the way.
    for (const k of [0, 100, 1000]) expect(out[22050 + k]).toBeCloseTo(1 - Math.exp(-(k + 1) / 441), 5);
    expect(out.subarray(0, 22050).every((x) => x === 0)).toBe(true);
  });

  it('holds within 1 % for steps of any size and sign', () => {
    for (const to of [-3, 0.001, 440]) {
      const out = steps(0.02, 0.02, to);
      const k = firstFrame(
        out,
        (x) => (to > 0 ? x >= to * (1 - Math.exp(-1)) : x <= to * (1 - Math.exp(-1))),
        22050,
      );
      expect(Math.abs(k - 22050 - 882)).toBeLessThanOrEqual(1);
    }
  });

  it('rise and fall of 0 pass the input through; it starts at its first input', () => {
    const passed = steps(0, 0);
    expect(passed[22049]).toBe(0);
    expect(passed[22050]).toBe(1);
    expect(passed[44100]).toBe(0);
    const r = make();
    node(r, 'LagNode', 'lag', { input: 0.25 });
    expect(r.capture(['lag.out'], 128)[0].every((x) => x === 0.25)).toBe(true);
  });

  it('a time changed mid-glide bends the curve without a jump', () => {
    const r = make();
    node(r, 'ClockNode', 'clock', { frequency: 2 });
    node(r, 'SequenceNode', 'input', { sequence: [0, 1] });
    r.s.link('clock.out', 'input.step');
    node(r, 'LagNode', 'lag', { rise: 0.2 });
    r.s.link('input.out', 'lag.input');
    const before = r.capture(['lag.out'], 22050 + 2000)[0];
    r.s.setValue('lag_rise', 0.001);
    const after = r.capture(['lag.out'], 2000)[0];
    const all = Float32Array.from([...before, ...after]);
    expect(maxStep(all)).toBeLessThan(0.1); // a 1 ms lag from ~0.2 covers ≤ 2 % of the gap a frame
    expect(after[1999]).toBeCloseTo(1, 5);
  });
});

describe('SampleAndHoldNode', () => {
  it('takes the input at each frame where the trigger rises, holds it between (frame-exact)', () => {
    const r = make();
    // input[i] = i (a sequence stepped every frame), trigger every 100 frames from frame 0.
    node(r, 'ClockNode', 'every', { frequency: 2 * RATE });
    node(r, 'SequenceNode', 'counter', { sequence: Array.from({ length: 2000 }, (_, i) => i) });
    r.s.link('every.out', 'counter.step');
    node(r, 'ClockNode', 'tick', { frequency: RATE / 100 });
    node(r, 'SampleAndHoldNode', 'sh');
    r.s.link('counter.out', 'sh.input');
    r.s.link('tick.out', 'sh.trigger');
    const out = r.capture(['sh.out'], 1500)[0];
    for (let i = 0; i < out.length; i++) expect(out[i], `frame ${i}`).toBe(100 * Math.floor(i / 100));
  });

  it('a held-high trigger samples once, on its rise; negative to positive counts; 0 before the first', () => {
    const r = make();
    node(r, 'ClockNode', 'every', { frequency: 2 * RATE });
    node(r, 'SequenceNode', 'counter', { sequence: Array.from({ length: 2000 }, (_, i) => i) });
    r.s.link('every.out', 'counter.step');
    // Trigger per 50-frame step: 0, 1 (held 100 frames), 0.5, −1, 2, 0 …
    node(r, 'ClockNode', 'slow', { frequency: RATE / 50 });
    node(r, 'SequenceNode', 'trigger', { sequence: [0, 1, 1, -1, 2, 0, 0, 0] });
    r.s.link('slow.out', 'trigger.step');
    node(r, 'SampleAndHoldNode', 'sh');
    r.s.link('counter.out', 'sh.input');
    r.s.link('trigger.out', 'sh.trigger');
    const out = r.capture(['sh.out'], 400)[0];
    expect(out.subarray(0, 50).every((x) => x === 0)).toBe(true);
    expect(out.subarray(50, 200).every((x) => x === 50)).toBe(true); // held through the high stretch
    expect(out.subarray(200, 400).every((x) => x === 200)).toBe(true); // −1 → 2 at frame 200
  });

  it('a constant trigger samples at its first frame only; NaN triggers and inputs stay finite', () => {
    const r = make(128, { types: [SpecialValuesNode] });
    node(r, 'SineNode', 'sine', { frequency: 100 });
    node(r, 'SampleAndHoldNode', 'once', { trigger: 1 });
    r.s.link('sine.out', 'once.input');
    r.s.add('SpecialValuesNode', 'hostile');
    node(r, 'SampleAndHoldNode', 'wild');
    r.s.link('hostile.out', 'wild.input');
    r.s.link('hostile.out', 'wild.trigger');
    const [once, wild] = r.capture(['once.out', 'wild.out'], 2048);
    expect(once.every((x) => x === 0)).toBe(true); // the sine's first sample is 0
    expect(allFinite(wild)).toBe(true);
    expect(r.events.filter((e) => e.kind === 'fault')).toEqual([]);
  });
});
