import {
  Oversampler,
  type OversamplerStageSpec,
  oversamplerLatency,
  oversamplerStorage,
} from '../../dsp/oversampler.js';
import { type DataSlot, data, defineNode, stream } from '../../engine/definition.js';
import { kernelsFor, nodeState } from '../../engine/wasm/kernels.js';
import { OP_DISTORTION } from '../../engine/wasm/ops.js';

/**
 * Oversampling ×8 in three half-band stages. The first carries the audio band: at 44.1 kHz flat (±0.01 dB)
 * to 19.5 kHz, −0.07 dB at 20 kHz, 100 dB down from 25 kHz (0.567 of the rate), so what lies above 25 kHz
 * cannot fold back below 19 kHz. The later stages only remove images far from the band, so they are short.
 */
const STAGES: OversamplerStageSpec[] = [
  { m: 49, db: 100 },
  { m: 11, db: 100 },
  { m: 7, db: 100 },
];
const FACTOR = 2 ** STAGES.length;
/**
 * Wet-path latency in frames: the filters' round trip, plus the half (oversampled) sample that first-order
 * ADAA delays by, plus a few oversampled samples of padding that bring the total to within 1/16 frame of
 * a whole number — which the dry path is delayed by, so the two line up and `mix` never combs.
 */
const EXACT_LATENCY = oversamplerLatency(STAGES) + 0.5 / FACTOR;
const PADDING = Math.round((Math.ceil(EXACT_LATENCY) - EXACT_LATENCY) * FACTOR);
const LATENCY = Math.round(EXACT_LATENCY + PADDING / FACTOR);

const TANH = 0;
const HARDCLIP = 1;
const FOLD = 2;
const SHAPES = ['tanh', 'hardclip', 'fold'];
const DRIVE_MIN = -24;
const DRIVE_MAX = 48;
/** Driven signals are clipped to ±DRIVEN_LIMIT before shaping (every shape is long saturated there). */
const DRIVEN_LIMIT = 1e4;
/** Inputs are clipped to ±INPUT_LIMIT (+120 dBFS) and NaN reads as 0. */
const INPUT_LIMIT = 1e6;
/** Time constant of the drive and mix smoothers (s): a jump settles within 5 ms. */
const SMOOTHING = 0.001;
/** A change of `shape` crossfades from the old curve to the new one over this long (s). */
const SHAPE_FADE = 0.005;
/** Below this step between oversampled inputs, ADAA's difference quotient is ill-conditioned: use f(mid). */
const ADAA_EPSILON = 1e-6;

// Indices into a DistortionNode's state (the same layout as distortionOp's in scripts/wasm/ops-dyn.ts, which
// also assumes STAGES' half-lengths 49, 11, 7).
/** Drive gain (linear, smoothed), drive in dB last read, its gain; mix (smoothed). */
const GAIN = 0;
const DRIVE_SEEN = 1;
const DRIVE_GAIN = 2;
const MIX = 3;
/** The previous oversampled input x₀, F(x₀) of the current shape, F(x₀) of the shape faded from. */
const X0 = 4;
const F0 = 5;
const G0 = 6;
/** 1 once started. */
const STARTED = 7;
/** The shape (0 tanh, 1 hardclip, 2 fold), the shape faded from, oversampled samples of the fade left. */
const CURRENT = 8;
const PREVIOUS = 9;
const FADE_LEFT = 10;
/** Write positions in the dry line and the padding ring. */
const DRY_WRITE = 11;
const PAD_WRITE = 12;
/** Constants for the kernel: smoother coefficient, fade length, block size, latency, padding, dry ring. */
const SMOOTHING_COEFFICIENT = 13;
const FADE_FRAMES = 14;
const MAX_FRAMES = 15;
const LATENCY_FRAMES = 16;
const PADDING_SAMPLES = 17;
const DRY_CAPACITY = 18;
/** The slots; after them the padding ring (8), the dry line, `driven`, `wet`, then the oversampler's arrays. */
const SLOTS = 20;
const PAD_LENGTH = 8;

/**
 * Waveshaping distortion, anti-aliased twice over: the shaper runs at 8× the engine rate, and with
 * first-order antiderivative anti-aliasing (ADAA; Parker, Zavalishin & Le Bivic, DAFx 2016) — each output
 * is the mean of the curve over the straight segment between two inputs, (F(x₁) − F(x₀)) / (x₁ − x₀),
 * F the curve's antiderivative — which keeps what the oversampling would fold back 20–60 dB lower still.
 * Measured with a 5 kHz sine at amplitude 0.5 and +24 dB drive: the worst non-harmonic line below 20 kHz
 * is about −93 dB (tanh), −82 dB (hardclip), −60 dB (fold) re the fundamental. The dry signal is delayed
 * by the same `Latency` frames, so `mix` crossfades without comb filtering. Design notes:
 * docs/decisions.md, "DistortionNode".
 */
export const DistortionNode = defineNode({
  type: 'DistortionNode',
  category: 'dynamics',
  description: `Anti-aliased waveshaper (tanh, hardclip, fold; 8× oversampling + ADAA), \`mix\` dry/wet; exports \`Latency\` (${LATENCY} frames).`,
  inputs: {
    input: stream('Signal to distort.', { default: 0 }),
    drive: stream(`Gain before the shaper (clamped to ${DRIVE_MIN}…${DRIVE_MAX}).`, {
      default: 0,
      unit: 'dB',
      min: DRIVE_MIN,
      max: DRIVE_MAX,
    }),
    shape: data(
      'Curve: "tanh" (smooth saturation), "hardclip" (clipped at ±1), "fold" (folds back from ±1); unknown → tanh with a warning.',
      { default: 'tanh' },
    ),
    mix: stream('Dry/wet crossfade: 0 dry only (delayed to match), 1 wet only (clamped to 0…1).', {
      default: 1,
      unit: '0…1',
      min: 0,
      max: 1,
    }),
  },
  outputs: { out: stream(`The distorted signal, ${LATENCY} frames late (as is the dry part of the mix).`) },
  initialExports: () => ({ Latency: LATENCY }),
  create(ctx, io) {
    const { input, drive, shape, mix } = io.inputs;
    const out = io.outputs.out.buf;
    const rate = ctx.sampleRate;
    const blockSize = ctx.blockSize;
    let dryCapacity = 1;
    while (dryCapacity < LATENCY + 1) dryCapacity *= 2;
    const dryMask = dryCapacity - 1;
    // Everything in one state block, in the kernels' memory when there is room: the plan's op
    // (OP_DISTORTION) runs on the same state, rings and filter histories as process().
    const kernels = kernelsFor(out);
    const padAt = SLOTS;
    const dryAt = padAt + PAD_LENGTH;
    const drivenAt = dryAt + dryCapacity;
    const wetAt = drivenAt + blockSize;
    const oversamplerAt = wetAt + blockSize;
    const stateSize = oversamplerAt + oversamplerStorage(STAGES, blockSize);
    const { at: stateAt, state } = nodeState(kernels, stateSize);
    const pad = state.subarray(padAt, dryAt); // oversampled padding delay (PADDING < 8)
    const dryLine = state.subarray(dryAt, drivenAt);
    const driven = state.subarray(drivenAt, wetAt);
    const wet = state.subarray(wetAt, oversamplerAt);
    const oversampler = new Oversampler(STAGES, blockSize, state.subarray(oversamplerAt));
    const smoothing = 1 - Math.exp(-1 / (SMOOTHING * rate));
    const fadeFrames = Math.max(1, Math.round(SHAPE_FADE * rate * FACTOR));
    state[SMOOTHING_COEFFICIENT] = smoothing;
    state[FADE_FRAMES] = fadeFrames;
    state[MAX_FRAMES] = blockSize;
    state[LATENCY_FRAMES] = LATENCY;
    state[PADDING_SAMPLES] = PADDING;
    state[DRY_CAPACITY] = dryCapacity;
    let seenSlot: DataSlot | null = null;
    let seenVersion = -1;

    /** Control side of the render thread: `shape` changed (at most once per block). */
    const readShape = (): void => {
      const value = shape.value;
      let wanted = typeof value === 'string' ? SHAPES.indexOf(value.trim().toLowerCase()) : -1;
      if (wanted < 0) {
        ctx.warn(
          `unknown shape ${JSON.stringify(value)}: expected "tanh", "hardclip" or "fold"; using "tanh"`,
        );
        wanted = TANH;
      }
      if (wanted === state[CURRENT]) return;
      if (state[STARTED] === 1) {
        state[PREVIOUS] = state[CURRENT];
        state[G0] = state[F0];
        state[FADE_LEFT] = fadeFrames;
      }
      state[CURRENT] = wanted;
      state[F0] = antiderivative(wanted, state[X0]);
    };

    /** Reads `shape` when its slot or its version moved (process, or the op list before the op). */
    const readData = (): void => {
      if (shape.source !== seenSlot || shape.source.version !== seenVersion) {
        seenSlot = shape.source;
        seenVersion = shape.source.version;
        readShape();
      }
    };

    return {
      encode(writer) {
        if (!kernels || stateAt < 0) return false;
        return (
          writer.begin(OP_DISTORTION, out) &&
          writer.input(input) &&
          writer.input(drive) &&
          writer.input(mix) &&
          writer.pointer(stateAt)
        );
      },
      readData,
      dispose() {
        kernels?.releaseState(stateAt, stateSize * 8);
      },
      process(frames) {
        readData();
        const x = input.buf;
        const drives = drive.buf;
        const mixes = mix.buf;
        if (state[STARTED] === 0) {
          const d = drives[0];
          state[DRIVE_SEEN] = d;
          state[DRIVE_GAIN] = dbToGain(d);
          state[GAIN] = state[DRIVE_GAIN];
          const m = mixes[0];
          state[MIX] = Number.isNaN(m) ? 0 : Math.min(1, Math.max(0, m));
          state[STARTED] = 1;
        }

        // Drive (smoothed as a linear gain) at the engine rate; then up to 8×.
        let gain = state[GAIN];
        for (let i = 0; i < frames; i++) {
          const d = drives[i];
          if (d !== state[DRIVE_SEEN]) {
            state[DRIVE_SEEN] = d;
            state[DRIVE_GAIN] = dbToGain(d);
          }
          gain += smoothing * (state[DRIVE_GAIN] - gain);
          const v = x[i];
          const clean = Number.isNaN(v) ? 0.0 : Math.min(INPUT_LIMIT, Math.max(-INPUT_LIMIT, v));
          driven[i] = Math.min(DRIVEN_LIMIT, Math.max(-DRIVEN_LIMIT, clean * gain));
        }
        state[GAIN] = gain;
        oversampler.up(driven, frames);

        // The shaper with first-order ADAA, on the oversampled signal (delayed by PADDING samples first).
        const buffer = oversampler.buffer;
        const count = frames * FACTOR;
        const current = state[CURRENT] | 0;
        const previous = state[PREVIOUS] | 0;
        let fadeLeft = state[FADE_LEFT] | 0;
        let padWrite = state[PAD_WRITE] | 0;
        let x0 = state[X0];
        let f0 = state[F0];
        for (let n = 0; n < count; n++) {
          pad[padWrite] = buffer[n];
          const x1 = pad[(padWrite - PADDING) & 7];
          padWrite = (padWrite + 1) & 7;
          const f1 = antiderivative(current, x1);
          const step = x1 - x0;
          let y =
            step > ADAA_EPSILON || step < -ADAA_EPSILON ? (f1 - f0) / step : curve(current, 0.5 * (x0 + x1));
          if (fadeLeft > 0) {
            // Crossfade from the previous shape (its own ADAA state kept alongside).
            const g0 = state[G0];
            const g1 = antiderivative(previous, x1);
            const old =
              step > ADAA_EPSILON || step < -ADAA_EPSILON
                ? (g1 - g0) / step
                : curve(previous, 0.5 * (x0 + x1));
            state[G0] = g1;
            const t = fadeLeft / fadeFrames;
            y = old * t + y * (1 - t);
            fadeLeft--;
          }
          // Every curve stays within ±1, and so does its mean: the clamp only catches rounding.
          buffer[n] = Math.min(1, Math.max(-1, y));
          x0 = x1;
          f0 = f1;
        }
        state[X0] = x0;
        state[F0] = f0;
        state[FADE_LEFT] = fadeLeft;
        state[PAD_WRITE] = padWrite;
        oversampler.down(wet, frames);

        // Mix with the dry signal delayed by the same latency.
        let dryWrite = state[DRY_WRITE] | 0;
        let m = state[MIX];
        for (let i = 0; i < frames; i++) {
          const v = x[i];
          dryLine[dryWrite] = Number.isNaN(v) ? 0.0 : Math.min(INPUT_LIMIT, Math.max(-INPUT_LIMIT, v));
          const dry = dryLine[(dryWrite - LATENCY) & dryMask];
          dryWrite = (dryWrite + 1) & dryMask;
          const raw = mixes[i];
          const target = Number.isNaN(raw) ? 0.0 : Math.min(1, Math.max(0, raw));
          m += smoothing * (target - m);
          out[i] = dry + m * (wet[i] - dry);
        }
        state[MIX] = m;
        state[DRY_WRITE] = dryWrite;
      },
    };
  },
});

/** Drive (dB, clamped; NaN → 0 dB) as a linear gain. */
function dbToGain(db: number): number {
  const clamped = Number.isNaN(db) ? 0 : Math.min(DRIVE_MAX, Math.max(DRIVE_MIN, db));
  return 10 ** (clamped / 20);
}

/** The shaping curve f. */
function curve(shape: number, x: number): number {
  if (shape === HARDCLIP) return Math.min(1, Math.max(-1, x));
  if (shape === FOLD) {
    // A triangle of period 4 through the origin: x within ±1 passes, beyond it folds back.
    let u = (x + 1) % 4;
    if (u < 0) u += 4;
    return 1 - Math.abs(u - 2);
  }
  return Math.tanh(x);
}

/** An antiderivative F of the curve (F' = f), continuous, computed without overflow for any |x| ≤ 1e4. */
function antiderivative(shape: number, x: number): number {
  if (shape === HARDCLIP) {
    const a = Math.abs(x);
    return a <= 1 ? 0.5 * x * x : a - 0.5;
  }
  if (shape === FOLD) {
    // Periodic (each period integrates to 0), so it stays small for large x.
    let u = (x + 1) % 4;
    if (u < 0) u += 4;
    return u <= 2 ? 0.5 * u * u - u : 3 * u - 0.5 * u * u - 4;
  }
  // ln cosh x, written so that cosh never overflows.
  const a = Math.abs(x);
  return a + Math.log1p(Math.exp(-2 * a)) - Math.LN2;
}
