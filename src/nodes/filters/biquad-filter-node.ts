import type { DataSlot } from '../../engine/definition.js';
import { data, defineNode, stream } from '../../engine/definition.js';
import { kernelsFor, nodeState } from '../../engine/wasm/kernels.js';
import { OP_BIQUAD } from '../../engine/wasm/ops.js';
import {
  DATA_GLIDE_SECONDS,
  DEFAULT_CUTOFF,
  DEFAULT_Q,
  MAX_CUTOFF_FRACTION,
  MIN_CUTOFF,
  NAN_CUTOFF,
  NAN_Q,
  NAN_READS_AS,
  NAN_ZERO,
  sanitizeStates,
} from './filter-limits.js';

/** The modes, in the order of their numeric ids below. */
export const BIQUAD_MODES = [
  'lowpass',
  'highpass',
  'bandpass',
  'notch',
  'peak',
  'lowshelf',
  'highshelf',
  'allpass',
] as const;
const LOWPASS = 0;
const HIGHPASS = 1;
const BANDPASS = 2;
const NOTCH = 3;
const PEAK = 4;
const LOWSHELF = 5;
const HIGHSHELF = 6;
const ALLPASS = 7;

const MIN_Q = 0.1;
const MAX_Q = 40;
const MAX_GAIN_DB = 48;

// Indices into the coefficient arrays: the SVF's g = tan(π·f/rate) (shifted for shelves), its damping
// k = 1/Q, and the mix of input (m0), band (m1) and low (m2) that makes each response.
const G = 0;
const K = 1;
const M0 = 2;
const M1 = 3;
const M2 = 4;
const COEFFICIENTS = 5;

// Indices into designInto's parameters.
const TAN_W = 0;
const CLAMPED_Q = 1;
const GAIN_DB = 2;
const DESIGN_SIZE = 3;

// Indices into the state array (the same layout as biquadOp's in scripts/wasm/ops-data.ts).
/** The trapezoidal integrators' states (Simper's ic1eq, ic2eq). */
const IC1 = 0;
const IC2 = 1;
/** Cutoff (Hz), q and gain (dB), as read, that the target coefficients were designed for. */
const CUTOFF = 2;
const Q = 3;
const GAIN = 4;
/** Coefficients (G … M2) for the current parameters and mode, and those a mode change glides from. */
const TARGET = 5;
const FROM = TARGET + COEFFICIENTS;
/** The mode, the mode `TARGET` was designed for (-1: none yet), frames of a mode glide left, its length. */
const CURRENT_MODE = FROM + COEFFICIENTS;
const DESIGNED_MODE = CURRENT_MODE + 1;
const GLIDE_LEFT = CURRENT_MODE + 2;
const GLIDE_FRAMES = CURRENT_MODE + 3;
/** The highest cutoff (Hz) and π / rate, for the kernel (process() has them as constants). */
const MAX_CUTOFF = CURRENT_MODE + 4;
const RADIANS_PER_HZ = CURRENT_MODE + 5;
const STATE_SIZE = CURRENT_MODE + 6;

/**
 * The eight responses of the RBJ audio-EQ cookbook, realised as a trapezoidal (zero-delay-feedback) state
 * variable filter (A. Simper, "Linear trapezoidal integrated SVF", 2013) with output mixing. The cookbook's
 * biquads are the bilinear transform, prewarped at the cutoff, of analog prototypes; the trapezoidal SVF
 * is exactly that transform of the analog SVF, so with constant parameters the magnitude equals the
 * cookbook's digital response (the tests measure it). Unlike a direct-form biquad, its state is two
 * integrators, so cutoff and q can move at audio rate without blowing up or zippering.
 * Constant parameters: coefficients once per block. Moving parameters: redesigned per sample when they
 * change. A mode change glides every coefficient over 5 ms.
 */
export const BiquadFilterNode = defineNode({
  type: 'BiquadFilterNode',
  category: 'filters',
  description:
    'Second-order filter with the audio-EQ cookbook responses (lowpass, highpass, bandpass, notch, peak, shelves, allpass); stable when cutoff and q move at audio rate.',
  inputs: {
    input: stream('Signal to filter.'),
    cutoff: stream(
      'Cutoff, centre or shelf-midpoint frequency; clamped to 10 Hz…0.45 × the sample rate (19.8 kHz at 44.1 kHz).',
      { default: DEFAULT_CUTOFF, unit: 'Hz', min: MIN_CUTOFF, max: 20000 },
    ),
    q: stream(
      'Resonance (Q); shelves use the Q form, 0.7071 being the cookbook slope 1. Clamped to 0.1…40.',
      { default: DEFAULT_Q, min: MIN_Q, max: MAX_Q },
    ),
    gain: stream('Boost or cut of peak, lowshelf and highshelf (other modes ignore it); clamped to ±48 dB.', {
      default: 0,
      unit: 'dB',
      min: -MAX_GAIN_DB,
      max: MAX_GAIN_DB,
    }),
    mode: data(
      `Response: ${BIQUAD_MODES.join(', ')}. A change glides over 5 ms; an unknown name is a warning.`,
      {
        default: 'lowpass',
      },
    ),
  },
  outputs: { out: stream('Filtered signal.') },
  create(ctx, io) {
    const { input, cutoff, q, gain, mode } = io.inputs;
    const out = io.outputs.out.buf;
    const rate = ctx.sampleRate;
    const maxCutoff = MAX_CUTOFF_FRACTION * rate;
    const radiansPerHz = Math.PI / rate;
    const glideFrames = Math.max(1, Math.round(DATA_GLIDE_SECONDS * rate));
    // With kernels the state lives in their memory, where the plan's op (OP_BIQUAD) runs on the same state
    // as process(), so switching paths never jumps. (Doubles live in typed arrays either way: a fraction
    // assigned to a closure variable is a fresh heap number.)
    const kernels = kernelsFor(out);
    const { at: stateAt, state } = nodeState(kernels, STATE_SIZE);
    state[CUTOFF] = Number.NaN; // nothing designed yet
    state[CURRENT_MODE] = LOWPASS;
    state[DESIGNED_MODE] = -1;
    state[GLIDE_FRAMES] = glideFrames;
    state[MAX_CUTOFF] = maxCutoff;
    state[RADIANS_PER_HZ] = radiansPerHz;
    /** Coefficients for the current parameters and mode. */
    const target = state.subarray(TARGET, TARGET + COEFFICIENTS);
    /** Coefficients when a mode change began, gliding towards `target`. */
    const from = state.subarray(FROM, FROM + COEFFICIENTS);
    /** Clamped parameters for designInto: tan(π·cutoff/rate), q, gain (dB). */
    const wanted = new Float64Array(DESIGN_SIZE);
    let seenSlot: DataSlot | null = null;
    let seenVersion = -1;

    /**
     * Designs `target` for frame `i` of the parameter inputs. It takes the frame index, not the values: a
     * call that V8 does not inline boxes each double argument (a heap number per sample when modulated).
     */
    const design = (i: number) => {
      const hz = cutoff.buf[i];
      const resonance = q.buf[i];
      const decibels = gain.buf[i];
      state[CUTOFF] = hz;
      state[Q] = resonance;
      state[GAIN] = decibels;
      state[DESIGNED_MODE] = state[CURRENT_MODE];
      // NaN reads as the default; everything else is clamped to the documented range.
      const f = Number.isNaN(hz) ? NAN_READS_AS[NAN_CUTOFF] : Math.min(maxCutoff, Math.max(MIN_CUTOFF, hz));
      wanted[TAN_W] = Math.tan(f * radiansPerHz);
      wanted[CLAMPED_Q] = Number.isNaN(resonance)
        ? NAN_READS_AS[NAN_Q]
        : Math.min(MAX_Q, Math.max(MIN_Q, resonance));
      wanted[GAIN_DB] = Number.isNaN(decibels)
        ? NAN_READS_AS[NAN_ZERO]
        : Math.min(MAX_GAIN_DB, Math.max(-MAX_GAIN_DB, decibels));
      designInto(target, state[CURRENT_MODE], wanted);
    };

    /** Reads `mode`; a change glides from the coefficients in use now. The op reads the result in `state`. */
    const readData = () => {
      const slot = mode.source;
      // Both compared before the branch, as the per-sample tests below (see the ladder filter's note).
      const sameSlot = slot === seenSlot;
      const sameVersion = slot.version === seenVersion;
      if (sameSlot && sameVersion) return;
      seenSlot = slot;
      seenVersion = slot.version;
      const requested = parseMode(slot.value);
      if (requested < 0) {
        ctx.warn(
          `\`mode\` must be one of ${BIQUAD_MODES.join(', ')}; got ${JSON.stringify(slot.value)} (keeping ${BIQUAD_MODES[state[CURRENT_MODE]]})`,
        );
      } else if (requested !== state[CURRENT_MODE]) {
        state[CURRENT_MODE] = requested;
        if (state[DESIGNED_MODE] >= 0) {
          // Glide from the coefficients in use now (mid-glide ones included) to the new mode's.
          const glideLeft = state[GLIDE_LEFT];
          if (glideLeft > 0) blend(from, target, glideLeft / glideFrames, from);
          else from.set(target);
          state[GLIDE_LEFT] = glideFrames;
        }
        state[DESIGNED_MODE] = -1; // redesign for the new mode
      }
    };

    return {
      readData,
      encode(writer) {
        if (!kernels) return false;
        return (
          writer.begin(OP_BIQUAD, out) &&
          writer.input(input) &&
          writer.input(cutoff) &&
          writer.input(q) &&
          writer.input(gain) &&
          writer.pointer(stateAt)
        );
      },
      dispose() {
        kernels?.releaseState(stateAt, STATE_SIZE * 8);
      },
      process(frames) {
        readData();
        const x = input.buf;
        const fc = cutoff.buf;
        const qs = q.buf;
        const gs = gain.buf;
        let ic1 = state[IC1];
        let ic2 = state[IC2];
        let glideLeft = state[GLIDE_LEFT];

        if (cutoff.constant && q.constant && gain.constant && glideLeft === 0) {
          // Fast path: one design per block at most, then two integrators and a mix per sample.
          const modeMoved = state[DESIGNED_MODE] !== state[CURRENT_MODE];
          const cutoffMoved = fc[0] !== state[CUTOFF];
          const qMoved = qs[0] !== state[Q];
          const gainMoved = gs[0] !== state[GAIN];
          if (modeMoved || cutoffMoved || qMoved || gainMoved) design(0);
          const g = target[G];
          const a1 = 1 / (1 + g * (g + target[K]));
          const a2 = g * a1;
          const a3 = g * a2;
          const m0 = target[M0];
          const m1 = target[M1];
          const m2 = target[M2];
          for (let i = 0; i < frames; i++) {
            const v0 = x[i];
            const v3 = v0 - ic2;
            const v1 = a1 * ic1 + a2 * v3;
            const v2 = ic2 + a2 * ic1 + a3 * v3;
            ic1 = 2 * v1 - ic1;
            ic2 = 2 * v2 - ic2;
            out[i] = m0 * v0 + m1 * v1 + m2 * v2;
          }
        } else {
          // Moving parameters (or a mode glide): redesign whenever a parameter changes, per sample.
          for (let i = 0; i < frames; i++) {
            const hz = fc[i];
            const resonance = qs[i];
            const decibels = gs[i];
            const modeMoved = state[DESIGNED_MODE] !== state[CURRENT_MODE];
            const cutoffMoved = hz !== state[CUTOFF];
            const qMoved = resonance !== state[Q];
            const gainMoved = decibels !== state[GAIN];
            if (modeMoved || cutoffMoved || qMoved || gainMoved) design(i);
            let g = target[G];
            let k = target[K];
            let m0 = target[M0];
            let m1 = target[M1];
            let m2 = target[M2];
            if (glideLeft > 0) {
              const w = glideLeft / glideFrames; // weight of the old coefficients, 1 → 0
              glideLeft--;
              g += (from[G] - g) * w;
              k += (from[K] - k) * w;
              m0 += (from[M0] - m0) * w;
              m1 += (from[M1] - m1) * w;
              m2 += (from[M2] - m2) * w;
            }
            const a1 = 1 / (1 + g * (g + k));
            const a2 = g * a1;
            const a3 = g * a2;
            const v0 = x[i];
            const v3 = v0 - ic2;
            const v1 = a1 * ic1 + a2 * v3;
            const v2 = ic2 + a2 * ic1 + a3 * v3;
            ic1 = 2 * v1 - ic1;
            ic2 = 2 * v2 - ic2;
            out[i] = m0 * v0 + m1 * v1 + m2 * v2;
          }
        }
        state[GLIDE_LEFT] = glideLeft;
        state[IC1] = ic1;
        state[IC2] = ic2;
        sanitizeStates(state, IC1, IC2 + 1);
      },
    };
  },
});

/** Mode id of a data value, or −1 when it names no mode. */
function parseMode(value: unknown): number {
  if (typeof value !== 'string') return -1;
  return (BIQUAD_MODES as readonly string[]).indexOf(value.trim().toLowerCase());
}

/** out = b + (a − b)·w, coefficient by coefficient. */
function blend(a: Float64Array, b: Float64Array, w: number, out: Float64Array): void {
  for (let i = 0; i < COEFFICIENTS; i++) out[i] = b[i] + (a[i] - b[i]) * w;
}

/**
 * Writes the SVF coefficients of one cookbook response into `c`. With s normalised to the cutoff, the SVF
 * gives HP = s²/D, BP = s/D, LP = 1/D for D = s² + k·s + 1; the output m0·x + m1·BP + m2·LP then equals
 * (m0·D + m1·s + m2)/D, which matches each cookbook prototype term by term. Shelves move the SVF's own
 * frequency by √A (their poles sit at the cutoff / √A or × √A).
 * `p` holds tan(π·cutoff/rate), q and the gain (dB), already clamped (an array, not arguments: see design).
 */
function designInto(c: Float64Array, mode: number, p: Float64Array): void {
  const tanW = p[TAN_W];
  const q = p[CLAMPED_Q];
  const gainDb = p[GAIN_DB];
  let g = tanW;
  let k = 1 / q;
  let m0 = 0;
  let m1 = 0;
  let m2 = 0;
  switch (mode) {
    case LOWPASS:
      m2 = 1;
      break;
    case HIGHPASS:
      m0 = 1;
      m1 = -k;
      m2 = -1;
      break;
    case BANDPASS: // constant 0 dB peak gain
      m1 = k;
      break;
    case NOTCH:
      m0 = 1;
      m1 = -k;
      break;
    case ALLPASS:
      m0 = 1;
      m1 = -2 * k;
      break;
    case PEAK: {
      // (s² + s·A/Q + 1) / (s² + s/(A·Q) + 1)
      const a = 10 ** (gainDb / 40);
      k = 1 / (q * a);
      m0 = 1;
      m1 = k * (a * a - 1);
      break;
    }
    case LOWSHELF: {
      // A·(s² + s·√A/Q + A) / (A·s² + s·√A/Q + 1): in u = √A·s, (u² + u·A/Q + A²) / (u² + u/Q + 1)
      const a = 10 ** (gainDb / 40);
      g = tanW / Math.sqrt(a);
      m0 = 1;
      m1 = k * (a - 1);
      m2 = a * a - 1;
      break;
    }
    case HIGHSHELF: {
      // A·(A·s² + s·√A/Q + 1) / (s² + s·√A/Q + A): in u = s/√A, (A²·u² + u·A/Q + 1) / (u² + u/Q + 1)
      const a = 10 ** (gainDb / 40);
      g = tanW * Math.sqrt(a);
      m0 = a * a;
      m1 = k * (1 - a) * a;
      m2 = 1 - a * a;
      break;
    }
  }
  c[G] = g;
  c[K] = k;
  c[M0] = m0;
  c[M1] = m1;
  c[M2] = m2;
}
