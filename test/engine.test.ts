import { describe, expect, it } from 'vitest';
import { Synchrotron } from '../src/index.js';
import { allFinite, peak, zeroCrossingFrequency } from './helpers/analysis.js';

function sinePatch(frequency = 440, blockSize = 128) {
  const s = new Synchrotron({ sampleRate: 44100, blockSize });
  s.addValue(frequency, 'freq');
  s.add('SineNode', 'sine');
  s.add('PlaybackNode', 'out');
  s.link('freq.out', 'sine.frequency');
  s.link('sine.out', 'out.left');
  s.link('sine.out', 'out.right');
  return s;
}

describe('engine', () => {
  it('renders a 440 Hz sine to the master bus', () => {
    const s = sinePatch();
    const { left, right } = s.renderSeconds(1);
    expect(allFinite(left)).toBe(true);
    expect(zeroCrossingFrequency(left, 44100)).toBeCloseTo(440, 0);
    expect(peak(left)).toBeGreaterThan(0.999);
    expect(peak(left)).toBeLessThanOrEqual(1.0001);
    expect(right).toEqual(left);
    expect(s.frames).toBe(Math.ceil(44100 / 128) * 128);
  });

  it('renders nodes after the nodes that feed them', () => {
    const s = sinePatch();
    s.renderBlock();
    const order = s.renderer.order();
    expect(order.indexOf('freq')).toBeLessThan(order.indexOf('sine'));
    expect(order.indexOf('sine')).toBeLessThan(order.indexOf('out'));
  });
});
