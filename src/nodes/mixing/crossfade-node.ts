import { defineNode, stream } from '../../engine/definition.js';
import { STREAM_MAX } from '../../engine/types.js';
import { kernelsFor, nodeState } from '../../engine/wasm/kernels.js';
import { OP_CROSSFADE } from '../../engine/wasm/ops.js';
import { SMOOTHING_SNAP, smoothingCoefficient } from './smoothing.js';

/** A quarter turn over the mix range: out = a·cos(mix·π/2) + b·sin(mix·π/2). */
const QUARTER_TURN = Math.PI / 2;

// Indices into a CrossfadeNode's state (the same layout as crossfadeOp's in scripts/wasm/ops-filter.ts).
/** The mix now. */
const POSITION = 0;
/** The mix whose gains are cached, and those gains (a, b). */
const CACHED = 1;
const A_GAIN = 2;
const B_GAIN = 3;
/** 1 once the first mix was read (the glide starts there). */
const STARTED = 4;
/** The smoother's per-frame coefficient, for the kernel. */
const GLIDE = 5;
const STATE_SIZE = 6;

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
    // A typed array (boxing); with kernels, in their memory, where the plan's op (OP_CROSSFADE) runs on the
    // same state as process().
    const kernels = kernelsFor(out);
    const { at: stateAt, state } = nodeState(kernels, STATE_SIZE);
    state.set([0.5, 0.5, Math.SQRT1_2, Math.SQRT1_2]);
    state[GLIDE] = glide;
    return {
      encode(writer) {
        return (
          writer.begin(OP_CROSSFADE, out) &&
          writer.input(a) &&
          writer.input(b) &&
          writer.input(mix) &&
          writer.pointer(stateAt)
        );
      },
      dispose() {
        kernels?.releaseState(stateAt, STATE_SIZE * 8);
      },
      process(frames) {
        const x = a.buf;
        const y = b.buf;
        const m = mix.buf;
        if (state[STARTED] === 0) {
          const first = m[0];
          state[POSITION] = first >= 0 ? Math.min(first, 1) : first < 0 ? 0 : 0.5;
          state[STARTED] = 1;
        }
        let position = state[POSITION];
        const first = m[0];
        const target = first >= 0 ? Math.min(first, 1) : first < 0 ? 0 : 0.5;
        if (mix.constant && position === target) {
          if (target !== state[CACHED]) {
            state[CACHED] = target;
            state[A_GAIN] = Math.cos(target * QUARTER_TURN);
            state[B_GAIN] = Math.sin(target * QUARTER_TURN);
          }
          const ga = state[A_GAIN];
          const gb = state[B_GAIN];
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
        state[POSITION] = position;
      },
    };
  },
});
