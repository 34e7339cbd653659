// MathNode: every op on ordinary values and on its edge cases (x/0, negative powers, floored modulo …),
// per frame (audio-rate operands) and on constant operands, hostile operands, op changes and bad ops.

import { describe, expect, it } from 'vitest';
import { STREAM_MAX } from '../../src/engine/types.js';
import { MATH_OPS } from '../../src/nodes/math/math-node.js';
import { allFinite, maxStep } from '../helpers/analysis.js';
import {
  node,
  RATE,
  type Rig,
  rigsCleanedAfterEachTest,
  SPECIAL_VALUES,
  SpecialValuesNode,
} from './render.js';

const make = rigsCleanedAfterEachTest();
const MAX = Math.fround(STREAM_MAX);

/** [a, b, expected] for each op; values are float32 (they travel in streams). */
const CASES: Record<string, Array<[number, number, number]>> = {
  subtract: [
    [5, 3, 2],
    [-1, -1, 0],
    [0.25, 1, -0.75],
    [3e38, -3e38, MAX], // beyond float32: held at its edge, not ∞
    [-3e38, 3e38, -MAX],
  ],
  divide: [
    [6, 3, 2],
    [1, 0, 0], // x/0 → 0
    [-5, 0, 0],
    [0, 0, 0],
    [1, -4, -0.25],
    [1e30, 1e-30, MAX],
    [-1e30, 1e-30, -MAX],
  ],
  min: [
    [1, 2, 1],
    [-3, -4, -4],
    [0, 0, 0],
  ],
  max: [
    [1, 2, 2],
    [-3, -4, -3],
  ],
  power: [
    [2, 3, 8],
    [4, 0.5, 2],
    [4, -0.5, 0.5],
    [-2, 3, -8], // sign(a)·|a|^b
    [-2, 2, -4],
    [-8, 1 / 3, -2],
    [-4, -0.5, -0.5],
    [0, 0, 1],
    [0, 2, 0],
    [0, -1, MAX], // 0 to a negative power: the largest float32, never ∞
    [10, 100, MAX],
    [-10, 100, -MAX],
    [2, -1e30, 0],
  ],
  modulo: [
    [5, 3, 2],
    [-5, 3, 1], // floored: the sign of b
    [5, -3, -1],
    [-5, -3, -2],
    [7.5, 2, 1.5],
    [-0.5, 2, 1.5],
    [6, 3, 0],
    [-6, 3, 0],
    [5, 0, 0], // b = 0 → 0
    [-1e-9, 1, 0], // 1 − 1e-9 is 1 in float32, which is b: wraps to 0
    [1e30, 7, Math.fround(1e30) % 7],
  ],
  abs: [
    [-3, 9, 3],
    [2.5, 9, 2.5],
  ],
  negate: [
    [3, 9, -3],
    [-0.5, 9, 0.5],
  ],
  clip: [
    [5, 2, 2],
    [-5, 2, -2],
    [5, -2, 2], // within ±|b|
    [1, 2, 1],
    [-1, 2, -1],
    [0.5, 0, 0],
  ],
  tanh: [
    [0, 9, 0],
    [1, 9, Math.tanh(1)],
    [-0.5, 9, Math.tanh(-0.5)],
    [100, 9, 1],
    [-100, 9, -1],
  ],
  less: [
    [1, 2, 1],
    [2, 1, 0],
    [1, 1, 0],
  ],
  greater: [
    [1, 2, 0],
    [2, 1, 1],
    [1, 1, 0],
  ],
};

/**
 * Renders `op` with a and b stepping through the cases' operands one frame each (audio-rate operands, the
 * per-frame path), and returns the output frames that correspond to the cases.
 */
function perFrame(r: Rig, op: string, cases: Array<[number, number, number]>): Float32Array {
  node(r, 'ClockNode', 'every', { frequency: 2 * RATE }); // a tick every frame
  node(r, 'SequenceNode', 'as', { sequence: cases.map((c) => c[0]) });
  node(r, 'SequenceNode', 'bs', { sequence: cases.map((c) => c[1]) });
  r.s.link('every.out', 'as.step');
  r.s.link('every.out', 'bs.step');
  node(r, 'MathNode', 'm', { op });
  r.s.link('as.out', 'm.a');
  r.s.link('bs.out', 'm.b');
  return r.capture(['m.out'], cases.length)[0];
}

describe('MathNode', () => {
  it('covers every op the SPEC names', () => {
    expect([...MATH_OPS].sort()).toEqual(Object.keys(CASES).sort());
  });

  describe.each(Object.keys(CASES))('%s', (op) => {
    const cases = CASES[op];
    it('per frame (audio-rate operands), edge cases included', () => {
      const out = perFrame(make(), op, cases);
      cases.forEach(([a, b, expected], i) => {
        expect(out[i], `${op}(${a}, ${b})`).toBeCloseTo(Math.fround(expected), 5);
        expect(Object.is(out[i], Number.NaN)).toBe(false);
      });
    });

    it('with constant operands (the fast path) gives the same', () => {
      for (const [a, b, expected] of cases) {
        const r = make();
        node(r, 'MathNode', 'm', { op, a, b });
        const out = r.capture(['m.out'], 256)[0];
        expect(out[0], `${op}(${a}, ${b})`).toBeCloseTo(Math.fround(expected), 5);
        expect(out.every((x) => x === out[0])).toBe(true);
      }
    });

    it('NaN, ±∞ and ±the largest float32 as operands (every pair) give finite results', () => {
      const r = make(128, { types: [SpecialValuesNode] });
      r.s.add('SpecialValuesNode', 'fast');
      r.s.add('SpecialValuesNode', 'slow');
      r.s.addValue(SPECIAL_VALUES.length, 'holdFrames'); // the slow source holds each value that long
      r.s.link('holdFrames.out', 'slow.hold');
      node(r, 'MathNode', 'm', { op });
      r.s.link('fast.out', 'm.a');
      r.s.link('slow.out', 'm.b');
      const out = r.capture(['m.out'], 4 * 128)[0];
      expect(allFinite(out)).toBe(true);
      expect(r.events.filter((e) => e.kind === 'fault')).toEqual([]);
    });
  });

  it('reads NaN operands as 0 and ±∞ as ±the largest float32', () => {
    // Frame 1 of SpecialValuesNode is NaN, frame 2 +∞, frame 3 −∞ (frame 0 of a block is 0).
    const r = make(128, { types: [SpecialValuesNode] });
    r.s.add('SpecialValuesNode', 'hostile');
    node(r, 'MathNode', 'm', { op: 'subtract', b: -1 });
    r.s.link('hostile.out', 'm.a');
    const out = r.capture(['m.out'], 8)[0];
    expect(out[1]).toBe(1); // NaN − (−1)
    expect(out[2]).toBe(MAX); // ∞ + 1, held
    expect(out[3]).toBe(-MAX + 1);
  });

  it('accepts ops in any case and with spaces', () => {
    const r = make();
    node(r, 'MathNode', 'm', { op: ' Divide ', a: 1, b: 4 });
    expect(r.capture(['m.out'], 128)[0][0]).toBe(0.25);
    expect(r.events.filter((e) => e.kind === 'warning')).toEqual([]);
  });

  it('an unknown op is a clear warning and keeps the last valid op (subtract at first)', () => {
    const r = make();
    node(r, 'MathNode', 'm', { op: 'multiply', a: 3, b: 2 });
    expect(r.capture(['m.out'], 128)[0][0]).toBe(1); // subtract
    const warnings = () =>
      r.events.filter((e) => e.kind === 'warning').map((e) => (e as { message: string }).message);
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]).toMatch(
      /op "multiply" is not one of subtract, divide, .*greater: keeping subtract/,
    );
    expect(r.events.filter((e) => e.kind === 'fault')).toEqual([]);
    r.s.setValue('m_op', 'max');
    expect(r.capture(['m.out'], 1024)[0][1023]).toBe(3);
    r.s.setValue('m_op', 7);
    expect(r.capture(['m.out'], 1024)[0][1023]).toBe(3); // still max
    expect(warnings()[1]).toMatch(/op 7 .*keeping max/);
  });

  it('an op change crossfades over 5 ms instead of jumping', () => {
    const r = make();
    node(r, 'MathNode', 'm', { op: 'subtract', a: 1, b: 0.5 });
    expect(r.capture(['m.out'], 1024)[0][1023]).toBe(0.5);
    r.s.setValue('m_op', 'max'); // 0.5 → 1
    const out = r.capture(['m.out'], 2048)[0];
    const fadeFrames = Math.round(0.005 * RATE);
    expect(maxStep(out)).toBeLessThan((0.5 / fadeFrames) * 1.01);
    expect(out[fadeFrames + 1]).toBe(1);
    expect(out[Math.floor(fadeFrames / 2)]).toBeCloseTo(0.75, 2);
  });
});
