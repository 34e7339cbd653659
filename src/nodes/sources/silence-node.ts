import { defineNode, stream } from '../../engine/definition.js';

/** Zeros. Its buffer starts zeroed and is never written. */
export const SilenceNode = defineNode({
  type: 'SilenceNode',
  category: 'sources',
  description: 'Outputs silence (zeros).',
  inputs: {},
  outputs: { out: stream('Zeros.') },
  create() {
    return { process() {} };
  },
});
