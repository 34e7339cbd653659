import { type DataSlot, data, defineNode, type StreamInput, stream } from '../../engine/definition.js';
import { STREAM_MAX } from '../../engine/types.js';
import { kernelsFor, nodeSamples, nodeState } from '../../engine/wasm/kernels.js';
import { OP_MATH } from '../../engine/wasm/ops.js';

/** The operations, in the order of their codes. */
export const MATH_OPS = [
  'subtract',
  'divide',
  'min',
  'max',
  'power',
  'modulo',
  'abs',
  'negate',
  'clip',
  'tanh',
  'less',
  'greater',
] as const;

const SUBTRACT = 0;

// Indices into the state array (the same layout as mathOp's in scripts/wasm/ops-data.ts).
/** The op (its index in MATH_OPS), and the one an op change fades from. */
const OP = 0;
const FADING_FROM = 1;
/** Frames of the current fade done (≥ FADE_FRAMES: not fading), and a fade's length in frames. */
const FADE_DONE = 2;
const FADE_FRAMES = 3;
const STATE_SIZE = 4;

/** Seconds over which a change of `op` crossfades from the old result to the new one (no click). */
const OP_FADE_SECONDS = 0.005;

/**
 * One operation on two signals, sample by sample. Every result is finite: inputs read NaN as 0 and ±∞ as
 * ±the largest float32, and results beyond the float32 range are held at its edge.
 */
export const MathNode = defineNode({
  type: 'MathNode',
  category: 'math',
  description:
    'out = op(a, b): subtract, divide (x/0 → 0), min, max, power (sign-preserving), modulo (floored), abs, negate, clip, tanh, less, greater. Never NaN or ∞.',
  inputs: {
    a: stream('First operand (NaN reads as 0, ±∞ as ±the largest float32).', { default: 0 }),
    b: stream('Second operand (ignored by abs, negate and tanh; NaN reads as 0).', { default: 0 }),
    op: data(
      'subtract: a − b · divide: a / b, 0 where b = 0 · min · max · power: a^b, a negative base gives −|a|^b, 0 to a negative power the largest float32 · modulo: a − b·floor(a/b), sign of b, 0 where b = 0 · abs: |a| · negate: −a · clip: a held within ±|b| · tanh: tanh(a) · less: 1 where a < b else 0 · greater: 1 where a > b else 0. An unknown op is a warning and keeps the last valid op (subtract at first). A change crossfades over 5 ms.',
      { default: 'subtract' },
    ),
  },
  outputs: { out: stream('The result, within ±the largest float32.') },
  create(ctx, io) {
    const { a, b } = io.inputs;
    const opInput = io.inputs.op;
    const out = io.outputs.out.buf;
    // With kernels, the state and the old op's result while an op change fades live in their memory, where
    // the plan's op (OP_MATH) renders on the same state as process(), so switching paths never jumps.
    const kernels = kernelsFor(out);
    const { at: stateAt, state } = nodeState(kernels, STATE_SIZE);
    const { at: previousAt, samples: previous } = nodeSamples(kernels, ctx.blockSize);
    const fadeFrames = Math.max(1, Math.round(OP_FADE_SECONDS * ctx.sampleRate));
    state[OP] = SUBTRACT;
    state[FADING_FROM] = SUBTRACT;
    state[FADE_DONE] = fadeFrames; // not fading
    state[FADE_FRAMES] = fadeFrames;
    let seenSlot: DataSlot | null = null;
    let seenVersion = -1;
    let seenValue: unknown;
    let started = false;

    /** Reads `op`; a change of op starts a fade (not the first value). The op reads the result in `state`. */
    const readData = () => {
      const slot = opInput.source;
      if (slot !== seenSlot || slot.version !== seenVersion || slot.value !== seenValue) {
        seenSlot = slot;
        seenVersion = slot.version;
        seenValue = slot.value;
        const value = slot.value;
        const wanted = typeof value === 'string' ? MATH_OPS.indexOf(value.trim().toLowerCase() as never) : -1;
        const op = state[OP];
        if (wanted < 0) {
          const shown = value instanceof Float32Array ? 'a stream' : JSON.stringify(value);
          ctx.warn(`op ${shown} is not one of ${MATH_OPS.join(', ')}: keeping ${MATH_OPS[op]}`);
        } else if (!started)
          state[OP] = wanted; // the first value: no fade
        else if (wanted !== op) {
          state[FADING_FROM] = op;
          state[OP] = wanted;
          state[FADE_DONE] = 0;
        }
      }
      started = true;
    };

    return {
      readData,
      encode(writer) {
        if (!kernels) return false;
        return (
          writer.begin(OP_MATH, out) &&
          writer.input(a) &&
          writer.input(b) &&
          writer.pointer(previousAt) &&
          writer.pointer(stateAt)
        );
      },
      dispose() {
        kernels?.releaseState(stateAt, STATE_SIZE * 8);
        kernels?.releaseState(previousAt, ctx.blockSize * 4);
      },
      process(frames) {
        readData();
        compute(state[OP], a, b, out, frames);
        let done = state[FADE_DONE];
        if (done < fadeFrames) {
          compute(state[FADING_FROM], a, b, previous, frames);
          for (let i = 0; i < frames && done < fadeFrames; i++, done++) {
            const w = done / fadeFrames;
            out[i] = previous[i] + (out[i] - previous[i]) * w;
          }
          state[FADE_DONE] = done;
        }
      },
    };
  },
});

/** A stream sample as an operand: NaN → 0, ±∞ (or beyond float32) → ±STREAM_MAX. */
const operand = (x: number): number => (Number.isNaN(x) ? 0 : Math.min(STREAM_MAX, Math.max(-STREAM_MAX, x)));

/**
 * out[i] = op(a[i], b[i]) for `frames` frames. One loop per op (the op is chosen once per block); both
 * operands constant → the first frame computed and filled. Everything inline: V8 boxes (allocates) a
 * fractional number passed to or returned from a call it does not inline.
 */
function compute(
  op: number,
  aInput: StreamInput,
  bInput: StreamInput,
  out: Float32Array,
  frames: number,
): void {
  const x = aInput.buf;
  const y = bInput.buf;
  const constant = aInput.constant && bInput.constant;
  const n = constant ? 1 : frames;
  switch (op) {
    case 0: // subtract
      for (let i = 0; i < n; i++) {
        const v = operand(x[i]) - operand(y[i]);
        out[i] = Math.min(STREAM_MAX, Math.max(v, -STREAM_MAX));
      }
      break;
    case 1: // divide: x/0 → 0
      for (let i = 0; i < n; i++) {
        const q = operand(y[i]);
        const v = q === 0 ? 0 : operand(x[i]) / q;
        out[i] = Math.min(STREAM_MAX, Math.max(v, -STREAM_MAX));
      }
      break;
    case 2: // min
      for (let i = 0; i < n; i++) {
        const p = operand(x[i]);
        const q = operand(y[i]);
        out[i] = Math.min(p, q);
      }
      break;
    case 3: // max
      for (let i = 0; i < n; i++) {
        const p = operand(x[i]);
        const q = operand(y[i]);
        out[i] = Math.max(p, q);
      }
      break;
    case 4: // power: sign(a)·|a|^b; 0^b is 1 for b = 0, 0 for b > 0, ∞ → the largest float32 for b < 0
      for (let i = 0; i < n; i++) {
        const p = operand(x[i]);
        // No constants merged into `v` here (a ternary that did boxed every frame's result, measured).
        const magnitude = Math.abs(p) ** operand(y[i]);
        const v = p < 0 ? -magnitude : magnitude;
        out[i] = Math.min(STREAM_MAX, Math.max(v, -STREAM_MAX));
      }
      break;
    case 5: // modulo, floored (the sign of b); b = 0 → 0
      for (let i = 0; i < n; i++) {
        const q = operand(y[i]);
        // fmod (%) is exact; a remainder on the other side of 0 from b moves over by b.
        let r = q === 0 ? 0 : operand(x[i]) % q;
        if (r !== 0 && r < 0 !== q < 0) {
          r += q;
          // A tiny remainder plus b rounds to b itself (in float64, or when stored as float32): that is 0.
          if (Math.abs(Math.fround(r)) >= Math.abs(q)) r = 0;
        }
        out[i] = r;
      }
      break;
    case 6: // abs
      for (let i = 0; i < n; i++) out[i] = Math.abs(operand(x[i]));
      break;
    case 7: // negate
      for (let i = 0; i < n; i++) out[i] = -operand(x[i]);
      break;
    case 8: // clip: a held within ±|b|
      for (let i = 0; i < n; i++) {
        const p = operand(x[i]);
        const limit = Math.abs(operand(y[i]));
        out[i] = p > limit ? limit : Math.max(p, -limit);
      }
      break;
    case 9: // tanh
      for (let i = 0; i < n; i++) out[i] = Math.tanh(operand(x[i]));
      break;
    case 10: // less
      for (let i = 0; i < n; i++) out[i] = operand(x[i]) < operand(y[i]) ? 1 : 0;
      break;
    default: // greater
      for (let i = 0; i < n; i++) out[i] = operand(x[i]) > operand(y[i]) ? 1 : 0;
  }
  if (constant) out.fill(out[0], 1, frames);
}
