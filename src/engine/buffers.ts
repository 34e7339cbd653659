// Stream buffers: blockSize Float32Array views handed out once when nodes are made, recycled on removal.
// They live in one fixed-size WebAssembly memory (see wasm/kernels.ts) so SIMD kernels can work on them by
// byte offset (`buf.byteOffset`). The memory is reserved up front (virtual memory: untouched pages cost
// nothing) and never grows, because growing would detach every view that nodes hold. If a patch ever
// needs more buffers than reserved, or WebAssembly is unavailable, further buffers come from plain JS
// chunks and the nodes using them take their plain-JS loops: slower, never wrong.

import { BUFFERS_OFFSET, Kernels } from './wasm/kernels.js';

/** Bytes of stream buffers reserved per renderer by default: 64 MiB (131072 buffers at 128 frames). */
export const DEFAULT_POOL_BYTES = 64 * 1024 * 1024;
/**
 * State memory reserved after the buffers (node state that kernels run on, op lists, constant flags): 64
 * bytes a buffer, at least 2 MiB. A sine's state is 96 bytes and its op 128, so this covers any graph whose
 * buffers fit; when it runs out, further nodes keep their state in JS and render by `process`.
 */
const STATE_BYTES_PER_BUFFER = 64;
const MIN_STATE_BYTES = 2 * 1024 * 1024;

export interface BufferPoolOptions {
  /** Buffers to reserve in WebAssembly memory (default: DEFAULT_POOL_BYTES worth, at least 1024). */
  maxBuffers?: number;
}

export class BufferPool {
  readonly blockSize: number;
  /** The kernels bound to this pool's memory; null when running without WebAssembly. */
  readonly kernels: Kernels | null;
  /** Buffers the WebAssembly memory holds. */
  readonly capacity: number;
  private readonly buffersPerChunk: number;
  private readonly chunks: Float32Array[] = [];
  private readonly free: Float32Array[] = [];
  private used = 0;
  private wasmUsed = 0;

  constructor(blockSize: number, options: BufferPoolOptions = {}) {
    this.blockSize = blockSize;
    this.buffersPerChunk = 256;
    const bytesPerBuffer = blockSize * 4;
    const maxBuffers = options.maxBuffers ?? Math.max(1024, Math.floor(DEFAULT_POOL_BYTES / bytesPerBuffer));
    this.kernels = Kernels.create(
      maxBuffers * bytesPerBuffer,
      Math.max(MIN_STATE_BYTES, maxBuffers * STATE_BYTES_PER_BUFFER),
    );
    this.capacity = this.kernels ? maxBuffers : 0;
  }

  /** A zeroed blockSize buffer (control side). */
  alloc(): Float32Array {
    const recycled = this.free.pop();
    if (recycled) {
      recycled.fill(0);
      return recycled;
    }
    if (this.kernels && this.wasmUsed < this.capacity) {
      const byteOffset = BUFFERS_OFFSET + this.wasmUsed * this.blockSize * 4;
      this.wasmUsed++;
      return new Float32Array(this.kernels.heap, byteOffset, this.blockSize);
    }
    const chunkIndex = Math.floor(this.used / this.buffersPerChunk);
    if (chunkIndex === this.chunks.length) {
      this.chunks.push(new Float32Array(this.blockSize * this.buffersPerChunk));
    }
    const offset = (this.used % this.buffersPerChunk) * this.blockSize;
    this.used++;
    return this.chunks[chunkIndex].subarray(offset, offset + this.blockSize);
  }

  release(buffer: Float32Array): void {
    this.free.push(buffer);
  }

  /** Byte offset of `buffer` in the kernels' memory, or -1 when it is a plain-JS buffer. */
  offsetOf(buffer: Float32Array): number {
    return this.kernels && buffer.buffer === this.kernels.heap ? buffer.byteOffset : -1;
  }

  /** Buffers handed out and not released. */
  get inUse(): number {
    return this.wasmUsed + this.used - this.free.length;
  }
}
