import { defineNode, stream } from '../../engine/definition.js';
import { kernelsFor, nodeState } from '../../engine/wasm/kernels.js';
import { OP_PAN } from '../../engine/wasm/ops.js';
import { SMOOTHING_SNAP, smoothingCoefficient } from './smoothing.js';

/** Quarter turn over the pan range: θ = (pan + 1)·π/4, left = cos θ, right = sin θ. */
const QUARTER = Math.PI / 4;

// Indices into a PanNode's state (the same layout as panOp's in scripts/wasm/ops-filter.ts).
/** The position now. */
const POSITION = 0;
/** The position whose gains are cached, and those gains (left, right). */
const CACHED = 1;
const LEFT_GAIN = 2;
const RIGHT_GAIN = 3;
/** 1 once the first position was read (the glide starts there). */
const STARTED = 4;
/** The smoother's per-frame coefficient, for the kernel. */
const GLIDE = 5;
const STATE_SIZE = 6;

/**
 * Equal-power panner: left = cos θ, right = sin θ with θ = (pan + 1)·π/4, so left² + right² = 1 at every
 * position — the centre is −3.01 dB on each side (0.7071), hard left (−1) is the input on the left only.
 * The position glides to a new value over ≤ 5 ms (smoothing.ts); it starts at the first value it reads.
 */
export const PanNode = defineNode({
  type: 'PanNode',
  category: 'mixing',
  description: 'Equal-power panner: −1 hard left, 0 centre (−3 dB each side), 1 hard right.',
  inputs: {
    input: stream('The (mono) signal.', { default: 0 }),
    pan: stream(
      'Position: −1 left, 0 centre, 1 right; clamped to −1…1, NaN reads as 0. Glides over ≤ 5 ms.',
      {
        default: 0,
        unit: '-1…1',
        min: -1,
        max: 1,
      },
    ),
  },
  outputs: {
    left: stream('input · cos((pan + 1)·π/4).'),
    right: stream('input · sin((pan + 1)·π/4).'),
  },
  create(ctx, io) {
    const { input, pan } = io.inputs;
    const left = io.outputs.left.buf;
    const right = io.outputs.right.buf;
    const glide = smoothingCoefficient(ctx.sampleRate);
    // A typed array, since fractions in closure variables are fresh heap numbers; with kernels, in their
    // memory, where the plan's op (OP_PAN) runs on the same state as process().
    const kernels = kernelsFor(left);
    const { at: stateAt, state } = nodeState(kernels, STATE_SIZE);
    state[LEFT_GAIN] = Math.SQRT1_2;
    state[RIGHT_GAIN] = Math.SQRT1_2;
    state[GLIDE] = glide;
    return {
      encode(writer) {
        if (!kernels) return false;
        return (
          writer.begin(OP_PAN, left) &&
          writer.input(input) &&
          writer.input(pan) &&
          writer.pointer(kernels.offsetOf(right)) &&
          writer.pointer(stateAt)
        );
      },
      dispose() {
        kernels?.releaseState(stateAt, STATE_SIZE * 8);
      },
      process(frames) {
        const x = input.buf;
        const p = pan.buf;
        if (state[STARTED] === 0) {
          const first = p[0];
          state[POSITION] = first >= -1 ? Math.min(first, 1) : first < -1 ? -1 : 0;
          state[STARTED] = 1;
        }
        let position = state[POSITION];
        const first = p[0];
        const target = first >= -1 ? Math.min(first, 1) : first < -1 ? -1 : 0;
        if (pan.constant && position === target) {
          if (target !== state[CACHED]) {
            state[CACHED] = target;
            state[LEFT_GAIN] = Math.cos((target + 1) * QUARTER);
            state[RIGHT_GAIN] = Math.sin((target + 1) * QUARTER);
          }
          const l = state[LEFT_GAIN];
          const r = state[RIGHT_GAIN];
          if (input.constant) {
            left.fill(x[0] * l, 0, frames);
            right.fill(x[0] * r, 0, frames);
          } else {
            for (let i = 0; i < frames; i++) {
              const v = x[i];
              left[i] = v * l;
              right[i] = v * r;
            }
          }
          return;
        }
        // Moving: gains per frame.
        for (let i = 0; i < frames; i++) {
          const raw = p[i];
          const wanted = raw >= -1 ? Math.min(raw, 1) : raw < -1 ? -1 : 0;
          const gap = wanted - position;
          position = gap > SMOOTHING_SNAP || gap < -SMOOTHING_SNAP ? position + gap * glide : wanted;
          const theta = (position + 1) * QUARTER;
          const v = x[i];
          left[i] = v * Math.cos(theta);
          right[i] = v * Math.sin(theta);
        }
        state[POSITION] = position;
      },
    };
  },
});
