import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MasterLimiter } from '../../src/io/limiter.js';
import { peak } from '../helpers/analysis.js';

const RATE = 44100;

function sine(frequency: number, amplitude: number, frames: number): Float32Array {
  const out = new Float32Array(frames);
  for (let i = 0; i < frames; i++) out[i] = amplitude * Math.sin((2 * Math.PI * frequency * i) / RATE);
  return out;
}

function run(limiter: MasterLimiter, left: Float32Array, right: Float32Array, block = 128): void {
  for (let start = 0; start < left.length; start += block) {
    const frames = Math.min(block, left.length - start);
    limiter.process(left.subarray(start), right.subarray(start), frames);
  }
}

describe('MasterLimiter', () => {
  it('leaves a signal within ±1 untouched', () => {
    const input = sine(440, 0.8, RATE);
    const left = input.slice();
    const right = input.slice();
    run(new MasterLimiter(RATE), left, right);
    expect(left).toEqual(input);
    expect(right).toEqual(input);
  });

  it('keeps a loud mix (several PlaybackNodes) within ±1, both channels', () => {
    const left = sine(440, 3, RATE);
    const right = sine(660, 5, RATE);
    run(new MasterLimiter(RATE), left, right);
    expect(peak(left)).toBeLessThanOrEqual(1);
    expect(peak(right)).toBeLessThanOrEqual(1);
    // Limited, not silenced: the loud channel sits at the ceiling.
    expect(peak(right)).toBeGreaterThan(0.99);
  });

  it('recovers to unity gain after a burst (release), so quiet passages are untouched', () => {
    const limiter = new MasterLimiter(RATE, { release: 0.05 });
    run(limiter, sine(440, 4, RATE / 10), sine(440, 4, RATE / 10));
    expect(limiter.gain).toBeLessThan(0.3);
    const quiet = sine(440, 0.5, RATE);
    const copy = quiet.slice();
    run(limiter, copy, quiet.slice());
    expect(limiter.gain).toBeGreaterThan(0.999);
    // The last quarter second is untouched.
    const tail = RATE * 0.75;
    for (let i = tail; i < RATE; i += 97) expect(copy[i]).toBeCloseTo(quiet[i], 3);
  });

  it('bounds any input, including NaN and Infinity, to ±ceiling', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.double(), fc.constant(Number.NaN), fc.constant(Number.POSITIVE_INFINITY)), {
          minLength: 1,
          maxLength: 600,
        }),
        fc.double({ min: 0.1, max: 2, noNaN: true }),
        (samples, ceiling) => {
          const left = Float32Array.from(samples);
          const right = Float32Array.from(samples.map((x) => -x));
          run(new MasterLimiter(RATE, { ceiling }), left, right, 64);
          const bound = Math.fround(ceiling); // samples are stored as float32
          for (let i = 0; i < left.length; i++) {
            if (!(Math.abs(left[i]) <= bound) || !(Math.abs(right[i]) <= bound)) return false;
          }
          return true;
        },
      ),
    );
  });
});
