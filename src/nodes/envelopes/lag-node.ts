import { defineNode, stream } from '../../engine/definition.js';
import { STREAM_MAX } from '../../engine/types.js';

/** Closer than this to the input, the output is the input (no endless creep into denormal numbers). */
const SNAP = 1e-30;

/**
 * One-pole smoothing with separate rise and fall times (portamento, slew): out moves toward the input by a
 * fraction 1 − e^(−1/(time·rate)) of the gap each frame, using `rise` while the input is above the output
 * and `fall` while below. After a step the output has covered 63.2 % (1 − 1/e) of it `rise` (or `fall`)
 * seconds later — at frame time·rate − 1 after the step, since the step frame itself already moves — and
 * 99.9 % after 6.9 times that. It starts at its first input (no glide from 0 when a patch starts). Times
 * ≤ 0 or NaN pass the input through; they are read every frame, so they may be modulated.
 */
export const LagNode = defineNode({
  type: 'LagNode',
  category: 'envelopes',
  description:
    'One-pole smoothing (portamento): reaches 63 % of a rising step in `rise` seconds, of a falling one in `fall`.',
  inputs: {
    input: stream('The signal to smooth (NaN reads as 0).', { default: 0 }),
    rise: stream('Time constant while the input is above the output. ≤ 0 or NaN: follows at once.', {
      default: 0.05,
      unit: 's',
      min: 0,
      max: 10,
    }),
    fall: stream('Time constant while the input is below the output. ≤ 0 or NaN: follows at once.', {
      default: 0.05,
      unit: 's',
      min: 0,
      max: 10,
    }),
  },
  outputs: { out: stream('The smoothed signal.') },
  create(ctx, io) {
    const { input, rise, fall } = io.inputs;
    const out = io.outputs.out.buf;
    const rate = ctx.sampleRate;
    // [output level; last rise time seen and its pole e^(−1/(time·rate)); the same for fall]. A typed
    // array: fractions in closure variables are fresh heap numbers.
    const state = Float64Array.of(0, -1, 0, -1, 0);
    let started = false;
    return {
      process(frames) {
        const x = input.buf;
        const up = rise.buf;
        const down = fall.buf;
        if (!started) {
          const first = x[0];
          state[0] = Number.isNaN(first) ? 0 : Math.min(STREAM_MAX, Math.max(-STREAM_MAX, first));
          started = true;
        }
        let y = state[0];
        // Settled on a constant input: a constant block.
        if (input.constant && x[0] === y) {
          out.fill(y, 0, frames);
          return;
        }
        let riseSeen = state[1];
        let risePole = state[2];
        let fallSeen = state[3];
        let fallPole = state[4];
        for (let i = 0; i < frames; i++) {
          const raw = x[i];
          const target = Number.isNaN(raw) ? 0 : Math.min(STREAM_MAX, Math.max(-STREAM_MAX, raw));
          let pole: number;
          if (target > y) {
            const seconds = up[i];
            if (seconds !== riseSeen) {
              riseSeen = seconds;
              risePole = seconds > 0 ? Math.exp(-1 / (seconds * rate)) : 0;
            }
            pole = risePole;
          } else {
            const seconds = down[i];
            if (seconds !== fallSeen) {
              fallSeen = seconds;
              fallPole = seconds > 0 ? Math.exp(-1 / (seconds * rate)) : 0;
            }
            pole = fallPole;
          }
          const gap = y - target;
          y = gap > SNAP || gap < -SNAP ? target + gap * pole : target;
          out[i] = y;
        }
        state[0] = y;
        state[1] = riseSeen;
        state[2] = risePole;
        state[3] = fallSeen;
        state[4] = fallPole;
      },
    };
  },
});
