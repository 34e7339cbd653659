import { SINE_TABLE, SINE_TABLE_SIZE, wrapPhase } from '../../dsp/sine-table.js';
import { defineNode, stream } from '../../engine/definition.js';
import { kernelsFor, nodeState } from '../../engine/wasm/kernels.js';
import { OP_SINE } from '../../engine/wasm/ops.js';

const TAU = 2 * Math.PI;
/** Blocks between restarts of the complex phase from the exact phase in cycles (bounds float64 drift). */
const RESYNC_BLOCKS = 64;

// Indices into a SineNode's state array (the same layout as sineOp's in scripts/wasm/kernels.ts).
/** Phase in cycles, [0, 1). */
const PHASE = 0;
/** (RE, IM) = e^{2πi·phase}, kept for the constant-frequency path. */
const RE = 1;
const IM = 2;
/** The constant frequency (Hz) and block length the rotations below were computed for. */
const HZ = 3;
const FRAMES = 4;
/** Cycles per sample. */
const INCREMENT = 5;
/** e^{iω}, ω = radians per sample. */
const COS_STEP = 6;
const SIN_STEP = 7;
/** e^{iω·frames}: one block's advance. */
const COS_BLOCK = 8;
const SIN_BLOCK = 9;
const BLOCKS_TO_RESYNC = 10;
/** 1 / sample rate, for the kernel. */
const INVERSE_RATE = 11;
/** Nonzero when the kernel's cached lane rotations (slots 13…32, its own) are stale. */
const POWERS_STALE = 12;
const STATE_SIZE = 33;

/**
 * Sine, amplitude 1, phase continuous across blocks and frequency changes.
 * Constant frequency: a complex rotator (4 multiplies a sample) started from the block's phase, held as a
 * unit complex number that advances by one rotation per block; the trig is redone only when the frequency
 * changes and every RESYNC_BLOCKS blocks from the exact phase in cycles, so rounding never accumulates.
 * The WebAssembly kernel runs sixteen rotators in SIMD lanes. Audio-rate frequency: phase accumulator and an
 * interpolated table (a scalar WebAssembly kernel, or the same loop in JS).
 */
export const SineNode = defineNode({
  type: 'SineNode',
  category: 'oscillators',
  description: 'Sine wave, amplitude 1, phase-continuous across blocks and frequency changes.',
  inputs: { frequency: stream('Frequency (negative runs backwards).', { default: 0, unit: 'Hz' }) },
  outputs: { out: stream('Sine, −1…1.', { unit: '-1…1' }) },
  create(ctx, io) {
    const frequency = io.inputs.frequency;
    const out = io.outputs.out.buf;
    const inverseRate = 1 / ctx.sampleRate;
    const kernels = kernelsFor(out);
    const wasm = kernels?.exports;
    const outAt = out.byteOffset;
    const tableAt = kernels?.sineTable ?? 0;
    // The frequency buffer's byte offset, looked up only when the renderer rebinds the input.
    let boundFrequency: Float32Array | null = null;
    let frequencyAt = -1;
    // The state lives in a Float64Array: in V8, assigning a fractional number to a closure variable
    // allocates a heap number, and process() must allocate nothing. With kernels it is in their memory, where
    // the plan's op (OP_SINE) runs on the same state that process() does.
    const { at: stateAt, state } = nodeState(kernels, STATE_SIZE);
    state[INVERSE_RATE] = inverseRate;
    state[RE] = 1;
    state[COS_STEP] = 1;
    state[COS_BLOCK] = 1;
    state[HZ] = Number.NaN;
    state[POWERS_STALE] = 1;
    return {
      encode(writer) {
        return writer.begin(OP_SINE, out) && writer.input(frequency) && writer.pointer(stateAt);
      },
      dispose() {
        kernels?.releaseState(stateAt, STATE_SIZE * 8);
      },
      // The per-sample loops are module functions, one per path, each with its own type feedback: a path
      // first taken after V8 had optimized this function (a frequency that turns constant after its first
      // block) deoptimized a function holding both loops, and V8 (Node 20) then took up to thousands of
      // blocks to optimize it again, boxing every sample meanwhile (the bench's sines-1000 on the JS
      // engine); this one has no loop for V8 to compile on-stack. The rare trig stays here: in a
      // function of its own, called too seldom to be optimized, Math.cos and Math.sin box their results.
      // Comparisons are made before their branch for the same reason.
      process(frames) {
        const f = frequency.buf;
        if (frequency.constant) {
          const hz = f[0];
          const retuned = hz !== state[HZ];
          const resized = frames !== state[FRAMES];
          if (retuned || resized) {
            state[HZ] = hz;
            state[FRAMES] = frames;
            state[INCREMENT] = nyquistClamped(hz * inverseRate);
            const step = TAU * state[INCREMENT];
            state[COS_STEP] = Math.cos(step);
            state[SIN_STEP] = Math.sin(step);
            state[COS_BLOCK] = Math.cos(step * frames);
            state[SIN_BLOCK] = Math.sin(step * frames);
            state[BLOCKS_TO_RESYNC] = 0;
            state[POWERS_STALE] = 1;
          }
          if (state[BLOCKS_TO_RESYNC] === 0) {
            const angle = TAU * state[PHASE];
            state[RE] = Math.cos(angle);
            state[IM] = Math.sin(angle);
            state[BLOCKS_TO_RESYNC] = RESYNC_BLOCKS;
          }
          state[BLOCKS_TO_RESYNC]--;
          if (wasm !== undefined && stateAt >= 0 && (frames & 15) === 0)
            wasm.sineConstant(outAt, frames, state[RE], state[IM], stateAt);
          else rotate(state, out, frames);
          advance(state, frames);
        } else {
          if (f !== boundFrequency) {
            boundFrequency = f;
            frequencyAt = kernels ? kernels.offsetOf(f) : -1;
          }
          if (wasm !== undefined && frequencyAt >= 0) {
            state[PHASE] = wasm.sineModulated(
              outAt,
              frequencyAt,
              frames,
              state[PHASE],
              inverseRate,
              tableAt,
              SINE_TABLE_SIZE,
            );
          } else fromTable(state, f, out, frames, inverseRate);
          state[BLOCKS_TO_RESYNC] = 0; // the complex phase is stale now
        }
        // A non-finite frequency must not poison the phase for ever.
        const phase = state[PHASE];
        if (phase - phase !== 0) {
          state[PHASE] = 0;
          state[BLOCKS_TO_RESYNC] = 0;
        }
      },
    };
  },
});

/**
 * Cycles per frame limited to ±0.5 (Nyquist), as Web Audio's OscillatorNode clamps its frequency: a sine
 * above Nyquist would otherwise alias to an unrelated audible pitch (30 kHz sounded as 14.1 kHz), and an
 * infinite frequency (a float32 overflow upstream) made NaN. NaN holds the phase (0).
 */
function nyquistClamped(increment: number): number {
  if (Number.isNaN(increment)) return 0;
  return Math.min(0.5, Math.max(-0.5, increment));
}

/** Constant frequency: one block from the rotator (4 multiplies a sample). */
function rotate(state: Float64Array, out: Float32Array, frames: number): void {
  const cosStep = state[COS_STEP];
  const sinStep = state[SIN_STEP];
  let r = state[RE];
  let s = state[IM];
  for (let i = 0; i < frames; i++) {
    out[i] = s;
    const nextR = r * cosStep - s * sinStep;
    s = s * cosStep + r * sinStep;
    r = nextR;
  }
}

/** Constant frequency: the phase and the rotator one block on. */
function advance(state: Float64Array, frames: number): void {
  const re = state[RE];
  const im = state[IM];
  state[PHASE] = wrapPhase(state[PHASE] + state[INCREMENT] * frames);
  const cosBlock = state[COS_BLOCK];
  const sinBlock = state[SIN_BLOCK];
  state[RE] = re * cosBlock - im * sinBlock;
  state[IM] = im * cosBlock + re * sinBlock;
}

/** Audio-rate frequency: one block from the interpolated table, the phase accumulated in state[PHASE]. */
function fromTable(
  state: Float64Array,
  f: Float32Array,
  out: Float32Array,
  frames: number,
  inverseRate: number,
): void {
  let p = state[PHASE];
  for (let i = 0; i < frames; i++) {
    const position = p * SINE_TABLE_SIZE;
    const index = position | 0;
    const a = SINE_TABLE[index];
    out[i] = a + (position - index) * (SINE_TABLE[index + 1] - a);
    p += nyquistClamped(f[i] * inverseRate);
    if (p >= 1 || p < 0) p = wrapPhase(p);
  }
  state[PHASE] = p;
}
