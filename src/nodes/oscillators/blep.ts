// Band-limited steps for oscillators with jumps (square, sawtooth), and band-limited ramps (corners) for
// oscillators whose slope jumps (triangle).
//
// A naive square or saw jumps between two samples; its harmonics above Nyquist fold back as audible
// aliasing. Here every jump is replaced by a band-limited step: a windowed-sinc step (Blackman–Harris,
// 32 taps, cutoff 0.42 × sample rate) placed at the jump's exact fractional time. The kernel is linear
// phase, so the output is delayed by BLEP_DELAY frames (16 frames = 0.36 ms at 44.1 kHz). Measured
// aliasing of a 3 kHz saw at 44.1 kHz: the strongest non-harmonic component is about −100 dB below the
// fundamental (2-point PolyBLEP gave −22 dB, a 4-point B-spline BLEP −37 dB).

import { type Kernels, nodeState } from '../../engine/wasm/kernels.js';

/** Output delay in frames (half the kernel). */
export const BLEP_DELAY = 16;
const TAPS = 2 * BLEP_DELAY;
/** Ring index mask (the ring holds 2·BLEP_DELAY frames). */
export const BLEP_MASK = TAPS - 1;
/** Table points per frame. */
const RESOLUTION = 256;
/** Points in each table (the step's and the ramp's). */
const TABLE_POINTS = TAPS * RESOLUTION + 2;
/** Cutoff as a fraction of the sample rate (0.5 = Nyquist): 18.5 kHz at 44.1 kHz. */
const CUTOFF = 0.42;

/** The band-limited unit step B(x) for x in [−BLEP_DELAY, BLEP_DELAY] frames, RESOLUTION points a frame. */
function stepTable(): Float64Array {
  const points = TAPS * RESOLUTION;
  const oversample = 16;
  const kernelLength = points * oversample;
  const kernel = new Float64Array(kernelLength);
  let total = 0;
  for (let i = 0; i < kernelLength; i++) {
    const x = -BLEP_DELAY + ((i + 0.5) * TAPS) / kernelLength;
    const sinc = x === 0 ? 2 * CUTOFF : Math.sin(2 * Math.PI * CUTOFF * x) / (Math.PI * x);
    const u = (i + 0.5) / kernelLength;
    const window =
      0.35875 -
      0.48829 * Math.cos(2 * Math.PI * u) +
      0.14128 * Math.cos(4 * Math.PI * u) -
      0.01168 * Math.cos(6 * Math.PI * u);
    kernel[i] = sinc * window;
    total += kernel[i];
  }
  const table = new Float64Array(TABLE_POINTS);
  let sum = 0;
  for (let i = 0; i < points; i++) {
    table[i] = sum / total;
    for (let j = 0; j < oversample; j++) sum += kernel[i * oversample + j];
  }
  table[points] = 1;
  table[points + 1] = 1;
  return table;
}

/**
 * The band-limited ramp's residual for a corner (a change of slope by 1 per frame) at x = 0, on the same
 * grid as STEP_TABLE: R(x) − max(x, 0), where R is the integral of the band-limited step (a BLAMP). It is
 * zero outside ±BLEP_DELAY frames because the kernel is symmetric; the residue that numerical integration
 * leaves at the far end (~1e-12) is spread linearly so both ends are exactly 0.
 */
function rampTable(STEP_TABLE: Float64Array): Float64Array {
  const points = TAPS * RESOLUTION;
  const table = new Float64Array(TABLE_POINTS);
  let integral = 0; // ∫ B from −BLEP_DELAY to x, in frames (trapezoids)
  for (let i = 0; i <= points; i++) {
    table[i] = integral - Math.max(i / RESOLUTION - BLEP_DELAY, 0);
    if (i < points) integral += (STEP_TABLE[i] + STEP_TABLE[i + 1]) / (2 * RESOLUTION);
  }
  const residue = table[points];
  for (let i = 0; i <= points; i++) table[i] -= (residue * i) / points;
  table[points + 1] = 0;
  return table;
}

// Built when the first oscillator that needs them is made, not at import: the step's 131,072-point kernel
// costs ~0.1 s, which every process (a `render`, a `check`, the browser's worklet) paid at start-up.
let tables: { step: Float64Array; ramp: Float64Array } | null = null;
function blepTables(): { step: Float64Array; ramp: Float64Array } {
  if (!tables) {
    const step = stepTable();
    tables = { step, ramp: rampTable(step) };
  }
  return tables;
}

/**
 * The step table by rows for the kernels' `edge`: row r (0…RESOLUTION + 1) holds entry r + RESOLUTION·k of
 * every tap k side by side, so an edge reads two rows (8 cache lines) instead of 32 scattered pairs.
 */
const STEP_BY_ROW_POINTS = (RESOLUTION + 2) * TAPS;
/** Bytes of the tables in the kernels' memory: the step's, the ramp's, the step's by rows (blepTablesIn). */
const TABLES_BYTES = (2 * TABLE_POINTS + STEP_BY_ROW_POINTS) * 8;
const tablesInKernels = new WeakMap<Kernels, number>();

/**
 * The byte offset of the step table, followed by the ramp table and the step table by rows, in `kernels`' memory (copied in by the
 * first oscillator there, kept for the kernels' life: 197 KB), for the oscillators' ops; -1 when the memory
 * is full. Control side.
 */
export function blepTablesIn(kernels: Kernels): number {
  const known = tablesInKernels.get(kernels);
  if (known !== undefined) return known;
  const at = kernels.allocState(TABLES_BYTES);
  if (at >= 0) {
    const { step, ramp } = blepTables();
    new Float64Array(kernels.heap, at, TABLE_POINTS).set(step);
    new Float64Array(kernels.heap, at + TABLE_POINTS * 8, TABLE_POINTS).set(ramp);
    const byRow = new Float64Array(kernels.heap, at + 2 * TABLE_POINTS * 8, STEP_BY_ROW_POINTS);
    for (let r = 0; r < RESOLUTION + 2; r++)
      for (let k = 0; k < TAPS; k++) byRow[r * TAPS + k] = step[r + RESOLUTION * k];
    tablesInKernels.set(kernels, at);
  }
  return at;
}

// The state of a band-limited oscillator (float64 slots), shared by its `process` and its op: the BLEP
// ring, then these (the layout of OSC_* in scripts/wasm/ops-osc.ts).
/** The ring index of the next output frame (BlepBuffer.position between blocks). */
export const OSC_POSITION = TAPS;
/** 1 once the first block band-limited the start from silence. */
export const OSC_STARTED = TAPS + 1;
/** Phase in cycles, [0, 1). */
export const OSC_PHASE = TAPS + 2;
// TAPS + 3: unused (SquareNode's duty cycle, before SquareNode had a state layout of its own).
/** 1 / sample rate, for the op. */
export const OSC_INVERSE_RATE = TAPS + 4;
const OSC_STATE_SIZE = TAPS + 5;
export const OSC_STATE_BYTES = OSC_STATE_SIZE * 8;

/**
 * An oscillator's state: in `kernels`' memory when there is room (`at` ≥ 0, where its op finds it), else a
 * plain array (`at` = -1). Control side.
 */
export function oscillatorState(
  kernels: Kernels | null,
  inverseRate: number,
): { at: number; state: Float64Array } {
  const { at, state } = nodeState(kernels, OSC_STATE_SIZE);
  state[OSC_INVERSE_RATE] = inverseRate;
  return { at, state };
}

/**
 * Turns a naive waveform with jumps into a band-limited one. Per frame: report the jumps that happened
 * since the previous frame, then add the naive value of the new frame at ring[(position + BLEP_DELAY) &
 * BLEP_MASK] and read the output frame at ring[position] (BLEP_DELAY frames late). Oscillators do that
 * push inline and pass an edge's fraction through `edgeFraction`: V8 boxes — allocates — a fractional
 * number passed to or returned from a call it does not inline, and these run per sample.
 * Render side only; allocates nothing after construction.
 */
export class BlepBuffer {
  readonly ring: Float64Array;
  /** Ring index of the next output frame. */
  position = 0;
  /** Where the next edge falls, 0 < fraction ≤ 1 of the way from the previous frame to the next. */
  readonly edgeFraction = new Float64Array(1);
  /** The slope change (value per frame) of the next corner (see corner()). */
  readonly slopeChange = new Float64Array(1);
  private readonly stepTable = blepTables().step;
  private readonly rampTable = blepTables().ramp;
  /** Ring index mask: BLEP_MASK for the usual ring; SquareNode's is longer (its op renders 16 frames at once). */
  private readonly mask: number;

  /**
   * `ring`: 2·BLEP_DELAY float64 (or a longer power of two), the start of an oscillator's state (see
   * oscillatorState).
   */
  constructor(ring: Float64Array = new Float64Array(TAPS)) {
    this.ring = ring;
    this.mask = ring.length - 1;
  }

  /** A jump of `height` at `fraction` (see edgeFraction). Convenience for code off the per-sample path. */
  step(height: number, fraction: number): void {
    this.edgeFraction[0] = fraction;
    this.edge(height);
  }

  /** A jump of `height` (a whole number on per-sample paths) at `edgeFraction[0]`. */
  edge(height: number): void {
    const ring = this.ring;
    const position = this.position;
    const mask = this.mask;
    const STEP_TABLE = this.stepTable;
    // Output frame k (0 = the next one pushed) sits at x = k − DELAY + 1 − fraction from the jump.
    let index = (1 - this.edgeFraction[0]) * RESOLUTION;
    for (let k = 0; k < BLEP_DELAY; k++, index += RESOLUTION) {
      const whole = index | 0;
      const a = STEP_TABLE[whole];
      ring[(position + k) & mask] += height * (a + (index - whole) * (STEP_TABLE[whole + 1] - a));
    }
    // From here on the naive (delayed) signal already contains the jump: add only the residual B − 1.
    for (let k = BLEP_DELAY; k < TAPS; k++, index += RESOLUTION) {
      const whole = index | 0;
      const a = STEP_TABLE[whole];
      ring[(position + k) & mask] += height * (a + (index - whole) * (STEP_TABLE[whole + 1] - a) - 1);
    }
  }

  /**
   * A corner — the slope changes by `slopeChange[0]` per frame — at `edgeFraction[0]` (see edge()): adds
   * the band-limited ramp's residual, which the naive (delayed) signal lacks on both sides of the corner.
   * Arguments travel in typed arrays so that a call V8 does not inline boxes nothing.
   */
  corner(): void {
    const ring = this.ring;
    const position = this.position;
    const mask = this.mask;
    const change = this.slopeChange[0];
    const RAMP_TABLE = this.rampTable;
    let index = (1 - this.edgeFraction[0]) * RESOLUTION;
    for (let k = 0; k < TAPS; k++, index += RESOLUTION) {
      const whole = index | 0;
      const a = RAMP_TABLE[whole];
      ring[(position + k) & mask] += change * (a + (index - whole) * (RAMP_TABLE[whole + 1] - a));
    }
  }

  reset(): void {
    this.ring.fill(0);
    this.position = 0;
  }
}

/**
 * Frequencies (Hz at 44.1 kHz) that take an oscillator's per-sample loop through every branch in 128
 * frames: both directions, steps of 0.16–0.5 cycles, above Nyquist, NaN. The oscillators run their loops
 * over them once when their module loads, on scratch state (primeOscillator), so that V8's type feedback
 * is complete before the loops are hot: a branch first taken after V8 optimized a loop deoptimized it, and
 * V8 (Node 20) then sometimes left it in baseline code, boxing every sample, for thousands of blocks or for
 * good (docs/decisions.md, "Hot JS node functions take every branch before V8 optimizes them").
 */
export function primingFrequencies(): Float32Array {
  const magnitudes = [12000, 30000, 7000, 21000, 16000];
  const f = new Float32Array(PRIMING_FRAMES);
  for (let i = 0; i < f.length; i++) f[i] = (i < f.length / 2 ? 1 : -1) * magnitudes[i % magnitudes.length];
  f[3] = Number.NaN;
  return f;
}

export const PRIMING_FRAMES = 128;
export const PRIMING_RATE = 44100;

/** Runs `render` once over primingFrequencies on a scratch oscillator state (oscillatorState's layout). */
export function primeOscillator(
  render: (
    state: Float64Array,
    blep: BlepBuffer,
    f: Float32Array,
    out: Float32Array,
    frames: number,
    inverseRate: number,
  ) => void,
): void {
  const state = new Float64Array(OSC_STATE_SIZE);
  const blep = new BlepBuffer(state.subarray(0, TAPS));
  render(
    state,
    blep,
    primingFrequencies(),
    new Float32Array(PRIMING_FRAMES),
    PRIMING_FRAMES,
    1 / PRIMING_RATE,
  );
}
