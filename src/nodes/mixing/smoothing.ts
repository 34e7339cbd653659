// The parameter smoother the mixing nodes share (SPEC §6: stream parameters are followed sample by sample
// or smoothed over ≤ 5 ms; a smoother starts at the first value it receives and glides only on later
// changes). A one-pole glide: each frame the smoothed value covers a fixed fraction of the gap to the
// parameter's value, 99.9 % (−60 dB) of a jump within SMOOTHING_SECONDS. It low-passes the parameter at
// about 220 Hz, so LFO-rate movement (tremolo, auto-pan, a few Hz to tens of Hz) passes, while a step — a
// sequencer's, a relinked cable's — becomes a 5 ms glide instead of a click. For audio-rate amplitude
// modulation use MultiplyNode, which follows its inputs exactly.

/** Seconds in which a smoothed parameter covers 99.9 % of a jump. */
export const SMOOTHING_SECONDS = 0.005;

/** Per-frame coefficient c of the glide: value += (target − value)·c. */
export function smoothingCoefficient(sampleRate: number): number {
  return 1 - Math.exp(-Math.log(1000) / (SMOOTHING_SECONDS * sampleRate));
}

/**
 * Closer than this to its target, a smoothed value is its target: the glide ends (no creep into denormal
 * numbers) and constant blocks take their fast path. The parameters smoothed here are gains and positions
 * of order 1, where 1e-6 is −120 dB.
 */
export const SMOOTHING_SNAP = 1e-6;
