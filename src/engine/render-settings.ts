// The block sizes and sample rates an engine accepts, checked where a renderer or an engine is made. Apart
// from the renderer so that a control side (the browser page's engine) can check them without loading it.

export const MIN_BLOCK_SIZE = 16;
export const MAX_BLOCK_SIZE = 4096;

export function validateBlockSize(blockSize: number): void {
  if (
    !Number.isInteger(blockSize) ||
    blockSize < MIN_BLOCK_SIZE ||
    blockSize > MAX_BLOCK_SIZE ||
    (blockSize & (blockSize - 1)) !== 0
  ) {
    throw new RangeError(
      `block size must be a power of two from ${MIN_BLOCK_SIZE} to ${MAX_BLOCK_SIZE}, got ${blockSize}`,
    );
  }
}

export function validateSampleRate(sampleRate: number): void {
  if (!Number.isFinite(sampleRate) || sampleRate < 1000 || sampleRate > 768000) {
    throw new RangeError(`sample rate must be between 1000 and 768000 Hz, got ${sampleRate}`);
  }
}
