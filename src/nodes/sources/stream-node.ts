import { data, defineNode, stream } from '../../engine/definition.js';
import { dataToNumber } from '../../engine/types.js';

/** Turns a data value into a constant stream (a stream block arriving as data passes through). */
export const StreamNode = defineNode({
  type: 'StreamNode',
  category: 'sources',
  description: 'Turns a data value into a constant stream.',
  inputs: {
    data: data('Value to output on every frame (numbers; true = 1, false = 0, else 0).', { default: 0 }),
  },
  outputs: { out: stream('The value, every frame.') },
  create(_ctx, io) {
    const input = io.inputs.data;
    const out = io.outputs.out.buf;
    let last = Number.NaN;
    return {
      process(frames) {
        const value = input.value;
        if (value instanceof Float32Array) {
          out.set(value.subarray(0, frames));
          last = Number.NaN;
          return;
        }
        const number = dataToNumber(value);
        if (number !== last) {
          out.fill(number);
          last = number;
        }
      },
    };
  },
});
