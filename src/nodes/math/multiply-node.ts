import { defineNode, type StreamInput, stream } from '../../engine/definition.js';
import { kernelsFor } from '../../engine/wasm/kernels.js';
import { OP_MULTIPLY } from '../../engine/wasm/ops.js';

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
    const kernels = kernelsFor(out);
    if (kernels === null) return { process: (frames) => multiplyBlock(a, b, out, frames) };
    // WebAssembly SIMD path. Written out in each arithmetic node on purpose: a shared helper makes its
    // kernel call sites polymorphic, and V8 then boxes the float argument of every call (measured: ~330 B
    // a block in pwm-squares-10, where AddNode and MultiplyNode both take constants). An input's byte offset is looked up only when the renderer rebinds it (reading
    // `.buffer`/`.byteOffset` costs more than the kernel itself); -1 marks a buffer outside the kernels'
    // memory (pool overflow), which takes the JS loop, as do blocks that are not whole multiples of 16.
    const wasm = kernels.exports;
    const outAt = out.byteOffset;
    let boundA: Float32Array | null = null;
    let boundB: Float32Array | null = null;
    let aAt = -1;
    let bAt = -1;
    return {
      encode(writer) {
        return writer.begin(OP_MULTIPLY, out) && writer.input(a) && writer.input(b);
      },
      process(frames) {
        const x = a.buf;
        const y = b.buf;
        if (x !== boundA) {
          boundA = x;
          aAt = kernels.offsetOf(x);
        }
        if (y !== boundB) {
          boundB = y;
          bAt = kernels.offsetOf(y);
        }
        if (aAt < 0 || bAt < 0 || (frames & 15) !== 0) multiplyBlock(a, b, out, frames);
        else if (b.constant) {
          if (a.constant) wasm.fill(outAt, x[0] * y[0], frames);
          else wasm.multiplyConstant(aAt, y[0], outAt, frames);
        } else if (a.constant) wasm.multiplyConstant(bAt, x[0], outAt, frames);
        else wasm.multiply(aAt, bAt, outAt, frames);
      },
    };
  },
});
