// Limits shared by the filter node types, so their port descriptions and their clamps agree.

/** Default cutoff (Hz) of every filter. */
export const DEFAULT_CUTOFF = 1000;
/** Default q of the biquad: Butterworth. */
// biome-ignore lint/suspicious/noApproximativeNumericConstant: SPEC §6 writes the default as 0.7071
export const DEFAULT_Q = 0.7071;
/** Lowest cutoff (Hz): below it a filter's time constants outgrow any musical use. */
export const MIN_CUTOFF = 10;
/** Highest cutoff as a fraction of the sample rate (19.8 kHz at 44.1 kHz); tan(π·f/rate) stays ≤ 6.3. */
export const MAX_CUTOFF_FRACTION = 0.45;
/** Seconds over which a change of a data input (a filter mode) glides instead of jumping. */
export const DATA_GLIDE_SECONDS = 0.005;

/**
 * State variables beyond this (or NaN) are reset at the end of a block: a non-finite sample that slipped
 * in (an upstream fault mid-block) must not stick in the filter forever and have the node muted.
 */
export const STATE_LIMIT = 1e30;
/** States below this are flushed to 0 at the end of a block, before they decay into (slow) subnormals. */
export const STATE_FLOOR = 1e-30;

/**
 * Makes states[from…to) fit to be carried into the next block: finite, and not decaying into subnormals.
 * In place (a helper that returned the double could box it when V8 does not inline the call).
 */
export function sanitizeStates(states: Float64Array, from: number, to: number): void {
  for (let i = from; i < to; i++) {
    const magnitude = Math.abs(states[i]);
    if (!(magnitude > STATE_FLOOR && magnitude < STATE_LIMIT)) states[i] = 0;
  }
}

/**
 * What a NaN parameter reads as, kept in a typed array. In V8 a ternary that merges an integer literal
 * with a computed double (`isNaN(x) ? 1000 : Math.min(…)`) boxes the double: a heap number per sample on
 * the per-sample path (measured with the sampling heap profiler); an element of a Float64Array merges as
 * a raw double.
 */
export const NAN_READS_AS = Float64Array.of(DEFAULT_CUTOFF, 0, DEFAULT_Q);
/** Indices into NAN_READS_AS: the default cutoff (Hz), zero, the default q. */
export const NAN_CUTOFF = 0;
export const NAN_ZERO = 1;
export const NAN_Q = 2;
