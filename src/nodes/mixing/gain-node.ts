import { defineNode, stream } from '../../engine/definition.js';
import { STREAM_MAX } from '../../engine/types.js';
import { kernelsFor, nodeState } from '../../engine/wasm/kernels.js';
import { OP_GAIN } from '../../engine/wasm/ops.js';
import { SMOOTHING_SNAP, smoothingCoefficient } from './smoothing.js';

/** Below this gain (dB) the output is silent: −∞ dB. */
export const SILENT_BELOW_DB = -120;
/** The largest gain (dB); more is held here. */
export const MAX_GAIN_DB = 40;
/** ln(10)/20: gain = e^(dB·DB_TO_LN). */
const DB_TO_LN = Math.LN10 / 20;

// Indices into a GainNode's state (the same layout as gainOp's in scripts/wasm/kernels.ts).
/** The linear gain now. */
const NOW = 0;
/** The last dB value seen and its linear gain. */
const LAST_DB = 1;
const LAST_LINEAR = 2;
/** 1 once the first gain was read (the glide starts there). */
const STARTED = 3;
/** The smoother's per-frame coefficient. */
// biome-ignore lint/correctness/noUnusedVariables: the kernel reads the state at this index; kept to name it
const GLIDE = 4;
const STATE_SIZE = 5;

/**
 * A gain in decibels: out = input · 10^(gain/20). The linear gain glides to a new value over ≤ 5 ms
 * (smoothing.ts), so stepping `gain` never clicks (zipper noise); it starts at the first gain it reads.
 */
export const GainNode = defineNode({
  type: 'GainNode',
  category: 'mixing',
  description:
    'Amplifies or attenuates by `gain` dB (below −120 dB: silence), gliding over ≤ 5 ms when the gain changes.',
  inputs: {
    input: stream('The signal.', { default: 0 }),
    gain: stream(
      'Gain in dB: 0 passes the input unchanged, −6 halves it. Below −120 dB the output is silent (−∞ dB); above +40 dB counts as +40 dB; NaN reads as 0 dB.',
      { default: 0, unit: 'dB', min: SILENT_BELOW_DB, max: MAX_GAIN_DB },
    ),
  },
  outputs: { out: stream('input × 10^(gain/20), within ±the largest float32.') },
  create(ctx, io) {
    const { input, gain } = io.inputs;
    const out = io.outputs.out.buf;
    const glide = smoothingCoefficient(ctx.sampleRate);
    // A typed array, since a fraction in a closure variable is a fresh heap number each block; with
    // kernels, in their memory, where the plan's op (OP_GAIN) runs on the same state as process().
    const kernels = kernelsFor(out);
    const { at: stateAt, state } = nodeState(kernels, STATE_SIZE);
    state.set([1, 0, 1, 0, glide]);
    return {
      encode(writer) {
        return (
          writer.begin(OP_GAIN, io.outputs.out.buf) &&
          writer.input(input) &&
          writer.input(gain) &&
          writer.pointer(stateAt)
        );
      },
      dispose() {
        kernels?.releaseState(stateAt, STATE_SIZE * 8);
      },
      process(frames) {
        const x = input.buf;
        const db = gain.buf;
        if (state[STARTED] === 0) {
          const d = db[0];
          state[NOW] =
            d >= SILENT_BELOW_DB
              ? Math.exp(Math.min(d, MAX_GAIN_DB) * DB_TO_LN)
              : d < SILENT_BELOW_DB
                ? 0
                : 1;
          state[STARTED] = 1;
        }
        let g = state[NOW];
        if (gain.constant) {
          // One conversion per block (or none, while the value stays).
          const d = db[0];
          if (d !== state[LAST_DB]) {
            state[LAST_DB] = d;
            state[LAST_LINEAR] =
              d >= SILENT_BELOW_DB
                ? Math.exp(Math.min(d, MAX_GAIN_DB) * DB_TO_LN)
                : d < SILENT_BELOW_DB
                  ? 0
                  : 1;
          }
          const target = state[LAST_LINEAR];
          if (g === target) {
            if (input.constant) {
              const v = x[0] * g;
              out.fill(Math.min(STREAM_MAX, Math.max(v, -STREAM_MAX)), 0, frames);
            } else {
              for (let i = 0; i < frames; i++) {
                const v = x[i] * g;
                out[i] = Math.min(STREAM_MAX, Math.max(v, -STREAM_MAX));
              }
            }
            return;
          }
          for (let i = 0; i < frames; i++) {
            const gap = target - g;
            g = gap > SMOOTHING_SNAP || gap < -SMOOTHING_SNAP ? g + gap * glide : target;
            const v = x[i] * g;
            out[i] = Math.min(STREAM_MAX, Math.max(v, -STREAM_MAX));
          }
        } else {
          for (let i = 0; i < frames; i++) {
            const d = db[i];
            const target =
              d >= SILENT_BELOW_DB
                ? Math.exp(Math.min(d, MAX_GAIN_DB) * DB_TO_LN)
                : d < SILENT_BELOW_DB
                  ? 0
                  : 1;
            const gap = target - g;
            g = gap > SMOOTHING_SNAP || gap < -SMOOTHING_SNAP ? g + gap * glide : target;
            const v = x[i] * g;
            out[i] = Math.min(STREAM_MAX, Math.max(v, -STREAM_MAX));
          }
        }
        state[NOW] = g;
      },
    };
  },
});
