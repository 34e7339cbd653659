// The WebAssembly binding shared by two-input arithmetic nodes (AddNode, MultiplyNode): the JS loops stay
// in each node (the operator must be inline there), the kernel choice by input rate lives here.

import type { NodeInstance, StreamInput } from '../../engine/definition.js';
import { type KernelExports, kernelsFor } from '../../engine/wasm/kernels.js';

/** out = a ∘ b over `frames` samples in plain JS (the reference, and the fallback). */
export type BinaryBlock = (a: StreamInput, b: StreamInput, out: Float32Array, frames: number) => void;

export interface BinaryKernels {
  /** out[i] = a[i] ∘ b[i]; arguments are byte offsets in the kernels' memory. */
  both(aAt: number, bAt: number, outAt: number, frames: number): void;
  /** out[i] = a[i] ∘ k (the operators here commute, so also k ∘ b[i]). */
  withConstant(at: number, k: number, outAt: number, frames: number): void;
}

/**
 * A render instance for `out = a ∘ b`: WebAssembly SIMD kernels when the buffers live in the kernels'
 * memory, else the JS block. An input's byte offset is looked up only when the renderer rebinds it
 * (reading `.buffer`/`.byteOffset` costs more than the kernel itself); -1 marks a buffer outside the
 * kernels' memory (pool overflow), which takes the JS loop, as do blocks that are not multiples of 16.
 */
export function binaryOpInstance(
  a: StreamInput,
  b: StreamInput,
  out: Float32Array,
  jsBlock: BinaryBlock,
  pick: (wasm: KernelExports) => BinaryKernels,
): NodeInstance {
  const kernels = kernelsFor(out);
  if (kernels === null) return { process: (frames) => jsBlock(a, b, out, frames) };
  const wasm = kernels.exports;
  const { both, withConstant } = pick(wasm);
  const heap = kernels.heap;
  const outAt = out.byteOffset;
  let boundA: Float32Array | null = null;
  let boundB: Float32Array | null = null;
  let aAt = -1;
  let bAt = -1;
  return {
    process(frames) {
      const x = a.buf;
      const y = b.buf;
      if (x !== boundA) {
        boundA = x;
        aAt = x.buffer === heap ? x.byteOffset : -1;
      }
      if (y !== boundB) {
        boundB = y;
        bAt = y.buffer === heap ? y.byteOffset : -1;
      }
      if (aAt < 0 || bAt < 0 || (frames & 15) !== 0) jsBlock(a, b, out, frames);
      // Both constant is the with-constant kernel too: the constant input's buffer is already filled.
      else if (b.constant) withConstant(aAt, y[0], outAt, frames);
      else if (a.constant) withConstant(bAt, x[0], outAt, frames);
      else both(aAt, bAt, outAt, frames);
    },
  };
}
