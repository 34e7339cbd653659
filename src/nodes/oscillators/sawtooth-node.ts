import { defineNode, stream } from '../../engine/definition.js';
import { BLEP_DELAY, BLEP_MASK, BlepBuffer } from './blep.js';

/**
 * Rising ramp from −1 to 1 (fix: the original gave 0…1), band-limited with windowed-sinc BLEPs (see
 * blep.ts: aliasing about −100 dB at a 3 kHz fundamental; output 16 frames late). Phase continuous across
 * blocks and frequency changes; a negative frequency runs the ramp backwards.
 */
export const SawtoothNode = defineNode({
  type: 'SawtoothNode',
  category: 'oscillators',
  description: 'Band-limited rising sawtooth, −1…1, phase-continuous across blocks and frequency changes.',
  inputs: { frequency: stream('Frequency (negative runs backwards).', { default: 0, unit: 'Hz' }) },
  outputs: { out: stream('Sawtooth, −1…1.', { unit: '-1…1' }) },
  create(ctx, io) {
    const frequency = io.inputs.frequency;
    const out = io.outputs.out.buf;
    const inverseRate = 1 / ctx.sampleRate;
    const blep = new BlepBuffer();
    // Phase in cycles, [0, 1) (the naive value is 2·phase − 1); in a typed array, since a fraction stored
    // in a closure variable is a fresh heap number each block.
    const state = new Float64Array(1);
    const edgeFraction = blep.edgeFraction;
    const ring = blep.ring;
    let started = false;
    return {
      process(frames) {
        const f = frequency.buf;
        let p = state[0];
        if (!started) {
          // The ramp starts from silence: band-limit that first jump too.
          blep.step(2 * p - 1, 1);
          started = true;
        }
        let position = blep.position;
        for (let i = 0; i < frames; i++) {
          ring[(position + BLEP_DELAY) & BLEP_MASK] += 2 * p - 1;
          out[i] = ring[position];
          ring[position] = 0;
          position = (position + 1) & BLEP_MASK;
          blep.position = position;
          // Advance to the next frame, at most half a cycle (Nyquist) per frame.
          let increment = f[i] * inverseRate;
          if (!(increment <= 0.5))
            increment = increment > 0.5 ? 0.5 : 0; // also catches NaN
          else if (increment < -0.5) increment = -0.5;
          const next = p + increment;
          if (next >= 1) {
            edgeFraction[0] = (1 - p) / increment;
            blep.edge(-2);
            p = next - 1;
          } else if (next < 0) {
            edgeFraction[0] = p / -increment;
            blep.edge(2);
            p = next + 1;
          } else {
            p = next;
          }
        }
        state[0] = p;
      },
    };
  },
});
