import { defineNode, stream } from '../../engine/definition.js';
import { STREAM_MAX } from '../../engine/types.js';

/**
 * Sample and hold: at each frame where `trigger` rises above 0 (> 0 after ≤ 0; NaN counts as ≤ 0) the
 * output takes that same frame's `input`, and holds it until the next rise. 0 before the first rise; a
 * trigger already above 0 at the very first frame counts as a rise. A held value does not glide: the jump
 * at each rise is what sample-and-hold is for (smooth it with a LagNode if wanted).
 */
export const SampleAndHoldNode = defineNode({
  type: 'SampleAndHoldNode',
  category: 'sequencing',
  description: 'Takes `input` at each frame where `trigger` rises above 0 and holds it until the next rise.',
  inputs: {
    input: stream('The signal to sample (NaN reads as 0).', { default: 0 }),
    trigger: stream('Samples on each frame that is > 0 after a frame ≤ 0 (e.g. a ClockNode).', {
      default: 0,
      unit: 'trigger',
    }),
  },
  outputs: { out: stream('The value taken at the last rise (0 before the first).') },
  create(_ctx, io) {
    const { input, trigger } = io.inputs;
    const out = io.outputs.out.buf;
    const held = new Float64Array(1); // the held value: a typed array, not a closure variable (boxing)
    let above = false; // was the previous frame's trigger > 0
    return {
      process(frames) {
        const x = input.buf;
        const t = trigger.buf;
        let value = held[0];
        if (trigger.constant) {
          // At most one rise, at frame 0.
          const now = t[0] > 0;
          if (now && !above) {
            const raw = x[0];
            value = Number.isNaN(raw) ? 0 : Math.min(STREAM_MAX, Math.max(-STREAM_MAX, raw));
          }
          above = now;
          out.fill(value, 0, frames);
          held[0] = value;
          return;
        }
        let was = above;
        for (let i = 0; i < frames; i++) {
          const now = t[i] > 0;
          if (now && !was) {
            const raw = x[i];
            value = Number.isNaN(raw) ? 0 : Math.min(STREAM_MAX, Math.max(-STREAM_MAX, raw));
          }
          was = now;
          out[i] = value;
        }
        above = was;
        held[0] = value;
      },
    };
  },
});
