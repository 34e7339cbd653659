// One cycle of a sine, for SineNode's audio-rate-frequency path and the WebAssembly kernels (which copy it
// into their memory); it lives in dsp/ so that both layers read one table. With linear interpolation between
// 4096 points the error is below 3e-7 (about −130 dB), far under float32 resolution of a full-scale signal.

export const SINE_TABLE_SIZE = 4096;
export const SINE_TABLE = new Float64Array(SINE_TABLE_SIZE + 1);
for (let i = 0; i <= SINE_TABLE_SIZE; i++) SINE_TABLE[i] = Math.sin((2 * Math.PI * i) / SINE_TABLE_SIZE);

/** Wraps a phase in cycles into [0, 1). */
export function wrapPhase(phase: number): number {
  const wrapped = phase - Math.floor(phase);
  // A tiny negative phase (−1e-20) rounds to exactly 1 here, one past the table's last interval.
  return wrapped < 1 ? wrapped : 0;
}
