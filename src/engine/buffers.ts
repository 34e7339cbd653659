// Stream buffers live in a few large Float32Arrays ("chunks") and are handed out as blockSize views.
// Keeping every block buffer at a known (chunk, offset) is the step before moving kernels to
// WebAssembly, where one linear memory replaces the chunks (docs/decisions.md).

export class BufferPool {
  readonly blockSize: number;
  private readonly buffersPerChunk: number;
  private readonly chunks: Float32Array[] = [];
  private readonly free: Float32Array[] = [];
  private used = 0;

  constructor(blockSize: number, buffersPerChunk = 256) {
    this.blockSize = blockSize;
    this.buffersPerChunk = buffersPerChunk;
  }

  /** A zeroed blockSize buffer (control side: allocates a chunk when the pool runs dry). */
  alloc(): Float32Array {
    const recycled = this.free.pop();
    if (recycled) {
      recycled.fill(0);
      return recycled;
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

  /** Buffers handed out and not released. */
  get inUse(): number {
    return this.used - this.free.length;
  }
}
