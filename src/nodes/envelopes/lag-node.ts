import { defineNode, stream } from '../../engine/definition.js';
import { STREAM_MAX } from '../../engine/types.js';
import { kernelsFor, nodeState } from '../../engine/wasm/kernels.js';
import { OP_LAG } from '../../engine/wasm/ops.js';

/** Closer than this to the input, the output is the input (no endless creep into denormal numbers). */
const SNAP = 1e-30;

// Indices into a LagNode's state (the same layout as lagOp's in scripts/wasm/ops-mix.ts).
/** The output level. */
const LEVEL = 0;
/** The last rise time seen and its pole e^(−1/(time·rate)); the same for fall. */
const RISE_SEEN = 1;
const RISE_POLE = 2;
const FALL_SEEN = 3;
const FALL_POLE = 4;
/** 1 once the first input was read (it starts there). */
const STARTED = 5;
/** The sample rate, for the kernel. */
const RATE = 6;
const STATE_SIZE = 7;

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
    // A typed array (fractions in closure variables are fresh heap numbers); with kernels, in their memory,
    // where the plan's op (OP_LAG) runs on the same state as process().
    const kernels = kernelsFor(out);
    const { at: stateAt, state } = nodeState(kernels, STATE_SIZE);
    state[RISE_SEEN] = -1;
    state[FALL_SEEN] = -1;
    state[RATE] = rate;
    return {
      encode(writer) {
        if (!kernels) return false;
        return (
          writer.begin(OP_LAG, out) &&
          writer.input(input) &&
          writer.input(rise) &&
          writer.input(fall) &&
          writer.pointer(stateAt)
        );
      },
      dispose() {
        kernels?.releaseState(stateAt, STATE_SIZE * 8);
      },
      process(frames) {
        const x = input.buf;
        const up = rise.buf;
        const down = fall.buf;
        if (state[STARTED] === 0) {
          const first = x[0];
          state[LEVEL] = Number.isNaN(first) ? 0 : Math.min(STREAM_MAX, Math.max(-STREAM_MAX, first));
          state[STARTED] = 1;
        }
        let y = state[LEVEL];
        // Settled on a constant input: a constant block.
        if (input.constant && x[0] === y) {
          out.fill(y, 0, frames);
          return;
        }
        let riseSeen = state[RISE_SEEN];
        let risePole = state[RISE_POLE];
        let fallSeen = state[FALL_SEEN];
        let fallPole = state[FALL_POLE];
        for (let i = 0; i < frames; i++) {
          const raw = x[i];
          const target = Number.isNaN(raw) ? 0 : Math.min(STREAM_MAX, Math.max(-STREAM_MAX, raw));
          // Both times are read, and their poles kept current, whichever way the signal goes: a rise first
          // seen blocks after V8 optimized this loop deoptimized it (docs/decisions.md, "Hot JS node
          // functions take every branch before V8 optimizes them"). A pole depends on its time only.
          const riseSeconds = up[i];
          if (riseSeconds !== riseSeen) {
            riseSeen = riseSeconds;
            risePole = riseSeconds > 0 ? Math.exp(-1 / (riseSeconds * rate)) : 0;
          }
          const fallSeconds = down[i];
          if (fallSeconds !== fallSeen) {
            fallSeen = fallSeconds;
            fallPole = fallSeconds > 0 ? Math.exp(-1 / (fallSeconds * rate)) : 0;
          }
          const pole = target > y ? risePole : fallPole;
          const gap = y - target;
          y = gap > SNAP || gap < -SNAP ? target + gap * pole : target;
          out[i] = y;
        }
        state[LEVEL] = y;
        state[RISE_SEEN] = riseSeen;
        state[RISE_POLE] = risePole;
        state[FALL_SEEN] = fallSeen;
        state[FALL_POLE] = fallPole;
      },
    };
  },
});
