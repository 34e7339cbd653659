import { defineNode, stream } from '../../engine/definition.js';
import { BlepBuffer } from './blep.js';

/** Duty-cycle limits: a pulse never narrows into a constant (DC-stuck) signal. */
const MIN_PWM = 0.01;
const MAX_PWM = 0.99;

/**
 * Square ±1, high for the first `pwm` of each cycle. Both edges are band-limited with windowed-sinc BLEPs
 * at their exact fractional times (blep.ts; output 16 frames late), also when `pwm` moves at audio rate.
 * Phase continuous across blocks and frequency changes.
 */
export const SquareNode = defineNode({
  type: 'SquareNode',
  category: 'oscillators',
  description: 'Band-limited square/pulse wave ±1 with duty cycle `pwm`, phase-continuous.',
  inputs: {
    frequency: stream('Frequency (negative runs backwards).', { default: 0, unit: 'Hz' }),
    pwm: stream('Duty cycle: the fraction of each cycle at +1 (clamped to 0.01…0.99).', {
      default: 0.5,
      unit: 'fraction',
      min: 0,
      max: 1,
    }),
  },
  outputs: { out: stream('Square, −1…1.', { unit: '-1…1' }) },
  create(ctx, io) {
    const { frequency, pwm } = io.inputs;
    const out = io.outputs.out.buf;
    const inverseRate = 1 / ctx.sampleRate;
    const blep = new BlepBuffer();
    let phase = 0; // cycles, [0, 1): the rising edge is at 0, the falling edge at the duty cycle
    let duty = 0.5;
    let started = false;
    return {
      process(frames) {
        const f = frequency.buf;
        const w = pwm.buf;
        let p = phase;
        let d = duty;
        if (!started) {
          d = clampDuty(w[0]);
          blep.step(p < d ? 1 : -1, 1); // from silence to the first level, band-limited
          started = true;
        }
        for (let i = 0; i < frames; i++) {
          out[i] = blep.push(p < d ? 1 : -1);
          let increment = f[i] * inverseRate;
          if (!(increment <= 0.5))
            increment = increment > 0.5 ? 0.5 : 0; // also catches NaN
          else if (increment < -0.5) increment = -0.5;
          // Next frame's duty cycle (the pwm of frame i+1 when it is in this block).
          const nextDuty = clampDuty(i + 1 < frames ? w[i + 1] : w[i]);
          const next = p + increment;
          // Rising edge where the phase passes a whole cycle.
          if (next >= 1) blep.step(2, (1 - p) / increment);
          else if (next < 0) blep.step(-2, p / -increment);
          // Falling edges where phase − duty passes a whole number (the duty may move, too).
          const from = p - d;
          const to = next - nextDuty;
          const delta = to - from;
          if (delta > 0) {
            for (let k = Math.floor(from) + 1; k <= to; k++) blep.step(-2, (k - from) / delta);
          } else if (delta < 0) {
            for (let k = Math.floor(from); k > to; k--) blep.step(2, (from - k) / -delta);
          }
          p = next >= 1 ? next - 1 : next < 0 ? next + 1 : next;
          d = nextDuty;
        }
        phase = p;
        duty = d;
      },
    };
  },
});

function clampDuty(value: number): number {
  if (Number.isNaN(value)) return 0.5;
  return Math.min(MAX_PWM, Math.max(MIN_PWM, value));
}
