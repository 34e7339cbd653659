import { describe, expect, it } from 'vitest';
import { allFinite, maxStep, peak, rms, spectrum, zeroCrossingFrequency } from '../helpers/analysis.js';
import { aliasingDb, node, RATE, rigsCleanedAfterEachTest } from './render.js';

const make = rigsCleanedAfterEachTest();

/** Skip the first frames: the band-limited oscillators fade in from silence over their 32-frame kernel. */
const SETTLE = 1024;

function render(type: string, inputs: Record<string, number>, frames = RATE, blockSize = 128): Float32Array {
  const r = make(blockSize);
  node(r, type, 'osc', inputs);
  return r.capture(['osc.out'], frames)[0];
}

function mean(x: Float32Array): number {
  let sum = 0;
  for (const v of x) sum += v;
  return sum / x.length;
}

describe('SquareNode', () => {
  it.each([110, 440, 1000, 3000])(
    'oscillates at %d Hz (zero crossings within 0.5 percent), amplitude ±1',
    (hz) => {
      const out = render('SquareNode', { frequency: hz }).subarray(SETTLE);
      expect(allFinite(out)).toBe(true);
      expect(Math.abs(zeroCrossingFrequency(out, RATE) / hz - 1)).toBeLessThan(0.005);
      if (hz <= 1000) expect(rms(out)).toBeGreaterThan(0.97); // a ±1 square has RMS 1
      expect(rms(out)).toBeLessThan(1.01);
      expect(peak(out)).toBeLessThan(1.2); // Gibbs overshoot of a band-limited edge is ~9 %
    },
  );

  it.each([0.1, 0.25, 0.5, 0.75, 0.9])('has duty cycle pwm = %s', (pwm) => {
    const out = render('SquareNode', { frequency: 200, pwm }).subarray(SETTLE);
    let high = 0;
    for (const x of out) if (x > 0) high++;
    expect(Math.abs(high / out.length - pwm)).toBeLessThan(0.005);
    expect(mean(out)).toBeCloseTo(2 * pwm - 1, 2);
  });

  it('clamps pwm so the pulse never sticks at DC', () => {
    for (const pwm of [0, -3, 1, 7]) {
      const out = render('SquareNode', { frequency: 440, pwm }, 8192).subarray(SETTLE);
      expect(allFinite(out)).toBe(true);
      expect(Math.abs(zeroCrossingFrequency(out, RATE) / 440 - 1)).toBeLessThan(0.005);
    }
  });

  it.each([0.5, 0.3, 0.1])('aliasing at a 3 kHz fundamental (pwm %s) is below −40 dB', (pwm) => {
    const out = render('SquareNode', { frequency: 3000, pwm }, 32768 + SETTLE).subarray(SETTLE);
    const { magnitudes, binHz } = spectrum(out, RATE);
    const { db, at } = aliasingDb(magnitudes, binHz, 3000);
    expect(db, `strongest alias ${db.toFixed(1)} dB at ${at.toFixed(0)} Hz`).toBeLessThan(-40);
  });

  it('renders identically with block sizes 64, 128 and 256', () => {
    const reference = render('SquareNode', { frequency: 440, pwm: 0.3 }, 8192, 64);
    // Phase continuous: no jump anywhere (block boundaries included) beyond a band-limited edge (~1.52;
    // a naive square jumps by 2).
    expect(maxStep(reference.subarray(SETTLE))).toBeLessThan(1.6);
    for (const blockSize of [128, 256]) {
      expect(render('SquareNode', { frequency: 440, pwm: 0.3 }, 8192, blockSize)).toEqual(reference);
    }
  });

  it('changes frequency without a click and keeps its phase', () => {
    const r = make();
    node(r, 'SquareNode', 'osc', { frequency: 440 });
    const steady = r.capture(['osc.out'], 22050)[0].slice(SETTLE);
    r.s.setValue('osc_frequency', 660);
    const changed = r.capture(['osc.out'], 22050)[0].slice(512);
    expect(Math.abs(zeroCrossingFrequency(changed, RATE) / 660 - 1)).toBeLessThan(0.005);
    // No edge sharper than a steady band-limited edge.
    expect(maxStep(changed)).toBeLessThan(maxStep(steady) * 1.1);
  });

  it('follows an audio-rate pwm smoothly (the pwm.syn patch)', () => {
    const r = make();
    node(r, 'SquareNode', 'osc', { frequency: 440 });
    node(r, 'SineNode', 'lfo', { frequency: 5 });
    node(r, 'MultiplyNode', 'scale', { b: 0.24 });
    node(r, 'AddNode', 'offset', { b: 0.5 });
    r.s.link('lfo.out', 'scale.a');
    r.s.link('scale.out', 'offset.a');
    r.s.link('offset.out', 'osc.pwm');
    const out = r.capture(['osc.out'], RATE)[0].subarray(SETTLE);
    expect(allFinite(out)).toBe(true);
    expect(peak(out)).toBeLessThan(1.25);
    expect(Math.abs(zeroCrossingFrequency(out, RATE) / 440 - 1)).toBeLessThan(0.005);
  });
});

describe('SawtoothNode', () => {
  it.each([110, 440, 1000, 3000])('ramps at %d Hz (zero crossings within 0.5 percent)', (hz) => {
    const out = render('SawtoothNode', { frequency: hz }).subarray(SETTLE);
    expect(allFinite(out)).toBe(true);
    // Falling zero crossings are the band-limited jumps; count rising ones of the inverted ramp.
    const inverted = out.map((x) => -x);
    expect(Math.abs(zeroCrossingFrequency(inverted, RATE) / hz - 1)).toBeLessThan(0.005);
  });

  it('is bipolar −1…1, centred, and rising', () => {
    const out = render('SawtoothNode', { frequency: 100 }).subarray(SETTLE);
    let min = Infinity;
    let max = -Infinity;
    let rising = 0;
    for (let i = 0; i < out.length; i++) {
      min = Math.min(min, out[i]);
      max = Math.max(max, out[i]);
      if (i > 0 && out[i] > out[i - 1]) rising++;
    }
    expect(min).toBeLessThan(-0.98);
    expect(max).toBeGreaterThan(0.98);
    expect(peak(out)).toBeLessThan(1.2); // Gibbs overshoot: ~9 % of the jump of 2
    expect(Math.abs(mean(out))).toBeLessThan(0.01);
    expect(rms(out)).toBeCloseTo(1 / Math.sqrt(3), 2); // RMS of a ±1 ramp
    expect(rising / out.length).toBeGreaterThan(0.95);
  });

  it('aliasing at a 3 kHz fundamental is below −40 dB', () => {
    const out = render('SawtoothNode', { frequency: 3000 }, 32768 + SETTLE).subarray(SETTLE);
    const { magnitudes, binHz } = spectrum(out, RATE);
    const { db, at } = aliasingDb(magnitudes, binHz, 3000);
    expect(db, `strongest alias ${db.toFixed(1)} dB at ${at.toFixed(0)} Hz`).toBeLessThan(-40);
  });

  it('renders identically with block sizes 64, 128 and 256', () => {
    const reference = render('SawtoothNode', { frequency: 523.25 }, 8192, 64);
    expect(maxStep(reference.subarray(SETTLE))).toBeLessThan(1.6);
    for (const blockSize of [128, 256])
      expect(render('SawtoothNode', { frequency: 523.25 }, 8192, blockSize)).toEqual(reference);
  });

  it('changes frequency without a click; runs backwards for negative frequencies', () => {
    const r = make();
    node(r, 'SawtoothNode', 'osc', { frequency: 220 });
    const steady = r.capture(['osc.out'], 22050)[0].slice(SETTLE);
    r.s.setValue('osc_frequency', -330);
    const changed = r.capture(['osc.out'], 22050)[0].slice(512);
    expect(maxStep(changed)).toBeLessThan(maxStep(steady) * 1.1);
    expect(Math.abs(zeroCrossingFrequency(changed, RATE) / 330 - 1)).toBeLessThan(0.005);
    // Backwards: mostly falling.
    let falling = 0;
    for (let i = 1; i < changed.length; i++) if (changed[i] < changed[i - 1]) falling++;
    expect(falling / changed.length).toBeGreaterThan(0.95);
  });
});
