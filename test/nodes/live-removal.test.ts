// Removing what plays (a PlaybackNode, `clear`) while rendering must not click: its sound fades out over
// one block, like a relinked input (DESIGN principle 5). Before: the output stopped dead, a step as large
// as the level being played (0.9 for a 0.9 sine).

import { describe, expect, it } from 'vitest';
import { maxStep, peak } from '../helpers/analysis.js';
import { RATE, type Rig, rigsCleanedAfterEachTest } from './render.js';

const trackedRig = rigsCleanedAfterEachTest();

const PATCH = `new 220 f; new SineNode a; new 0.9 v; new MultiplyNode m; new PlaybackNode p;
link f.out -> a.frequency; link a.out -> m.a; link v.out -> m.b; link m.out -> p.left; link m.out -> p.right;`;
/** Largest step of a 0.9 × 220 Hz sine between neighbouring frames: 0.9 · 2π · 220 / 44100 ≈ 0.028. */
const SINE_STEP = (0.9 * 2 * Math.PI * 220) / RATE;

/** Renders 20 blocks, applies `edit`, renders 20 more; returns the left channel of the master. */
function masterAround(edit: (r: Rig) => void, atBlock = 20): Float32Array {
  const r = trackedRig();
  r.s.execute(PATCH);
  r.s.start();
  const blockSize = r.s.blockSize;
  const left = new Float32Array(40 * blockSize);
  for (let b = 0; b < 40; b++) {
    if (b === atBlock) edit(r);
    left.set(r.s.renderBlock().left, b * blockSize);
  }
  return left;
}

describe('removing what plays fades out over one block', () => {
  it.each([
    ['remove p', (r: Rig) => r.s.execute('remove p')],
    ['clear', (r: Rig) => r.s.execute('clear')],
    ['remove m, the node feeding p', (r: Rig) => r.s.remove('m')],
    ['unlink p', (r: Rig) => r.s.execute('unlink p')],
  ])('%s: no step above the sine’s own slope, then silence', (_label, edit) => {
    const left = masterAround(edit);
    expect(peak(left.subarray(0, 20 * 128))).toBeGreaterThan(0.85); // it was playing
    expect(maxStep(left)).toBeLessThan(SINE_STEP * 1.2);
    expect(peak(left.subarray(22 * 128))).toBe(0); // and is silent after the fade
  });

  it('a PlaybackNode removed while stopped leaves no fade in the first block after start', () => {
    const r = trackedRig();
    r.s.execute(PATCH);
    r.s.start();
    for (let b = 0; b < 20; b++) r.s.renderBlock();
    r.s.stop();
    r.s.execute('remove p');
    r.s.start();
    expect(peak(r.s.renderBlock().left)).toBe(0);
  });
});

describe('adding what plays fades in over one block', () => {
  it.each(['SquareNode', 'SawtoothNode'])(
    'a new PlaybackNode with a new %s starts without a step (it starts at ±1)',
    (type) => {
      const r = trackedRig();
      r.s.start();
      const blockSize = r.s.blockSize;
      const left = new Float32Array(8 * blockSize);
      for (let b = 0; b < 8; b++) {
        if (b === 4)
          r.s.execute(`new ${type} osc; new 0.2 f; new PlaybackNode p; link f.out -> osc.frequency;
            link osc.out -> p.left; link osc.out -> p.right;`);
        left.set(r.s.renderBlock().left, b * blockSize);
      }
      expect(peak(left.subarray(6 * blockSize))).toBeGreaterThan(0.9); // a 0.2 Hz wave: near ±1 all along
      // Before: a band-limited jump of 0.57 between two frames; now the jump (16 frames in, where the
      // oscillators start) is scaled by the fade, about 17/128.
      expect(maxStep(left)).toBeLessThan(0.1);
    },
  );
});
