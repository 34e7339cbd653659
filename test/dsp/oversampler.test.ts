// Oversampler over one storage array (the layout DistortionNode's kernel reads) behaves as with its own arrays.

import { describe, expect, it } from 'vitest';
import { Oversampler, oversamplerStorage } from '../../src/dsp/oversampler.js';

const STAGES = [
  { m: 49, db: 100 },
  { m: 11, db: 100 },
  { m: 7, db: 100 },
];

describe('Oversampler storage', () => {
  it('gives the same samples in one array, exactly filled, as in arrays of its own', () => {
    const frames = 64;
    const length = oversamplerStorage(STAGES, frames);
    // A guard word past the end: nothing may write there.
    const storage = new Float64Array(length + 1);
    storage[length] = 12345;
    const shared = new Oversampler(STAGES, frames, storage.subarray(0, length));
    const own = new Oversampler(STAGES, frames);
    const input = new Float64Array(frames);
    const a = new Float64Array(frames);
    const b = new Float64Array(frames);
    for (let block = 0; block < 5; block++) {
      for (let i = 0; i < frames; i++) input[i] = Math.sin(0.3 * (block * frames + i)) * (block + 1);
      shared.up(input, frames);
      own.up(input, frames);
      expect(shared.buffer).toEqual(own.buffer);
      for (let n = 0; n < frames * 8; n++) shared.buffer[n] = own.buffer[n] = Math.tanh(own.buffer[n]);
      shared.down(a, frames);
      own.down(b, frames);
      expect(a).toEqual(b);
    }
    expect(storage[length]).toBe(12345);
    // The last buffer (8×) ends exactly at the storage's end.
    expect(shared.buffer.byteOffset + shared.buffer.byteLength).toBe(length * 8);
  });
});
