import { defineNode, stream } from '../../engine/definition.js';
import { SMOOTHING_SNAP, smoothingCoefficient } from './smoothing.js';

/** Quarter turn over the pan range: θ = (pan + 1)·π/4, left = cos θ, right = sin θ. */
const QUARTER = Math.PI / 4;

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
    // [position now; the position whose gains are cached, and those gains (left, right)]: a typed array,
    // since fractions in closure variables are fresh heap numbers.
    const state = Float64Array.of(0, 0, Math.SQRT1_2, Math.SQRT1_2);
    let started = false;
    return {
      process(frames) {
        const x = input.buf;
        const p = pan.buf;
        if (!started) {
          const first = p[0];
          state[0] = first >= -1 ? Math.min(first, 1) : first < -1 ? -1 : 0;
          started = true;
        }
        let position = state[0];
        const first = p[0];
        const target = first >= -1 ? Math.min(first, 1) : first < -1 ? -1 : 0;
        if (pan.constant && position === target) {
          if (target !== state[1]) {
            state[1] = target;
            state[2] = Math.cos((target + 1) * QUARTER);
            state[3] = Math.sin((target + 1) * QUARTER);
          }
          const l = state[2];
          const r = state[3];
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
        state[0] = position;
      },
    };
  },
});
