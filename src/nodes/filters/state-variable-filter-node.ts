import { defineNode, stream } from '../../engine/definition.js';
import { kernelsFor, nodeState } from '../../engine/wasm/kernels.js';
import { OP_SVF } from '../../engine/wasm/ops.js';
import {
  DEFAULT_CUTOFF,
  MAX_CUTOFF_FRACTION,
  MIN_CUTOFF,
  NAN_CUTOFF,
  NAN_READS_AS,
  NAN_ZERO,
  sanitizeStates,
} from './filter-limits.js';

// Indices into the state array (the same layout as svfOp's in scripts/wasm/ops-filter.ts).
/** The trapezoidal integrators' states (Simper's ic1eq, ic2eq). */
const IC1 = 0;
const IC2 = 1;
/** Cutoff (Hz) and resonance, as read, that the coefficients below were computed for. */
const CUTOFF = 2;
const RESONANCE = 3;
/** g = tan(π·f/rate) and the damping k = 1/Q. */
const G = 4;
const K = 5;
/** The highest cutoff (Hz) and π / rate, for the kernel (process() has them as constants). */
const MAX_CUTOFF = 6;
const RADIANS_PER_HZ = 7;
const STATE_SIZE = 8;

/**
 * Trapezoidal (zero-delay-feedback) state variable filter after Zavalishin ("The Art of VA Filter
 * Design", ch. 4) in Simper's form: the bilinear transform, prewarped at the cutoff, of the analog SVF
 * 1/(s² + s/Q + 1), so the lowpass is −3 dB exactly at the cutoff when Q = 1/√2. Its state is two
 * integrators, which stay bounded however fast the cutoff or resonance move (no direct-form coefficient
 * blow-ups). Q = 1/(√2·(1 − 0.999·resonance)): 0.707 (Butterworth) at 0, 707 at 1.
 */
export const StateVariableFilterNode = defineNode({
  type: 'StateVariableFilterNode',
  category: 'filters',
  description:
    'Zero-delay-feedback state variable filter: lowpass, highpass, bandpass and notch at once, stable under audio-rate cutoff sweeps.',
  inputs: {
    input: stream('Signal to filter.'),
    cutoff: stream('Cutoff frequency; clamped to 10 Hz…0.45 × the sample rate (19.8 kHz at 44.1 kHz).', {
      default: DEFAULT_CUTOFF,
      unit: 'Hz',
      min: MIN_CUTOFF,
      max: 20000,
    }),
    resonance: stream('0: Butterworth (Q 0.707); 1: Q 707, ringing. Clamped to 0…1.', {
      default: 0,
      unit: 'fraction',
      min: 0,
      max: 1,
    }),
  },
  outputs: {
    lowpass: stream('Lowpass, 12 dB/octave; −3 dB at the cutoff at resonance 0.'),
    highpass: stream('Highpass, 12 dB/octave.'),
    bandpass: stream('Bandpass, 0 dB at the cutoff (constant peak gain).'),
    notch: stream('Notch (lowpass + highpass): zero at the cutoff.'),
  },
  create(ctx, io) {
    const { input, cutoff, resonance } = io.inputs;
    const lowOut = io.outputs.lowpass.buf;
    const highOut = io.outputs.highpass.buf;
    const bandOut = io.outputs.bandpass.buf;
    const notchOut = io.outputs.notch.buf;
    const rate = ctx.sampleRate;
    const maxCutoff = MAX_CUTOFF_FRACTION * rate;
    const radiansPerHz = Math.PI / rate;
    // With kernels the state lives in their memory, where the plan's op (OP_SVF) runs on the same state as
    // process(), so switching paths never jumps.
    const kernels = kernelsFor(lowOut);
    const { at: stateAt, state } = nodeState(kernels, STATE_SIZE);
    state[CUTOFF] = Number.NaN; // nothing computed yet
    state[MAX_CUTOFF] = maxCutoff;
    state[RADIANS_PER_HZ] = radiansPerHz;

    /** Computes g and k for frame `i` of the inputs; NaN reads as the default. (A frame index, not the
     * values: a call V8 does not inline boxes each double argument, a heap number per sample.) */
    const design = (i: number) => {
      const hz = cutoff.buf[i];
      const r = resonance.buf[i];
      state[CUTOFF] = hz;
      state[RESONANCE] = r;
      const f = Number.isNaN(hz) ? NAN_READS_AS[NAN_CUTOFF] : Math.min(maxCutoff, Math.max(MIN_CUTOFF, hz));
      const res = Number.isNaN(r) ? NAN_READS_AS[NAN_ZERO] : Math.min(1, Math.max(0, r));
      state[G] = Math.tan(f * radiansPerHz);
      state[K] = Math.SQRT2 * (1 - 0.999 * res); // 1/Q
    };

    return {
      encode(writer) {
        if (!kernels) return false;
        return (
          writer.begin(OP_SVF, lowOut) &&
          writer.input(input) &&
          writer.input(cutoff) &&
          writer.input(resonance) &&
          writer.pointer(kernels.offsetOf(highOut)) &&
          writer.pointer(kernels.offsetOf(bandOut)) &&
          writer.pointer(kernels.offsetOf(notchOut)) &&
          writer.pointer(stateAt)
        );
      },
      dispose() {
        kernels?.releaseState(stateAt, STATE_SIZE * 8);
      },
      process(frames) {
        const x = input.buf;
        const fc = cutoff.buf;
        const rs = resonance.buf;
        let ic1 = state[IC1];
        let ic2 = state[IC2];
        if (cutoff.constant && resonance.constant) {
          // Both compared before the branch (see the ladder filter's note).
          const cutoffMoved = fc[0] !== state[CUTOFF];
          const resonanceMoved = rs[0] !== state[RESONANCE];
          if (cutoffMoved || resonanceMoved) design(0);
          const g = state[G];
          const k = state[K];
          const a1 = 1 / (1 + g * (g + k));
          const a2 = g * a1;
          const a3 = g * a2;
          for (let i = 0; i < frames; i++) {
            const v0 = x[i];
            const v3 = v0 - ic2;
            const v1 = a1 * ic1 + a2 * v3;
            const v2 = ic2 + a2 * ic1 + a3 * v3;
            ic1 = 2 * v1 - ic1;
            ic2 = 2 * v2 - ic2;
            const high = v0 - k * v1 - v2;
            lowOut[i] = v2;
            highOut[i] = high;
            bandOut[i] = k * v1;
            notchOut[i] = v2 + high;
          }
        } else {
          for (let i = 0; i < frames; i++) {
            const cutoffMoved = fc[i] !== state[CUTOFF];
            const resonanceMoved = rs[i] !== state[RESONANCE];
            if (cutoffMoved || resonanceMoved) design(i);
            const g = state[G];
            const k = state[K];
            const a1 = 1 / (1 + g * (g + k));
            const a2 = g * a1;
            const a3 = g * a2;
            const v0 = x[i];
            const v3 = v0 - ic2;
            const v1 = a1 * ic1 + a2 * v3;
            const v2 = ic2 + a2 * ic1 + a3 * v3;
            ic1 = 2 * v1 - ic1;
            ic2 = 2 * v2 - ic2;
            const high = v0 - k * v1 - v2;
            lowOut[i] = v2;
            highOut[i] = high;
            bandOut[i] = k * v1;
            notchOut[i] = v2 + high;
          }
        }
        state[IC1] = ic1;
        state[IC2] = ic2;
        sanitizeStates(state, IC1, IC2 + 1);
      },
    };
  },
});
