import { defineNode, stream } from '../../engine/definition.js';
import { kernelsFor, nodeState } from '../../engine/wasm/kernels.js';
import { OP_COMPRESSOR } from '../../engine/wasm/ops.js';

/** The level detector holds each peak this long (s): a steady sine of 50 Hz or more reads its amplitude. */
const HOLD_SECONDS = 0.01;
/** Gain Reduction is published at most this often (s), and only when it changed. */
const PUBLISH_SECONDS = 0.2;
/** Time constant of the makeup smoother (s): a jump settles within 5 ms. */
const MAKEUP_SMOOTHING = 0.001;
/** Inputs are clipped to ±INPUT_LIMIT (+120 dBFS) and NaN reads as 0. */
const INPUT_LIMIT = 1e6;
const DB_PER_NEPER = 20 / Math.LN10;
const THRESHOLD_MIN = -80;
const THRESHOLD_MAX = 0;
const RATIO_MIN = 1;
const RATIO_MAX = 100;
const KNEE_MAX = 24;
const ATTACK_MAX = 1;
const RELEASE_MAX = 5;
const MAKEUP_MIN = -24;
const MAKEUP_MAX = 40;

// Indices into a CompressorNode's state (the same layout as compressorOp's in scripts/wasm/ops-dyn.ts).
/** The gain reduction (dB) and the smoothed makeup (dB). */
const REDUCTION = 0;
const MAKEUP_DB = 1;
/** The last attack time seen (s) and its coefficient; the same for release. */
const ATTACK_SEEN = 2;
const ATTACK_COEFFICIENT = 3;
const RELEASE_SEEN = 4;
const RELEASE_COEFFICIENT = 5;
/** The deepest reduction since the last publish (the op leaves it here for `publishExports`). */
const DEEPEST = 6;
/**
 * The deepest reduction in tenths of a dB, rounded: an int32 in this slot's first 4 bytes, written after
 * every block by the op and by compressBlock, so that `publishExports` compares integers. It runs once a
 * block, too rarely for V8 to optimize it soon, and unoptimized code boxes every fraction it touches
 * (dynamics@256 on the kernels allocated ~70 B a publish check in the bench).
 */
const DEEPEST_TENTHS = 7;
/** 1 once started (the makeup starts at its first value). */
const STARTED = 8;
/** The peak window's deque: front, back, the frame counter (integers mod 2³⁰). */
const HEAD = 9;
const TAIL = 10;
const TIME = 11;
/** Constants for the kernel: the rate, the window in frames, the rings' length (a power of 2). */
const RATE = 12;
const HOLD = 13;
const CAPACITY = 14;
const MAKEUP_COEFFICIENT = 15;
/** The slots; after them the deque's peaks, then their times (each `capacity` float64s). */
const SLOTS = 16;
/** The deepest reduction counted in DEEPEST_TENTHS is at most this (dB; far beyond any real one). */
const TENTHS_LIMIT = 1e6;

/**
 * Feed-forward compressor with peak detection and a quadratic soft knee (Giannoulis, Massberg & Reiss,
 * "Digital Dynamic Range Compressor Design", JAES 2012):
 * 1. Level: the largest |sidechain| of the last 10 ms (a sliding-window maximum), in dBFS — a sine of
 *    amplitude A reads 20·log10 A, with no ripple for sines of 50 Hz and up.
 * 2. Gain computer (static curve), with x the level and T, R, W threshold, ratio, knee width:
 *    reduction 0 below T − W/2; (1 − 1/R)·(x − T + W/2)² / (2W) inside the knee; (1 − 1/R)·(x − T) above.
 * 3. Smoothing of the reduction in dB by a one-pole whose time constant is `attack` while the reduction
 *    grows and `release` while it shrinks: after a level step it covers 63 % of the way in that time (the
 *    release starts once the louder peak has left the 10 ms window).
 * 4. Output = input · 10^((makeup − reduction) / 20).
 * Exports `Gain Reduction`: the deepest reduction (dB, ≥ 0) of the last 0.2 s, published when it changes.
 */
export const CompressorNode = defineNode({
  type: 'CompressorNode',
  category: 'dynamics',
  description:
    'Feed-forward peak compressor with a soft knee; `sidechain` (when linked) drives it. Exports `Gain Reduction` (dB).',
  inputs: {
    input: stream('Signal to compress.', { default: 0 }),
    sidechain: stream('Signal whose level drives the compression; unlinked, the input itself.', {
      default: 0,
    }),
    threshold: stream(
      `Level (dBFS, peak) above which the gain is reduced (clamped to ${THRESHOLD_MIN}…${THRESHOLD_MAX}).`,
      {
        default: -20,
        unit: 'dB',
        min: THRESHOLD_MIN,
        max: THRESHOLD_MAX,
      },
    ),
    ratio: stream(
      `Above the threshold, every R dB in gives 1 dB out (R:1; clamped to ${RATIO_MIN}…${RATIO_MAX}).`,
      {
        default: 4,
        min: RATIO_MIN,
        max: RATIO_MAX,
      },
    ),
    knee: stream(`Width of the soft knee centred on the threshold (0 = hard; clamped to 0…${KNEE_MAX}).`, {
      default: 6,
      unit: 'dB',
      min: 0,
      max: KNEE_MAX,
    }),
    attack: stream(
      `Time constant of the gain reduction growing: 63 % of a step in this time (clamped to 0…${ATTACK_MAX}).`,
      {
        default: 0.01,
        unit: 's',
        min: 0,
        max: ATTACK_MAX,
      },
    ),
    release: stream(
      `Time constant of the gain reduction shrinking, after the detector's 10 ms peak hold (clamped to 0…${RELEASE_MAX}).`,
      { default: 0.1, unit: 's', min: 0, max: RELEASE_MAX },
    ),
    makeup: stream(`Gain added after compression (clamped to ${MAKEUP_MIN}…${MAKEUP_MAX}).`, {
      default: 0,
      unit: 'dB',
      min: MAKEUP_MIN,
      max: MAKEUP_MAX,
    }),
  },
  outputs: { out: stream('The compressed signal.') },
  initialExports: () => ({ 'Gain Reduction': 0 }),
  create(ctx, io) {
    const { input, sidechain, threshold, ratio, knee, attack, release, makeup } = io.inputs;
    const out = io.outputs.out.buf;
    const rate = ctx.sampleRate;
    const hold = Math.max(1, Math.round(HOLD_SECONDS * rate));
    const publishEvery = Math.round(PUBLISH_SECONDS * rate);

    // Sliding-window maximum: a deque of (value, time) with decreasing values; the front is the peak. Its
    // two rings follow the slots in the state, which lives in the kernels' memory when there is room: the
    // plan's op (OP_COMPRESSOR) runs on the same state as process().
    let capacity = 1;
    while (capacity < hold + 1) capacity *= 2;
    const kernels = kernelsFor(out);
    const stateSize = SLOTS + 2 * capacity;
    const { at: stateAt, state } = nodeState(kernels, stateSize);
    const peaks = state.subarray(SLOTS, SLOTS + capacity);
    const times = state.subarray(SLOTS + capacity);
    state[ATTACK_SEEN] = -1;
    state[RELEASE_SEEN] = -1;
    state[RATE] = rate;
    state[HOLD] = hold;
    state[CAPACITY] = capacity;
    state[MAKEUP_COEFFICIENT] = 1 - Math.exp(-1 / (MAKEUP_SMOOTHING * rate));
    const tenths = tenthsIn(state);
    // The first block publishes (nothing published yet: -1), so that this has run before V8 optimizes
    // `process`, which inlines it: reached first after that, the publish deoptimized `process` at every
    // publish for good on the JS engine (Node 20: the code was never thrown away). Integers only, in
    // closure variables and in `tenths` (small integers are not allocated; fractions would be).
    let sincePublish = publishEvery;
    let published = -1;
    const publishExports = (frames: number): void => {
      sincePublish += frames;
      if (sincePublish >= publishEvery) {
        sincePublish = 0;
        const shown = tenths[0];
        state[DEEPEST] = 0;
        tenths[0] = 0;
        if (shown !== published) {
          published = shown;
          ctx.publish({ 'Gain Reduction': shown / 10 });
        }
      }
    };

    return {
      encode(writer) {
        if (!kernels || stateAt < 0) return false;
        return (
          writer.begin(OP_COMPRESSOR, out) &&
          writer.input(input) &&
          writer.input(sidechain.linked ? sidechain : input) &&
          writer.input(threshold) &&
          writer.input(ratio) &&
          writer.input(knee) &&
          writer.input(attack) &&
          writer.input(release) &&
          writer.input(makeup) &&
          writer.pointer(stateAt)
        );
      },
      publishExports,
      dispose() {
        kernels?.releaseState(stateAt, stateSize * 8);
      },
      process(frames) {
        const x = input.buf;
        const detect = sidechain.linked ? sidechain.buf : x;
        const thresholds = threshold.buf;
        const ratios = ratio.buf;
        const knees = knee.buf;
        const attacks = attack.buf;
        const releases = release.buf;
        const makeups = makeup.buf;
        if (state[STARTED] === 0) {
          state[MAKEUP_DB] = clampMakeup(makeups[0]);
          state[STARTED] = 1;
        }
        // The loop is a module function, primed at load: V8 compiled this one's loop on-stack during its
        // very first call, before the publish after it had ever run, which then deoptimized it.
        compressBlock(
          state,
          tenths,
          peaks,
          times,
          x,
          detect,
          thresholds,
          ratios,
          knees,
          attacks,
          releases,
          makeups,
          out,
          frames,
        );
        publishExports(frames);
      },
    };
  },
});

/** The int32 view of DEEPEST_TENTHS in `state`. */
function tenthsIn(state: Float64Array): Int32Array {
  return new Int32Array(state.buffer, state.byteOffset + DEEPEST_TENTHS * 8, 1);
}

/** One block of the compressor in JS (see the class comment for the three steps). */
function compressBlock(
  state: Float64Array,
  tenths: Int32Array,
  peaks: Float64Array,
  times: Float64Array,
  x: Float32Array,
  detect: Float32Array,
  thresholds: Float32Array,
  ratios: Float32Array,
  knees: Float32Array,
  attacks: Float32Array,
  releases: Float32Array,
  makeups: Float32Array,
  out: Float32Array,
  frames: number,
): void {
  const makeupCoefficient = state[MAKEUP_COEFFICIENT];
  const dequeMask = state[CAPACITY] - 1;
  const hold = state[HOLD];
  const rate = state[RATE];
  let head = state[HEAD] | 0;
  let tail = state[TAIL] | 0;
  let time = state[TIME] | 0;
  let reduction = state[REDUCTION];
  let gainDb = state[MAKEUP_DB];
  let deepest = state[DEEPEST];
  for (let i = 0; i < frames; i++) {
    // 1. Peak level over the hold window (Math.min/max clamps: a ternary mixing constants into a
    // fraction makes V8 box it).
    const s = detect[i];
    const magnitude = Number.isNaN(s) ? 0.0 : Math.min(INPUT_LIMIT, Math.abs(s));
    while (tail !== head && peaks[(tail - 1) & dequeMask] <= magnitude) tail = (tail - 1) & dequeMask;
    peaks[tail] = magnitude;
    times[tail] = time;
    tail = (tail + 1) & dequeMask;
    // The front leaves the window: no arithmetic behind the test (V8 feedback, as for publishing).
    head = (head + (((time - times[head]) & 0x3fffffff) >= hold ? 1 : 0)) & dequeMask;
    time = (time + 1) & 0x3fffffff;
    // Floored at −200 dBFS, far below any threshold (a branch here would box the level).
    const level = Math.log(Math.max(peaks[head], 1e-10)) * DB_PER_NEPER;

    // 2. Static curve, branch-free: `into` is how far into the knee (0…width) the level is; above
    // the knee the reduction goes on linearly. (A variable that takes a constant 0 in one branch and
    // a fraction in another makes V8 box it: a heap number per frame.)
    const t = thresholds[i];
    const over =
      level - (Number.isNaN(t) ? THRESHOLD_MIN : Math.min(THRESHOLD_MAX, Math.max(THRESHOLD_MIN, t)));
    const r = ratios[i];
    const slope = 1 - 1 / (Number.isNaN(r) ? RATIO_MIN : Math.min(RATIO_MAX, Math.max(RATIO_MIN, r)));
    const k = knees[i];
    const width = Number.isNaN(k) ? 0 : Math.min(KNEE_MAX, Math.max(0, k));
    const into = Math.min(width, Math.max(0, over + 0.5 * width));
    const wanted = slope * ((into * into) / Math.max(2 * width, 1e-12) + Math.max(0, over - 0.5 * width));

    // 3. Attack / release smoothing (coefficients recomputed only when the times change).
    // Both coefficients are kept current whichever way the reduction moves, and nothing is computed
    // behind a test on the signal: the first release can come seconds in, after V8 optimized this
    // loop, and code first reached then deoptimized it (docs/decisions.md, "Hot JS node functions take
    // every branch before V8 optimizes them"). A coefficient depends on its time only.
    const attackSeconds = attacks[i];
    if (attackSeconds !== state[ATTACK_SEEN]) {
      state[ATTACK_SEEN] = attackSeconds;
      state[ATTACK_COEFFICIENT] =
        attackSeconds > 0 ? Math.exp(-1 / (Math.min(ATTACK_MAX, attackSeconds) * rate)) : 0.0;
    }
    const releaseSeconds = releases[i];
    if (releaseSeconds !== state[RELEASE_SEEN]) {
      state[RELEASE_SEEN] = releaseSeconds;
      state[RELEASE_COEFFICIENT] =
        releaseSeconds > 0 ? Math.exp(-1 / (Math.min(RELEASE_MAX, releaseSeconds) * rate)) : 0.0;
    }
    const attackCoefficient = state[ATTACK_COEFFICIENT];
    const releaseCoefficient = state[RELEASE_COEFFICIENT];
    const coefficient = wanted > reduction ? attackCoefficient : releaseCoefficient;
    reduction = wanted + coefficient * (reduction - wanted);
    deepest = Math.max(reduction, deepest);

    // 4. Makeup (smoothed), gain.
    const m = makeups[i];
    const makeupDb = Number.isNaN(m) ? 0.0 : Math.min(MAKEUP_MAX, Math.max(MAKEUP_MIN, m));
    gainDb += makeupCoefficient * (makeupDb - gainDb);
    const v = x[i];
    const clean = Number.isNaN(v) ? 0.0 : Math.min(INPUT_LIMIT, Math.max(-INPUT_LIMIT, v));
    out[i] = clean * Math.exp((gainDb - reduction) / DB_PER_NEPER);
  }
  state[HEAD] = head;
  state[TAIL] = tail;
  state[TIME] = time;
  state[REDUCTION] = reduction;
  state[MAKEUP_DB] = gainDb;
  state[DEEPEST] = deepest;
  tenths[0] = Math.floor(Math.min(deepest, TENTHS_LIMIT) * 10 + 0.5);
}

/** compressBlock once on scratch state, loud then silent, so that its type feedback is complete at load. */
function primeCompressBlock(): void {
  const frames = 256;
  const capacity = 8;
  const state = new Float64Array(SLOTS + 2 * capacity);
  state[ATTACK_SEEN] = -1;
  state[RELEASE_SEEN] = -1;
  state[RATE] = 44100;
  state[HOLD] = 4;
  state[CAPACITY] = capacity;
  state[MAKEUP_COEFFICIENT] = 0.5;
  const x = new Float32Array(frames);
  for (let i = 0; i < frames / 2; i++) x[i] = i % 3 === 0 ? Number.NaN : Math.sin(i);
  const settings = (value: number) => new Float32Array(frames).fill(value);
  compressBlock(
    state,
    tenthsIn(state),
    state.subarray(SLOTS, SLOTS + capacity),
    state.subarray(SLOTS + capacity),
    x,
    x,
    settings(-20),
    settings(4),
    settings(6),
    settings(0.001),
    settings(0.001),
    settings(0),
    new Float32Array(frames),
    frames,
  );
}
primeCompressBlock();

/** Makeup in dB clamped to its range; NaN reads as 0 dB. */
function clampMakeup(db: number): number {
  return Number.isNaN(db) ? 0 : Math.min(MAKEUP_MAX, Math.max(MAKEUP_MIN, db));
}
