import { type DataSlot, data, defineNode, stream } from '../../engine/definition.js';
import { dataToNumber } from '../../engine/types.js';

/**
 * Steps through `sequence`: outputs the current element; every frame where `step` is non-zero advances to
 * the next element, wrapping. The position starts before the first element: the output is element 0 until
 * the first step, and the first step moves onto element 0 — so a clock that ticks at frame 0 plays element
 * 0 for a whole period. Non-number elements count as 0, numbers beyond float32 are clamped to its range;
 * an empty or absent sequence outputs 0. A changed sequence keeps the position (modulo its new length).
 */
export const SequenceNode = defineNode({
  type: 'SequenceNode',
  category: 'sequencing',
  description:
    'Outputs the current element of `sequence`; each non-zero `step` frame advances to the next (wrapping).',
  inputs: {
    sequence: data('The values to step through (an array of numbers).', { default: [] }),
    step: stream('Advance one element on every non-zero frame (e.g. from a ClockNode).', {
      default: 0,
      unit: 'trigger',
    }),
  },
  outputs: { out: stream('The current element.') },
  create(ctx, io) {
    const sequenceInput = io.inputs.sequence;
    const step = io.inputs.step;
    const out = io.outputs.out.buf;
    // The sequence as numbers; reallocated only when a longer sequence arrives.
    let values = new Float64Array(Math.max(16, ctx.blockSize));
    let length = 0;
    let index = -1; // before the first element
    let seenSlot: DataSlot | null = null;
    let seenVersion = -1;
    let seenValue: unknown;

    const load = (value: unknown) => {
      if (Array.isArray(value) || value instanceof Float32Array) {
        if (value.length > values.length) values = new Float64Array(value.length);
        for (let i = 0; i < value.length; i++) {
          const element = value[i];
          values[i] = typeof element === 'number' ? dataToNumber(element) : 0;
        }
        length = value.length;
      } else if (typeof value === 'number') {
        values[0] = dataToNumber(value); // a single number is a one-element sequence
        length = 1;
      } else {
        length = 0;
      }
      if (length === 0) index = -1;
      else if (index >= length) index %= length;
    };

    return {
      process(frames) {
        const slot = sequenceInput.source;
        // Reload only when the value changed (a stream block, arriving as data, changes every block).
        if (
          slot !== seenSlot ||
          slot.version !== seenVersion ||
          slot.value !== seenValue ||
          slot.value instanceof Float32Array
        ) {
          seenSlot = slot;
          seenVersion = slot.version;
          seenValue = slot.value;
          load(slot.value);
        }
        const s = step.buf;
        if (length === 0) {
          out.fill(0, 0, frames);
          return;
        }
        let current = values[Math.max(index, 0)];
        if (step.constant && s[0] === 0) {
          out.fill(current, 0, frames);
          return;
        }
        let i0 = index;
        for (let i = 0; i < frames; i++) {
          if (s[i] !== 0) {
            i0 = i0 + 1 >= length ? 0 : i0 + 1;
            current = values[i0];
          }
          out[i] = current;
        }
        index = i0;
      },
    };
  },
});
