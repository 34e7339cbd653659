import { defineNode, stream } from '../../engine/definition.js';
import { kernelsFor } from '../../engine/wasm/kernels.js';
import { OP_SAWTOOTH } from '../../engine/wasm/ops.js';
import {
  BLEP_DELAY,
  BLEP_MASK,
  BlepBuffer,
  blepTablesIn,
  OSC_PHASE,
  OSC_POSITION,
  OSC_STARTED,
  OSC_STATE_BYTES,
  oscillatorState,
  primeOscillator,
} from './blep.js';

/**
 * Rising ramp from −1 to 1 (fix: the original gave 0…1), band-limited with windowed-sinc BLEPs (see
 * blep.ts: aliasing about −100 dB at a 3 kHz fundamental; output 16 frames late). Phase continuous across
 * blocks and frequency changes; a negative frequency runs the ramp backwards.
 */
export const SawtoothNode = defineNode({
  type: 'SawtoothNode',
  category: 'oscillators',
  description: 'Band-limited rising sawtooth, −1…1, phase-continuous across blocks and frequency changes.',
  inputs: { frequency: stream('Frequency (negative runs backwards).', { default: 0, unit: 'Hz' }) },
  outputs: { out: stream('Sawtooth, −1…1.', { unit: '-1…1' }) },
  create(ctx, io) {
    const frequency = io.inputs.frequency;
    const out = io.outputs.out.buf;
    const inverseRate = 1 / ctx.sampleRate;
    // The BLEP ring and the phase in cycles, [0, 1) (the naive value is 2·phase − 1), in a typed array,
    // since a fraction stored in a closure variable is a fresh heap number each block; with kernels, in
    // their memory, where the plan's op (OP_SAWTOOTH) runs on the same state.
    const kernels = kernelsFor(out);
    const { at: stateAt, state } = oscillatorState(kernels, inverseRate);
    const tablesAt = kernels && stateAt >= 0 ? blepTablesIn(kernels) : -1;
    const blep = new BlepBuffer(state.subarray(0, 2 * BLEP_DELAY));
    return {
      encode(writer) {
        return (
          writer.begin(OP_SAWTOOTH, out) &&
          writer.input(frequency) &&
          writer.pointer(stateAt) &&
          writer.pointer(tablesAt)
        );
      },
      dispose() {
        kernels?.releaseState(stateAt, OSC_STATE_BYTES);
      },
      process(frames) {
        blep.position = state[OSC_POSITION] | 0;
        if (state[OSC_STARTED] === 0) {
          // The ramp starts from silence: band-limit that first jump too.
          blep.step(2 * state[OSC_PHASE] - 1, 1);
          state[OSC_STARTED] = 1;
        }
        renderSawtooth(state, blep, frequency.buf, out, frames, inverseRate);
      },
    };
  },
});

/** One block of the sawtooth in JS: a module function, primed at load (see primingFrequencies). */
function renderSawtooth(
  state: Float64Array,
  blep: BlepBuffer,
  f: Float32Array,
  out: Float32Array,
  frames: number,
  inverseRate: number,
): void {
  const ring = blep.ring;
  const edgeFraction = blep.edgeFraction;
  let p = state[OSC_PHASE];
  let position = blep.position;
  for (let i = 0; i < frames; i++) {
    ring[(position + BLEP_DELAY) & BLEP_MASK] += 2 * p - 1;
    out[i] = ring[position];
    ring[position] = 0;
    position = (position + 1) & BLEP_MASK;
    blep.position = position;
    // Advance to the next frame, at most half a cycle (Nyquist) per frame.
    let increment = f[i] * inverseRate;
    if (!(increment <= 0.5))
      increment = increment > 0.5 ? 0.5 : 0; // also catches NaN
    else if (increment < -0.5) increment = -0.5;
    const next = p + increment;
    if (next >= 1) {
      edgeFraction[0] = (1 - p) / increment;
      blep.edge(-2);
      p = next - 1;
    } else if (next < 0) {
      edgeFraction[0] = p / -increment;
      blep.edge(2);
      p = next + 1;
    } else {
      p = next;
    }
  }
  state[OSC_PHASE] = p;
  state[OSC_POSITION] = position;
}
primeOscillator(renderSawtooth);
