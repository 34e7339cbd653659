import { defineNode, stream } from '../../engine/definition.js';
import { kernelsFor } from '../../engine/wasm/kernels.js';
import { OP_LADDER } from '../../engine/wasm/ops.js';
import {
  DEFAULT_CUTOFF,
  MAX_CUTOFF_FRACTION,
  MIN_CUTOFF,
  NAN_CUTOFF,
  NAN_READS_AS,
  NAN_ZERO,
  sanitizeStates,
} from './filter-limits.js';

/** Feedback k at resonance 1. The loop oscillates for k > 4 (at the cutoff each pole turns 45° and passes
 * 1/√2); 4.6 puts the onset at resonance 0.87, so at 0.95 (k 4.37) an oscillation grows by e every ~7
 * cycles of the cutoff, at 1 every ~4.5, until the saturator holds it. */
const MAX_FEEDBACK = 4.6;
/** Part of the passband loss 1/(1 + k) that the output makes up: DC gain (1 + k/2)/(1 + k), −4.6 dB at
 * resonance 1 instead of −15 dB. A full make-up would push the self-oscillation past full scale. */
const MAKEUP = 0.5;
const MIN_DRIVE_DB = -24;
const MAX_DRIVE_DB = 36;
/** Level of the built-in noise floor (−160 dBFS), the "thermal noise" that lets a self-oscillating ladder
 * start from silence, like the circuit does. */
const NOISE_FLOOR = 1e-8;

// Indices into the state array (the same layout as ladderOp's in scripts/wasm/ops-filter.ts).
/** The four one-pole integrators' states. */
const S1 = 0;
const S4 = 3;
/** Cutoff (Hz), resonance and drive (dB), as read, that the coefficients below were computed for. */
const CUTOFF = 4;
const RESONANCE = 5;
const DRIVE = 6;
/** G = g/(1 + g) of each one-pole, with g = tan(π·f/rate). */
const G = 7;
/** Feedback k and input gain. */
const K = 8;
const INPUT_GAIN = 9;
/** k·G⁴ (the loop's instantaneous gain), 1/(1 + k·G⁴), and the output make-up 1 + MAKEUP·k. */
const KG4 = 10;
const INVERSE = 11;
const OUTPUT_GAIN = 12;
/** The highest cutoff (Hz) and π / rate, for the kernel (process() has them as constants). */
const MAX_CUTOFF = 13;
const RADIANS_PER_HZ = 14;
/** G², G³, G⁴ and 8·(1 − G)·G⁴, the gain from the loop's input u to the next sample's `sum` (see process). */
const G2 = 15;
const G3 = 16;
const G4 = 17;
const SUM_GAIN = 18;
/** The saturator's denominator as 27·(1 + k·G⁴) + (9 + k·G⁴)·v̂²: its two coefficients. */
const SATURATOR_BASE = 19;
const SATURATOR_SLOPE = 20;
/** The states' contribution to the fourth pole's output, carried from sample to sample within a block. */
const SUM = 21;
/** 1 − 2G, 2G·(1 − G) and 2G²·(1 − G): the states' weights in d1, d2, d3 (see process). */
const D_OWN = 22;
const D_NEXT = 23;
const D_NEXT2 = 24;
/** k/(1 + k·G⁴): the prediction v̂ is u0/(1 + k·G⁴) − that·sum, one step after sum. */
const K_INVERSE = 25;
const STATE_SIZE = 26;
/** Bytes of the state: the doubles, then the hiss generator's int32 seed (8 bytes, for alignment). */
const STATE_BYTES = STATE_SIZE * 8 + 8;

/**
 * Four-pole (24 dB/octave) ladder lowpass with a saturating feedback loop, in zero-delay-feedback form
 * (Zavalishin, "The Art of VA Filter Design", ch. 5): four trapezoidal one-poles in a loop with
 * feedback k, solved each sample without a unit delay, so the resonance sits at the cutoff at every cutoff
 * (a naive ladder's resonance drifts flat near Nyquist). The saturator tanh sits where the input and the
 * feedback meet; it is solved by the "linearise at the prediction" method: tanh(v) is replaced by
 * v·tanh(v̂)/v̂ with v̂ the linear solution, which keeps the loop zero-delay and costs one rational tanh.
 * At resonance ≥ 0.87 the loop oscillates at the cutoff; the saturator holds the amplitude.
 */
export const LadderFilterNode = defineNode({
  type: 'LadderFilterNode',
  category: 'filters',
  description:
    '24 dB/octave ladder lowpass with a saturating feedback loop; self-oscillates into a sine at the cutoff from resonance 0.95.',
  inputs: {
    input: stream('Signal to filter.'),
    cutoff: stream('Cutoff frequency; clamped to 10 Hz…0.45 × the sample rate (19.8 kHz at 44.1 kHz).', {
      default: DEFAULT_CUTOFF,
      unit: 'Hz',
      min: MIN_CUTOFF,
      max: 20000,
    }),
    resonance: stream(
      'Feedback: 0 none; ≥ 0.95 sustains a sine at the cutoff even without input. Clamped to 0…1.',
      { default: 0, unit: 'fraction', min: 0, max: 1 },
    ),
    drive: stream('Gain into the saturator: a ±1 signal starts to saturate at 0 dB. Clamped to −24…36 dB.', {
      default: 0,
      unit: 'dB',
      min: MIN_DRIVE_DB,
      max: MAX_DRIVE_DB,
    }),
  },
  outputs: { out: stream('Filtered signal.') },
  create(ctx, io) {
    const { input, cutoff, resonance, drive } = io.inputs;
    const out = io.outputs.out.buf;
    const rate = ctx.sampleRate;
    const maxCutoff = MAX_CUTOFF_FRACTION * rate;
    const radiansPerHz = Math.PI / rate;
    // With kernels the state lives in their memory, where the plan's op (OP_LADDER) runs on the same state
    // as process(), so switching paths never jumps.
    const kernels = kernelsFor(out);
    const stateAt = kernels ? kernels.allocState(STATE_BYTES) : -1;
    const heap = kernels && stateAt >= 0 ? kernels.heap : new ArrayBuffer(STATE_BYTES);
    const at = Math.max(stateAt, 0);
    const state = new Float64Array(heap, at, STATE_SIZE);
    state[CUTOFF] = Number.NaN; // nothing computed yet
    state[MAX_CUTOFF] = maxCutoff;
    state[RADIANS_PER_HZ] = radiansPerHz;
    // The hiss generator's 32-bit state, in a typed array: an int32 held in a closure variable does not always
    // fit a small integer, and V8 then boxes it (measured: a heap number every few samples).
    const seed = new Int32Array(heap, at + STATE_SIZE * 8, 1);
    seed[0] = hashName(ctx.name) & 0xffff;

    /** Computes the coefficients for frame `i` of the inputs; NaN reads as the default. (A frame index, not
     * the values: a call V8 does not inline boxes each double argument, a heap number per sample.) */
    const design = (i: number) => {
      const hz = cutoff.buf[i];
      const r = resonance.buf[i];
      const decibels = drive.buf[i];
      state[CUTOFF] = hz;
      state[RESONANCE] = r;
      state[DRIVE] = decibels;
      const f = Number.isNaN(hz) ? NAN_READS_AS[NAN_CUTOFF] : Math.min(maxCutoff, Math.max(MIN_CUTOFF, hz));
      const res = Number.isNaN(r) ? NAN_READS_AS[NAN_ZERO] : Math.min(1, Math.max(0, r));
      const db = Number.isNaN(decibels)
        ? NAN_READS_AS[NAN_ZERO]
        : Math.min(MAX_DRIVE_DB, Math.max(MIN_DRIVE_DB, decibels));
      const g = Math.tan(f * radiansPerHz);
      const gg = g / (1 + g);
      const k = MAX_FEEDBACK * res;
      state[G] = gg;
      state[K] = k;
      state[INPUT_GAIN] = 10 ** (db / 20);
      state[KG4] = k * gg * gg * gg * gg;
      state[INVERSE] = 1 / (1 + state[KG4]);
      state[OUTPUT_GAIN] = 1 + MAKEUP * k;
      state[G2] = gg * gg;
      state[G3] = state[G2] * gg;
      state[G4] = state[G3] * gg;
      state[SUM_GAIN] = 8 * (1 - gg) * state[G4];
      state[SATURATOR_BASE] = 27 + 27 * state[KG4];
      state[SATURATOR_SLOPE] = 9 + state[KG4];
      state[D_OWN] = 1 - 2 * gg;
      state[D_NEXT] = 2 * gg * (1 - gg);
      state[D_NEXT2] = state[D_NEXT] * gg;
      state[K_INVERSE] = k * state[INVERSE];
      stateSum(); // `sum` belongs to the coefficients: a new G weighs the states anew
    };
    /** `sum` from the states, for the current G (at the start of a block, and when G changes). */
    const stateSum = () => {
      const gg = state[G];
      state[SUM] = (((state[S1] * gg + state[S1 + 1]) * gg + state[S1 + 2]) * gg + state[S4]) * (1 - gg);
    };

    return {
      encode(writer) {
        return (
          writer.begin(OP_LADDER, out) &&
          writer.input(input) &&
          writer.input(cutoff) &&
          writer.input(resonance) &&
          writer.input(drive) &&
          writer.pointer(stateAt)
        );
      },
      dispose() {
        kernels?.releaseState(stateAt, STATE_BYTES);
      },
      process: function ladderProcess(frames: number) {
        const x = input.buf;
        const fc = cutoff.buf;
        const rs = resonance.buf;
        const ds = drive.buf;
        const moving = !(cutoff.constant && resonance.constant && drive.constant);
        stateSum();
        // Every comparison is made before its branch: one behind `||` is first reached only when the first
        // one is false, which can be blocks after V8 optimized this function, and it then deoptimized it (a
        // function with a per-sample loop that V8 was slow to optimize again; docs/decisions.md, "Hot JS
        // node functions take every branch before V8 optimizes them").
        const cutoffMoved = fc[0] !== state[CUTOFF];
        const resonanceMoved = rs[0] !== state[RESONANCE];
        const driveMoved = ds[0] !== state[DRIVE];
        if (!moving && (cutoffMoved || resonanceMoved || driveMoved)) design(0);
        // Nothing fractional is carried from one iteration to the next in a local: if V8 compiles this loop
        // on-stack (OSR), such loop variables can end up boxed, a heap number per sample each (measured:
        // ~67 B a sample in some runs). States and coefficients are read from the typed arrays each sample.
        for (let i = 0; i < frames; i++) {
          const cutoffNow = fc[i] !== state[CUTOFF];
          const resonanceNow = rs[i] !== state[RESONANCE];
          const driveNow = ds[i] !== state[DRIVE];
          if (moving && (cutoffNow || resonanceNow || driveNow)) design(i);
          const gg = state[G];
          const k = state[K];
          const kg4 = state[KG4];
          // mulberry32 noise at −160 dB: the circuit's own hiss, so oscillation can start from silence.
          // A 16-bit linear congruential generator: its state always fits a small integer (a 32-bit one
          // did not, and V8 boxed it when it compiled the loop on-stack).
          const noise = (seed[0] * 25173 + 13849) & 0xffff;
          seed[0] = noise;
          const hiss = (noise - 32767.5) * (NOISE_FLOOR / 65536);
          const u0 = x[i] * state[INPUT_GAIN] + hiss;
          const s1 = state[S1];
          const s2 = state[S1 + 1];
          const s3 = state[S1 + 2];
          const s4 = state[S4];
          // Each one-pole: y = G·in + (1 − G)·s. Four in a row: y4 = G⁴·u + sum, sum the states' share
          // (carried from the previous sample, see below).
          const sum = state[SUM];
          // Linear solution v̂ of v = u0 − k·y4; the saturator's slope tanh(v̂)/v̂ there (a rational
          // approximation, (27 + v̂²)/(27 + 9·v̂²)); then the loop solved again with the saturator as that
          // gain: u = slope·drive/(1 + slope·k·G⁴), one division.
          // (Both u and A·u, see below, are divided out directly: the next sum then waits for one division.)
          const drivePart = u0 - k * sum;
          const predicted = u0 * state[INVERSE] - state[K_INVERSE] * sum;
          const p2 = predicted * predicted;
          let u: number;
          let fromU: number;
          if (p2 < 9) {
            const numerator = (27 + p2) * drivePart;
            const denominator = state[SATURATOR_BASE] + state[SATURATOR_SLOPE] * p2;
            u = numerator / denominator;
            fromU = (state[SUM_GAIN] * numerator) / denominator;
          } else {
            const denominator = Math.sqrt(p2) + kg4; // tanh(v)/v ≈ 1/|v| beyond |v| = 3
            u = drivePart / denominator;
            fromU = (state[SUM_GAIN] * drivePart) / denominator;
          }
          // The four trapezoidal one-poles (v = G·(in − s); y = v + s; s' = y + v = 2y − s), written so that
          // little waits for u: each new state is 2G^i·u + d_i, d_i from the old states alone (d_i = 2·c_i − s_i
          // where y_i = G^i·u + c_i; c4 = sum), and the next sample's sum is 8·(1 − G)·G⁴·u +
          // (1 − G)·(G³·d1 + G²·d2 + G·d3 + d4). From one sample to the next only u → sum → u is serial (the
          // ladder's loop, written pole after pole, was ~100 cycles of latency a sample).
          const own = state[D_OWN];
          const d1 = own * s1;
          const d2 = state[D_NEXT] * s1 + own * s2;
          const d3 = state[D_NEXT2] * s1 + state[D_NEXT] * s2 + own * s3;
          const d4 = 2 * sum - s4;
          const y4 = state[G4] * u + sum;
          state[S1] = 2 * gg * u + d1;
          state[S1 + 1] = 2 * state[G2] * u + d2;
          state[S1 + 2] = 2 * state[G3] * u + d3;
          state[S4] = 2 * state[G4] * u + d4;
          state[SUM] = fromU + (1 - gg) * (state[G3] * d1 + state[G2] * d2 + (gg * d3 + d4));
          out[i] = y4 * state[OUTPUT_GAIN];
        }
        sanitizeStates(state, S1, S4 + 1);
      },
    };
  },
});

/** FNV-1a hash of the name: a stable 32-bit seed, so a patch renders the same samples every time. */
function hashName(name: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 0x01000193);
  return hash | 0;
}
