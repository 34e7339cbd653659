import { describe, expect, it } from 'vitest';
import { SpectrumAnalyser } from '../../src/engine/taps.js';

function sine(frequency: number, amplitude: number, size: number): Float32Array {
  return Float32Array.from(
    { length: size },
    (_, i) => amplitude * Math.sin((2 * Math.PI * frequency * i) / 44100),
  );
}

describe('master spectrum', () => {
  const size = 2048;
  const binOf = (hz: number) => Math.round((hz * size) / 44100);

  it('reads a full-scale sine at about 0 dBFS in its bin', () => {
    const bins = new SpectrumAnalyser(size).analyse(sine(1000, 1, size));
    expect(bins).toHaveLength(size / 2);
    expect(Math.max(...bins)).toBeGreaterThan(-1.5);
    expect(bins.indexOf(Math.max(...bins))).toBe(binOf(1000));
  });

  it('does not cancel channels in opposite phase (right = −left, as in pwm_plus.syn)', () => {
    const left = sine(440, 0.5, size);
    const right = left.map((x) => -x);
    const bins = new SpectrumAnalyser(size).analyse(left, right);
    const peak = Math.max(...bins);
    expect(bins.indexOf(peak)).toBe(binOf(440));
    expect(peak).toBeGreaterThan(-7.5); // 0.5 amplitude ≈ −6 dBFS
  });
});
