import { data, defineNode } from '../../engine/definition.js';

/** Holds a constant; made by `new <value> name`. Its value can be changed live (`set`, the API, the UI). */
export const DataNode = defineNode({
  type: 'DataNode',
  category: 'sources',
  description: 'Holds a constant value (number, string, boolean, null or array) on its data output.',
  holdsValue: true,
  inputs: {},
  outputs: { out: data('The held value.') },
  initialExports: (value) => ({ Value: value }),
  create(ctx, io) {
    const out = io.outputs.out;
    out.set(ctx.value);
    return {
      inert: true,
      process() {},
      setValue(value) {
        out.set(value);
      },
    };
  },
});
