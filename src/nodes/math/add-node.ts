import { defineNode, type StreamInput, stream } from '../../engine/definition.js';
import { binaryOpInstance } from './binary-op.js';

/** out = a + b for `frames` samples, picking the loop by which inputs are constant (plain JS). */
export function addBlock(a: StreamInput, b: StreamInput, out: Float32Array, frames: number): void {
  const x = a.buf;
  const y = b.buf;
  if (b.constant) {
    const k = y[0];
    if (a.constant) out.fill(x[0] + k, 0, frames);
    else for (let i = 0; i < frames; i++) out[i] = x[i] + k;
  } else if (a.constant) {
    const k = x[0];
    for (let i = 0; i < frames; i++) out[i] = y[i] + k;
  } else {
    for (let i = 0; i < frames; i++) out[i] = x[i] + y[i];
  }
}

export const AddNode = defineNode({
  type: 'AddNode',
  category: 'math',
  description: 'Adds two signals: out = a + b.',
  inputs: { a: stream('First term.', { default: 0 }), b: stream('Second term.', { default: 0 }) },
  outputs: { out: stream('a + b.') },
  create(_ctx, io) {
    const { a, b } = io.inputs;
    const out = io.outputs.out.buf;
    return binaryOpInstance(a, b, out, addBlock, (wasm) => ({
      both: wasm.add,
      withConstant: wasm.addConstant,
    }));
  },
});
