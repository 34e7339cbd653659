import { defineNode, stream } from '../../engine/definition.js';
import { kernelsFor } from '../../engine/wasm/kernels.js';
import { OP_TRIANGLE } from '../../engine/wasm/ops.js';
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
 * Triangle ±1, band-limited: the naive triangle's corners (where its slope jumps) get the windowed-sinc
 * band-limited ramp's residual (a BLAMP, blep.ts) at their exact fractional times, so the corners' harmonics
 * above Nyquist do not fold back. Measured at 44.1 kHz: the strongest alias of a 3 kHz triangle is about
 * −120 dB re the fundamental (naive: −38 dB). Output 16 frames late, like SquareNode and SawtoothNode.
 *
 * Phase in cycles, 0 at the start: the wave starts at 0 rising (like SineNode), peaks at +1 a quarter
 * cycle in and bottoms at −1 three quarters in. Phase continuous across blocks and frequency changes; a
 * negative frequency runs it backwards; |frequency| is limited to Nyquist (half a cycle per frame).
 */
export const TriangleNode = defineNode({
  type: 'TriangleNode',
  category: 'oscillators',
  description:
    'Band-limited triangle wave ±1, starting at 0 rising, phase-continuous across blocks and changes.',
  inputs: {
    frequency: stream(
      'Frequency (negative runs backwards; beyond ±rate/2 it is held at ±rate/2; NaN is 0).',
      {
        default: 0,
        unit: 'Hz',
      },
    ),
  },
  outputs: { out: stream('Triangle, −1…1.', { unit: '-1…1' }) },
  create(ctx, io) {
    const frequency = io.inputs.frequency;
    const out = io.outputs.out.buf;
    const inverseRate = 1 / ctx.sampleRate;
    // The BLEP ring and the phase in cycles, [0, 1), in a typed array: a fraction in a closure variable is
    // a fresh heap number. With kernels, in their memory, where the plan's op (OP_TRIANGLE) runs on it too.
    const kernels = kernelsFor(out);
    const { at: stateAt, state } = oscillatorState(kernels, inverseRate);
    const tablesAt = kernels && stateAt >= 0 ? blepTablesIn(kernels) : -1;
    const blep = new BlepBuffer(state.subarray(0, 2 * BLEP_DELAY));
    return {
      encode(writer) {
        return (
          writer.begin(OP_TRIANGLE, out) &&
          writer.input(frequency) &&
          writer.pointer(stateAt) &&
          writer.pointer(tablesAt)
        );
      },
      dispose() {
        kernels?.releaseState(stateAt, OSC_STATE_BYTES);
      },
      process(frames) {
        const f = frequency.buf;
        blep.position = state[OSC_POSITION] | 0;
        if (state[OSC_STARTED] === 0) {
          // From silence the slope jumps from 0 to the wave's: band-limit that first corner too.
          blep.edgeFraction[0] = 1;
          blep.slopeChange[0] = 4 * clampIncrement(f[0] * inverseRate);
          blep.corner();
          state[OSC_STARTED] = 1;
        }
        renderTriangle(state, blep, f, out, frames, inverseRate);
      },
    };
  },
});

/** One block of the triangle in JS: a module function, primed at load (see primingFrequencies). */
function renderTriangle(
  state: Float64Array,
  blep: BlepBuffer,
  f: Float32Array,
  out: Float32Array,
  frames: number,
  inverseRate: number,
): void {
  const ring = blep.ring;
  const edgeFraction = blep.edgeFraction;
  const slopeChange = blep.slopeChange;
  let p = state[OSC_PHASE];
  let position = blep.position;
  for (let i = 0; i < frames; i++) {
    ring[(position + BLEP_DELAY) & BLEP_MASK] += p < 0.25 ? 4 * p : p < 0.75 ? 2 - 4 * p : 4 * p - 4;
    out[i] = ring[position];
    ring[position] = 0;
    position = (position + 1) & BLEP_MASK;
    blep.position = position;
    // Advance to the next frame, at most half a cycle (Nyquist) per frame. Inline (not
    // clampIncrement): a call's fractional result would be boxed on this per-sample path.
    let increment = f[i] * inverseRate;
    if (!(increment <= 0.5))
      increment = increment > 0.5 ? 0.5 : 0; // also catches NaN
    else if (increment < -0.5) increment = -0.5;
    const next = p + increment;
    // Corners between p and next: peaks (+1) at 0.25 + k, troughs (−1) at 0.75 + k. At a peak the
    // slope per frame goes from +4|increment| to −4|increment|, at a trough the other way.
    if (increment > 0) {
      const bend = 8 * increment;
      if (p < 0.25 && next >= 0.25) {
        edgeFraction[0] = (0.25 - p) / increment;
        slopeChange[0] = -bend;
        blep.corner();
      }
      if (p < 0.75 && next >= 0.75) {
        edgeFraction[0] = (0.75 - p) / increment;
        slopeChange[0] = bend;
        blep.corner();
      }
      if (next >= 1.25) {
        edgeFraction[0] = (1.25 - p) / increment;
        slopeChange[0] = -bend;
        blep.corner();
      }
      p = next >= 1 ? next - 1 : next;
    } else if (increment < 0) {
      const bend = -8 * increment;
      if (p > 0.75 && next <= 0.75) {
        edgeFraction[0] = (p - 0.75) / -increment;
        slopeChange[0] = bend;
        blep.corner();
      }
      if (p > 0.25 && next <= 0.25) {
        edgeFraction[0] = (p - 0.25) / -increment;
        slopeChange[0] = -bend;
        blep.corner();
      }
      if (next <= -0.25) {
        edgeFraction[0] = (p + 0.25) / -increment;
        slopeChange[0] = bend;
        blep.corner();
      }
      p = next < 0 ? next + 1 : next;
    }
  }
  state[OSC_PHASE] = p;
  state[OSC_POSITION] = position;
}
primeOscillator(renderTriangle);

/** Phase increment per frame, limited to ±0.5 (Nyquist); NaN → 0. Off the per-sample path only. */
function clampIncrement(increment: number): number {
  if (!(increment <= 0.5)) return increment > 0.5 ? 0.5 : 0;
  return Math.max(increment, -0.5);
}
