import { defineNode, stream } from '../../engine/definition.js';
import { kernelsFor, nodeState } from '../../engine/wasm/kernels.js';
import { OP_SQUARE } from '../../engine/wasm/ops.js';
import {
  BLEP_DELAY,
  BlepBuffer,
  blepTablesIn,
  PRIMING_FRAMES,
  PRIMING_RATE,
  primingFrequencies,
} from './blep.js';

/** Duty-cycle limits: a pulse never narrows into a constant (DC-stuck) signal. */
const MIN_PWM = 0.01;
const MAX_PWM = 0.99;

// The state (float64 slots; the layout of SQ_* in scripts/wasm/ops-osc.ts). Its BLEP ring is 64 frames, not
// the usual 32: the op renders 16 frames at a time, and an edge in them writes 32 frames ahead of itself,
// which must not wrap onto the 16 it has yet to output. Frame by frame, as here, any ring ≥ 32 is the same.
const RING = 64;
const RING_MASK = RING - 1;
/** The ring index of the next output frame (a multiple of 16 between blocks). */
const POSITION = RING;
/** 1 once the first block band-limited the start from silence. */
const STARTED = RING + 1;
/** Phase in cycles, [0, 1): the rising edge is at 0, the falling edge at the duty cycle. */
const PHASE = RING + 2;
/** The duty cycle in effect at the next frame. */
const DUTY = RING + 3;
/** 1 / sample rate, for the op. */
const INVERSE_RATE = RING + 4;
/** A naive level the op deferred: it belongs in the 16 ring slots from POSITION (added before rendering here). */
const PENDING = RING + 5;
/** Then the op's scratch: the unwrapped phases of the 16 frames it renders at once and the one after (+1). */
const SCRATCH = RING + 6 + 18;
/** The op's record of which quarters of the ring may be nonzero: set to all after rendering here. */
const DIRTY = SCRATCH;
const ALL_QUARTERS = 15;
const STATE_SIZE = SCRATCH + 1;

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
    // The BLEP ring, phase in cycles (0…1: the rising edge is at 0, the falling edge at the duty cycle) and
    // duty cycle, in a typed array, since a fraction stored in a closure variable is a fresh heap number each
    // block; with kernels, in their memory, where the plan's op (OP_SQUARE) runs on the same state.
    const kernels = kernelsFor(out);
    const { at: stateAt, state } = nodeState(kernels, STATE_SIZE);
    state[INVERSE_RATE] = inverseRate;
    state[DUTY] = 0.5;
    const tablesAt = kernels && stateAt >= 0 ? blepTablesIn(kernels) : -1;
    const blep = new BlepBuffer(state.subarray(0, RING));
    const ring = blep.ring;
    return {
      encode(writer) {
        return (
          writer.begin(OP_SQUARE, out) &&
          writer.input(frequency) &&
          writer.input(pwm) &&
          writer.pointer(stateAt) &&
          writer.pointer(tablesAt)
        );
      },
      dispose() {
        kernels?.releaseState(stateAt, STATE_SIZE * 8);
      },
      process(frames) {
        const w = pwm.buf;
        blep.position = state[POSITION] | 0;
        const pending = state[PENDING];
        if (pending !== 0) {
          for (let k = 0; k < 16; k++) ring[(blep.position + k) & RING_MASK] += pending;
          state[PENDING] = 0;
        }
        if (state[STARTED] === 0) {
          state[DUTY] = clampDuty(w[0]);
          blep.step(state[PHASE] < state[DUTY] ? 1 : -1, 1); // from silence to the first level
          state[STARTED] = 1;
        }
        renderSquare(state, blep, frequency.buf, w, out, frames, inverseRate);
        state[DIRTY] = ALL_QUARTERS;
      },
    };
  },
});

/**
 * One block of the square in JS: the naive level and both edges of every frame into the BLEP ring. A module
 * function, primed at load (see primingFrequencies: the first rising edge comes a whole period in, after V8
 * has optimized this).
 */
function renderSquare(
  state: Float64Array,
  blep: BlepBuffer,
  f: Float32Array,
  w: Float32Array,
  out: Float32Array,
  frames: number,
  inverseRate: number,
): void {
  const ring = blep.ring;
  const edgeFraction = blep.edgeFraction;
  // Both read from the typed array, so V8 keeps them unboxed doubles through the loop (a value
  // returned by a call merged in here once made every sample allocate).
  let p = state[PHASE];
  let d = state[DUTY];
  let position = blep.position;
  for (let i = 0; i < frames; i++) {
    ring[(position + BLEP_DELAY) & RING_MASK] += p < d ? 1 : -1;
    out[i] = ring[position];
    ring[position] = 0;
    position = (position + 1) & RING_MASK;
    blep.position = position;
    let increment = f[i] * inverseRate;
    if (!(increment <= 0.5))
      increment = increment > 0.5 ? 0.5 : 0; // also catches NaN
    else if (increment < -0.5) increment = -0.5;
    // Next frame's duty cycle (the pwm of frame i+1 when it is in this block).
    const wanted = i + 1 < frames ? w[i + 1] : w[i];
    // Clamped inline with Math.min/max: a helper call, or a ternary that mixes constants into the
    // value, made V8 box the duty cycle (two heap numbers a sample, measured).
    const nextDuty = !Number.isNaN(wanted) ? Math.min(MAX_PWM, Math.max(MIN_PWM, wanted)) : 0.5;
    const next = p + increment;
    // Rising edge where the phase passes a whole cycle.
    if (next >= 1) {
      edgeFraction[0] = (1 - p) / increment;
      blep.edge(2);
    } else if (next < 0) {
      edgeFraction[0] = p / -increment;
      blep.edge(-2);
    }
    // Falling edges where phase − duty passes a whole number (the duty may move, too).
    const from = p - d;
    const to = next - nextDuty;
    const delta = to - from;
    if (delta > 0) {
      for (let k = Math.floor(from) + 1; k <= to; k++) {
        edgeFraction[0] = (k - from) / delta;
        blep.edge(-2);
      }
    } else if (delta < 0) {
      for (let k = Math.floor(from); k > to; k--) {
        edgeFraction[0] = (from - k) / -delta;
        blep.edge(2);
      }
    }
    p = next >= 1 ? next - 1 : next < 0 ? next + 1 : next;
    d = nextDuty;
  }
  state[PHASE] = p;
  state[DUTY] = d;
  state[POSITION] = position;
}

/** renderSquare once over primingFrequencies, its duty cycle jumping both ways (both falling edges) and NaN. */
function primeRenderSquare(): void {
  const state = new Float64Array(STATE_SIZE);
  const w = new Float32Array(PRIMING_FRAMES);
  for (let i = 0; i < w.length; i++) w[i] = i % 2 === 0 ? 0.05 : 0.95;
  w[5] = Number.NaN;
  state[DUTY] = 0.5;
  const blep = new BlepBuffer(state.subarray(0, RING));
  const out = new Float32Array(PRIMING_FRAMES);
  renderSquare(state, blep, primingFrequencies(), w, out, PRIMING_FRAMES, 1 / PRIMING_RATE);
}
primeRenderSquare();

function clampDuty(value: number): number {
  if (Number.isNaN(value)) return 0.5;
  return Math.min(MAX_PWM, Math.max(MIN_PWM, value));
}
