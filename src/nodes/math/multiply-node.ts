import { defineNode, type StreamInput, stream } from '../../engine/definition.js';
import { binaryOpInstance } from './binary-op.js';

/** out = a × b for `frames` samples, picking the loop by which inputs are constant (plain JS). */
export function multiplyBlock(a: StreamInput, b: StreamInput, out: Float32Array, frames: number): void {
  const x = a.buf;
  const y = b.buf;
  if (b.constant) {
    const k = y[0];
    if (a.constant) out.fill(x[0] * k, 0, frames);
    else for (let i = 0; i < frames; i++) out[i] = x[i] * k;
  } else if (a.constant) {
    const k = x[0];
    for (let i = 0; i < frames; i++) out[i] = y[i] * k;
  } else {
    for (let i = 0; i < frames; i++) out[i] = x[i] * y[i];
  }
}

export const MultiplyNode = defineNode({
  type: 'MultiplyNode',
  category: 'math',
  description: 'Multiplies two signals: out = a × b (gain, ring modulation, LFO depth).',
  inputs: { a: stream('First factor.', { default: 0 }), b: stream('Second factor.', { default: 0 }) },
  outputs: { out: stream('a × b.') },
  create(_ctx, io) {
    const { a, b } = io.inputs;
    const out = io.outputs.out.buf;
    return binaryOpInstance(a, b, out, multiplyBlock, (wasm) => ({
      both: wasm.multiply,
      withConstant: wasm.multiplyConstant,
    }));
  },
});
