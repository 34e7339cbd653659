import { defineNode, type StreamInput, stream } from '../../engine/definition.js';
import { kernelsFor } from '../../engine/wasm/kernels.js';

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
    const kernels = kernelsFor(out);
    if (kernels === null) return { process: (frames) => addBlock(a, b, out, frames) };
    // WebAssembly SIMD path: pool buffers live in `heap` and blocks are whole multiples of 16 frames;
    // anything else takes the JS loop.
    const wasm = kernels.exports;
    const heap = kernels.heap;
    const outAt = out.byteOffset;
    return {
      process(frames) {
        const x = a.buf;
        const y = b.buf;
        if (x.buffer !== heap || y.buffer !== heap || (frames & 15) !== 0) addBlock(a, b, out, frames);
        else if (b.constant) {
          if (a.constant) wasm.fill(outAt, x[0] + y[0], frames);
          else wasm.addConstant(x.byteOffset, y[0], outAt, frames);
        } else if (a.constant) wasm.addConstant(y.byteOffset, x[0], outAt, frames);
        else wasm.add(x.byteOffset, y.byteOffset, outAt, frames);
      },
    };
  },
});
