import { defineNode, stream } from '../../engine/definition.js';

/** Phase slack (cycles) so rounding in the accumulator never delays a tick by a frame. */
const EPSILON = 1e-9;

/**
 * A trigger stream: one frame of 1 every 1/frequency seconds, 0 elsewhere (fix: the original's period was
 * 1/f² s). Fires at the first frame, then at every period boundary. The phase accumulator keeps the exact
 * average period, fractions included: 2.5 Hz at 44100 Hz fires every 17640 frames exactly.
 * Frequency ≤ 0 holds the clock (never fires); above the sample rate it fires every frame.
 */
export const ClockNode = defineNode({
  type: 'ClockNode',
  category: 'sequencing',
  description: 'Trigger stream: a single frame of 1 every 1/frequency seconds (first at the start), else 0.',
  inputs: { frequency: stream('Ticks per second (≤ 0: stopped).', { default: 0, unit: 'Hz', min: 0 }) },
  outputs: { out: stream('1 on a tick frame, else 0.', { unit: 'trigger' }) },
  create(ctx, io) {
    const frequency = io.inputs.frequency;
    const out = io.outputs.out.buf;
    const inverseRate = 1 / ctx.sampleRate;
    // Cycles since the last tick; starts due so the first frame ticks. A typed array: read from a closure
    // variable, the fraction made V8 box the loop's phase every frame (2 KB a block, measured).
    const phase = Float64Array.of(1);
    return {
      process(frames) {
        const f = frequency.buf;
        let p = phase[0];
        // No arithmetic in a branch: a clock stopped for its first blocks took its ticking path first long
        // after V8 had optimized this loop, which deoptimized it (docs/decisions.md, "Hot JS node functions
        // take every branch before V8 optimizes them").
        for (let i = 0; i < frames; i++) {
          const increment = f[i] * inverseRate;
          const running = increment > 0 ? 1 : 0; // stopped: 0 or below, or NaN
          const step = Math.min(increment, 1);
          const tick = p >= 1 - EPSILON ? running : 0;
          out[i] = tick;
          p -= tick;
          p += running === 1 ? step : 0;
        }
        phase[0] = p;
      },
    };
  },
});
