import { defineNode, stream } from '../../engine/definition.js';
import { SINE_TABLE, SINE_TABLE_SIZE, wrapPhase } from './sine-table.js';

/**
 * Sine, amplitude 1, phase continuous across blocks and frequency changes.
 * Constant frequency: a complex rotator (4 multiplies a sample), restarted from the exact phase each
 * block so rounding never accumulates. Audio-rate frequency: phase accumulator and an interpolated table.
 */
export const SineNode = defineNode({
  type: 'SineNode',
  category: 'oscillators',
  description: 'Sine wave, amplitude 1, phase-continuous across blocks and frequency changes.',
  inputs: { frequency: stream('Frequency (negative runs backwards).', { default: 0, unit: 'Hz' }) },
  outputs: { out: stream('Sine, −1…1.', { unit: '-1…1' }) },
  create(ctx, io) {
    const frequency = io.inputs.frequency;
    const out = io.outputs.out.buf;
    const inverseRate = 1 / ctx.sampleRate;
    let phase = 0; // cycles, [0, 1)
    return {
      process(frames) {
        const f = frequency.buf;
        if (frequency.constant) {
          const increment = f[0] * inverseRate;
          const angle = 2 * Math.PI * phase;
          const step = 2 * Math.PI * increment;
          const cosStep = Math.cos(step);
          const sinStep = Math.sin(step);
          let re = Math.cos(angle);
          let im = Math.sin(angle);
          for (let i = 0; i < frames; i++) {
            out[i] = im;
            const nextRe = re * cosStep - im * sinStep;
            im = im * cosStep + re * sinStep;
            re = nextRe;
          }
          phase = wrapPhase(phase + increment * frames);
        } else {
          let p = phase;
          for (let i = 0; i < frames; i++) {
            const position = p * SINE_TABLE_SIZE;
            const index = position | 0;
            const a = SINE_TABLE[index];
            out[i] = a + (position - index) * (SINE_TABLE[index + 1] - a);
            p += f[i] * inverseRate;
            if (p >= 1 || p < 0) p = wrapPhase(p);
          }
          phase = p;
        }
        // A non-finite frequency must not poison the phase for ever.
        if (phase - phase !== 0) phase = 0;
      },
    };
  },
});
