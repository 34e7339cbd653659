// Stream buffers: blockSize Float32Array views handed out once when nodes are made, recycled on removal.
// They live in one WebAssembly memory (see wasm/kernels.ts) so SIMD kernels can work on them by byte
// offset (`buf.byteOffset`). The memory starts at INITIAL_POOL_BYTES and doubles when a new buffer does not
// fit, up to maxBuffers (default DEFAULT_POOL_BYTES worth); growing leaves every view that nodes hold valid
// (kernels.ts says how). If a patch needs more than the maximum, or WebAssembly is unavailable, further
// buffers come from plain JS chunks and the nodes using them take their plain-JS loops: slower, never wrong.

import { BUFFERS_OFFSET, Kernels } from './wasm/kernels.js';

/** Most bytes of stream buffers per renderer by default: 64 MiB (131072 buffers at 128 frames). */
export const DEFAULT_POOL_BYTES = 64 * 1024 * 1024;
/** Bytes of stream buffers a renderer starts with: 1 MiB (2048 buffers at 128 frames; sines-1000 needs ~3000). */
export const INITIAL_POOL_BYTES = 1024 * 1024;
/**
 * Room for state beside the buffers (node state that kernels run on, op lists, constant flags), taken from
 * the same memory as made (Kernels.reserve): 64 bytes a buffer, at least 2 MiB, added to the maximum. A
 * sine's state is 96 bytes and its op 128; when memory runs out, further nodes keep their state in JS and
 * render by `process`.
 */
const STATE_BYTES_PER_BUFFER = 64;
const MIN_STATE_BYTES = 2 * 1024 * 1024;

export interface BufferPoolOptions {
  /** Most buffers the WebAssembly memory may hold (default: DEFAULT_POOL_BYTES worth, at least 1024). */
  maxBuffers?: number;
  /** Buffers the memory holds at first (default: INITIAL_POOL_BYTES worth, at most maxBuffers). */
  initialBuffers?: number;
}

export class BufferPool {
  readonly blockSize: number;
  /** The kernels bound to this pool's memory; null when running without WebAssembly. */
  readonly kernels: Kernels | null;
  /** Most buffers the WebAssembly memory may hold (0 without WebAssembly). */
  readonly maxBuffers: number;
  private readonly bytesPerBuffer: number;
  private readonly buffersPerChunk: number;
  private readonly chunks: Float32Array[] = [];
  private readonly free: Float32Array[] = [];
  private used = 0;
  private wasmUsed = 0;
  private silent: Float32Array | undefined;

  constructor(blockSize: number, options: BufferPoolOptions = {}) {
    this.blockSize = blockSize;
    this.buffersPerChunk = 256;
    const bytesPerBuffer = blockSize * 4;
    this.bytesPerBuffer = bytesPerBuffer;
    const maxBuffers = options.maxBuffers ?? Math.max(1024, Math.floor(DEFAULT_POOL_BYTES / bytesPerBuffer));
    const initialBuffers = Math.min(
      maxBuffers,
      options.initialBuffers ?? Math.max(16, Math.floor(INITIAL_POOL_BYTES / bytesPerBuffer)),
    );
    const stateBytes = Math.max(MIN_STATE_BYTES, maxBuffers * STATE_BYTES_PER_BUFFER);
    this.kernels = Kernels.create(initialBuffers * bytesPerBuffer, maxBuffers * bytesPerBuffer + stateBytes);
    this.maxBuffers = this.kernels ? maxBuffers : 0;
  }

  /** Buffers the WebAssembly memory could hold now, state blocks aside (it grows up to maxBuffers). */
  get capacity(): number {
    if (!this.kernels) return 0;
    return Math.min(
      this.maxBuffers,
      Math.floor((this.kernels.byteLength - BUFFERS_OFFSET) / this.bytesPerBuffer),
    );
  }

  /** A zeroed blockSize buffer (control side). */
  alloc(): Float32Array {
    const recycled = this.free.pop();
    if (recycled) {
      recycled.fill(0);
      return recycled;
    }
    const kernels = this.wasmUsed < this.maxBuffers ? this.kernels : null;
    const byteOffset = kernels ? kernels.reserve(this.bytesPerBuffer) : -1;
    if (kernels && byteOffset >= 0) {
      this.wasmUsed++;
      return new Float32Array(kernels.heap, byteOffset, this.blockSize);
    }
    const chunkIndex = Math.floor(this.used / this.buffersPerChunk);
    if (chunkIndex === this.chunks.length) {
      this.chunks.push(new Float32Array(this.blockSize * this.buffersPerChunk));
    }
    const offset = (this.used % this.buffersPerChunk) * this.blockSize;
    this.used++;
    return this.chunks[chunkIndex].subarray(offset, offset + this.blockSize);
  }

  /**
   * One shared block of zeros, what a stream input reads before its first binding (no node renders
   * before it is bound; nodes never write their inputs). In the pool, so kernels could address it too.
   */
  silence(): Float32Array {
    this.silent ??= this.alloc();
    return this.silent;
  }

  release(buffer: Float32Array): void {
    this.free.push(buffer);
  }

  /** Byte offset of `buffer` in the kernels' memory, or -1 when it is a plain-JS buffer. */
  offsetOf(buffer: Float32Array): number {
    return this.kernels ? this.kernels.offsetOf(buffer) : -1;
  }

  /** Buffers handed out and not released. */
  get inUse(): number {
    return this.wasmUsed + this.used - this.free.length;
  }
}
