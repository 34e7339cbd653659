// Limits shared by the filter node types, so their port descriptions and their clamps agree.

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
