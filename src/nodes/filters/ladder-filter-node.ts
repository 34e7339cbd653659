import { defineNode, stream } from '../../engine/definition.js';
import { MAX_CUTOFF_FRACTION, MIN_CUTOFF, sanitizeStates } from './filter-limits.js';

const DEFAULT_CUTOFF = 1000;
/** Feedback at resonance 1. The loop oscillates above 4 (each pole turns 45° and halves the power at the
 * cutoff); 4.6 puts the onset at resonance 0.87, so 0.95 and above sustain an oscillation that builds up
 * within about 70 cycles per e-fold... of the cutoff (see docs/decisions.md). */
const MAX_FEEDBACK = 4.6;
/** Part of the passband loss 1/(1 + k) that the output makes up (a full make-up would turn self-oscillation
 * into a +15 dB blast). */
const MAKEUP = 0.5;
const MIN_DRIVE_DB = -24;
const MAX_DRIVE_DB = 36;
/** Level of the built-in noise floor (−160 dBFS), the "thermal noise" that lets a self-oscillating ladder
 * start from silence, like the circuit does. */
const NOISE_FLOOR = 1e-8;

// Indices into the state array.
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
const STATE_SIZE = 10;

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
      { default: 0, unit: '0…1', min: 0, max: 1 },
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
    const state = new Float64Array(STATE_SIZE);
    state[CUTOFF] = Number.NaN; // nothing computed yet
    let seed = hashName(ctx.name);

    /** Computes the coefficients for one set of (unclamped) inputs; NaN reads as the default. */
    const design = (hz: number, r: number, decibels: number) => {
      state[CUTOFF] = hz;
      state[RESONANCE] = r;
      state[DRIVE] = decibels;
      const f = Number.isNaN(hz) ? DEFAULT_CUTOFF : Math.min(maxCutoff, Math.max(MIN_CUTOFF, hz));
      const res = Number.isNaN(r) ? 0 : Math.min(1, Math.max(0, r));
      const db = Number.isNaN(decibels) ? 0 : Math.min(MAX_DRIVE_DB, Math.max(MIN_DRIVE_DB, decibels));
      const g = Math.tan(f * radiansPerHz);
      state[G] = g / (1 + g);
      state[K] = MAX_FEEDBACK * res;
      state[INPUT_GAIN] = 10 ** (db / 20);
    };

    return {
      process(frames) {
        const x = input.buf;
        const fc = cutoff.buf;
        const rs = resonance.buf;
        const ds = drive.buf;
        const moving = !(cutoff.constant && resonance.constant && drive.constant);
        if (!moving && (fc[0] !== state[CUTOFF] || rs[0] !== state[RESONANCE] || ds[0] !== state[DRIVE]))
          design(fc[0], rs[0], ds[0]);
        let s1 = state[S1];
        let s2 = state[S1 + 1];
        let s3 = state[S1 + 2];
        let s4 = state[S4];
        let noise = seed;
        for (let i = 0; i < frames; i++) {
          if (moving && (fc[i] !== state[CUTOFF] || rs[i] !== state[RESONANCE] || ds[i] !== state[DRIVE]))
            design(fc[i], rs[i], ds[i]);
          const gg = state[G];
          const k = state[K];
          // mulberry32 noise at −160 dB: the circuit's own hiss, so oscillation can start from silence.
          noise = (noise + 0x6d2b79f5) | 0;
          let t = Math.imul(noise ^ (noise >>> 15), 1 | noise);
          t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
          const hiss = (((t ^ (t >>> 14)) >>> 0) * 2.3283064365386963e-10 - 0.5) * NOISE_FLOOR;
          const u0 = x[i] * state[INPUT_GAIN] + hiss;
          // Each one-pole: y = G·in + (1 − G)·s. Four in a row: y4 = G⁴·u + sum, with the states' share:
          const h = 1 - gg;
          const g2 = gg * gg;
          const g4 = g2 * g2;
          const sum = (((s1 * gg + s2) * gg + s3) * gg + s4) * h;
          // Linear solution of v = u0 − k·y4, then the saturator's slope tanh(v̂)/v̂ there, then the loop
          // solved again with the saturator as that gain.
          const drivePart = u0 - k * sum;
          const predicted = drivePart / (1 + k * g4);
          const p2 = predicted * predicted;
          const slope = p2 < 9 ? (27 + p2) / (27 + 9 * p2) : 1 / Math.sqrt(p2); // rational tanh(v)/v
          const u = (slope * drivePart) / (1 + slope * k * g4);
          // The four one-poles (trapezoidal: v = G·(in − s); y = v + s; s' = y + v).
          let v = gg * (u - s1);
          const y1 = v + s1;
          s1 = y1 + v;
          v = gg * (y1 - s2);
          const y2 = v + s2;
          s2 = y2 + v;
          v = gg * (y2 - s3);
          const y3 = v + s3;
          s3 = y3 + v;
          v = gg * (y3 - s4);
          const y4 = v + s4;
          s4 = y4 + v;
          out[i] = y4 * (1 + MAKEUP * k);
        }
        seed = noise;
        state[S1] = s1;
        state[S1 + 1] = s2;
        state[S1 + 2] = s3;
        state[S4] = s4;
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
