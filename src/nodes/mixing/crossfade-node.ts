import { defineNode, stream } from '../../engine/definition.js';
import { STREAM_MAX } from '../../engine/types.js';
import { SMOOTHING_SNAP, smoothingCoefficient } from './smoothing.js';

/** A quarter turn over the mix range: out = a·cos(mix·π/2) + b·sin(mix·π/2). */
const QUARTER_TURN = Math.PI / 2;

/**
 * Equal-power crossfade: out = a·cos(mix·π/2) + b·sin(mix·π/2). At mix 0.5 each is at −3.01 dB (0.7071),
 * so two unrelated signals keep their loudness through the fade. `mix` glides to a new value over ≤ 5 ms
 * (smoothing.ts), starting at the first value it reads.
 */
export const CrossfadeNode = defineNode({
  type: 'CrossfadeNode',
  category: 'mixing',
  description: 'Equal-power crossfade from `a` (mix 0) to `b` (mix 1); at 0.5 both at −3 dB.',
  inputs: {
    a: stream('Heard alone at mix 0.', { default: 0 }),
    b: stream('Heard alone at mix 1.', { default: 0 }),
    mix: stream('0 = a, 1 = b; clamped to 0…1, NaN reads as 0.5. Glides over ≤ 5 ms.', {
      default: 0.5,
      unit: '0…1',
      min: 0,
      max: 1,
    }),
  },
  outputs: { out: stream('a·cos(mix·π/2) + b·sin(mix·π/2), within ±the largest float32.') },
  create(ctx, io) {
    const { a, b, mix } = io.inputs;
    const out = io.outputs.out.buf;
    const glide = smoothingCoefficient(ctx.sampleRate);
    // [mix now; the mix whose gains are cached, and those gains (a, b)]: a typed array (boxing).
    const state = Float64Array.of(0.5, 0.5, Math.SQRT1_2, Math.SQRT1_2);
    let started = false;
    return {
      process(frames) {
        const x = a.buf;
        const y = b.buf;
        const m = mix.buf;
        if (!started) {
          const first = m[0];
          state[0] = first >= 0 ? Math.min(first, 1) : first < 0 ? 0 : 0.5;
          started = true;
        }
        let position = state[0];
        const first = m[0];
        const target = first >= 0 ? Math.min(first, 1) : first < 0 ? 0 : 0.5;
        if (mix.constant && position === target) {
          if (target !== state[1]) {
            state[1] = target;
            state[2] = Math.cos(target * QUARTER_TURN);
            state[3] = Math.sin(target * QUARTER_TURN);
          }
          const ga = state[2];
          const gb = state[3];
          for (let i = 0; i < frames; i++) {
            const v = x[i] * ga + y[i] * gb;
            out[i] = Math.min(STREAM_MAX, Math.max(v, -STREAM_MAX));
          }
          return;
        }
        for (let i = 0; i < frames; i++) {
          const raw = m[i];
          const wanted = raw >= 0 ? Math.min(raw, 1) : raw < 0 ? 0 : 0.5;
          const gap = wanted - position;
          position = gap > SMOOTHING_SNAP || gap < -SMOOTHING_SNAP ? position + gap * glide : wanted;
          const theta = position * QUARTER_TURN;
          const v = x[i] * Math.cos(theta) + y[i] * Math.sin(theta);
          out[i] = Math.min(STREAM_MAX, Math.max(v, -STREAM_MAX));
        }
        state[0] = position;
      },
    };
  },
});
