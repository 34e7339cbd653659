// AssemblyScript: the op kernels of the dynamics nodes (opcodes 90–109 of src/engine/wasm/ops.ts), imported by
// scripts/wasm/kernels.ts, whose `runOps` hands every op in that range to `runDynOp`. Each kernel is its
// node's `process` step for step, in float64 where JS computes in doubles, with float32 stores, the same
// clamps and NaN readings, on the state block that `process` uses too (the layouts below must match the
// nodes' state indices). What an op cannot do itself (publish an export) its node's `publishExports` does
// from the state after the segment. test/engine/op-list-dyn.test.ts compares the two paths.

const OP_COMPRESSOR: i32 = 90;
const OP_DISTORTION: i32 = 91;

/** Runs one op of this range (`op` its record, `out` its output); runOps checks that output after. */
export function runDynOp(code: i32, op: usize, out: usize, frames: i32): void {
  if (code === OP_COMPRESSOR) compressorOp(op, out, frames);
  else if (code === OP_DISTORTION) distortionOp(op, out, frames);
}

// ------------------------------------------------------------------------------------------- compressor
// CompressorNode (src/nodes/dynamics/compressor-node.ts). Record: output, then input, detector, threshold,
// ratio, knee, attack, release, makeup (buffer, flag each) from byte 12, then the state pointer (byte 76).
// State (float64 slots), then from slot 16 the deque's peaks and after them their times (CAPACITY each).

const C_REDUCTION: usize = 0;
const C_MAKEUP_DB: usize = 8;
const C_ATTACK_SEEN: usize = 16;
const C_ATTACK_COEFFICIENT: usize = 24;
const C_RELEASE_SEEN: usize = 32;
const C_RELEASE_COEFFICIENT: usize = 40;
const C_DEEPEST: usize = 48;
/** The deepest reduction in tenths of a dB, rounded (i32), for publishExports (see DEEPEST_TENTHS). */
const C_DEEPEST_TENTHS: usize = 56;
const C_STARTED: usize = 64;
const C_HEAD: usize = 72;
const C_TAIL: usize = 80;
const C_TIME: usize = 88;
const C_RATE: usize = 96;
const C_HOLD: usize = 104;
const C_CAPACITY: usize = 112;
const C_MAKEUP_COEFFICIENT: usize = 120;
const C_SLOTS: usize = 128;

const C_INPUT_LIMIT: f64 = 1e6;
const C_DB_PER_NEPER: f64 = 20 / Math.LN10;
const C_THRESHOLD_MIN: f64 = -80;
const C_THRESHOLD_MAX: f64 = 0;
const C_RATIO_MIN: f64 = 1;
const C_RATIO_MAX: f64 = 100;
const C_KNEE_MAX: f64 = 24;
const C_ATTACK_MAX: f64 = 1;
const C_RELEASE_MAX: f64 = 5;
const C_MAKEUP_MIN: f64 = -24;
const C_MAKEUP_MAX: f64 = 40;
const C_TENTHS_LIMIT: f64 = 1e6;

/** CompressorNode.process, step for step (its `publishExports` runs after the segment, in JS). */
function compressorOp(op: usize, out: usize, frames: i32): void {
  const x = <usize>load<i32>(op, 12);
  const detect = <usize>load<i32>(op, 20);
  const thresholds = <usize>load<i32>(op, 28);
  const ratios = <usize>load<i32>(op, 36);
  const knees = <usize>load<i32>(op, 44);
  const attacks = <usize>load<i32>(op, 52);
  const releases = <usize>load<i32>(op, 60);
  const makeups = <usize>load<i32>(op, 68);
  const state = <usize>load<i32>(op, 76);
  if (load<f64>(state, C_STARTED) === 0) {
    const m = <f64>load<f32>(makeups);
    store<f64>(state, isNaN(m) ? 0 : Math.min(C_MAKEUP_MAX, Math.max(C_MAKEUP_MIN, m)), C_MAKEUP_DB);
    store<f64>(state, 1, C_STARTED);
  }
  const rate = load<f64>(state, C_RATE);
  const hold = <i32>load<f64>(state, C_HOLD);
  const capacity = <i32>load<f64>(state, C_CAPACITY);
  const makeupCoefficient = load<f64>(state, C_MAKEUP_COEFFICIENT);
  const peaks = state + C_SLOTS;
  const times = peaks + ((<usize>capacity) << 3);
  const mask = capacity - 1;
  let head = <i32>load<f64>(state, C_HEAD);
  let tail = <i32>load<f64>(state, C_TAIL);
  let time = <i32>load<f64>(state, C_TIME);
  let reduction = load<f64>(state, C_REDUCTION);
  let gainDb = load<f64>(state, C_MAKEUP_DB);
  let deepest = load<f64>(state, C_DEEPEST);
  let attackSeen = load<f64>(state, C_ATTACK_SEEN);
  let attackCoefficient = load<f64>(state, C_ATTACK_COEFFICIENT);
  let releaseSeen = load<f64>(state, C_RELEASE_SEEN);
  let releaseCoefficient = load<f64>(state, C_RELEASE_COEFFICIENT);
  const n = (<usize>frames) << 2;
  for (let i: usize = 0; i < n; i += 4) {
    // 1. Peak level over the hold window.
    const s = <f64>load<f32>(detect + i);
    const magnitude = isNaN(s) ? 0 : Math.min(C_INPUT_LIMIT, Math.abs(s));
    while (tail !== head && load<f64>(peaks + ((<usize>((tail - 1) & mask)) << 3)) <= magnitude)
      tail = (tail - 1) & mask;
    store<f64>(peaks + ((<usize>tail) << 3), magnitude);
    store<f64>(times + ((<usize>tail) << 3), <f64>time);
    tail = (tail + 1) & mask;
    if (((time - <i32>load<f64>(times + ((<usize>head) << 3))) & 0x3fffffff) >= hold)
      head = (head + 1) & mask;
    time = (time + 1) & 0x3fffffff;
    const level = Math.log(Math.max(load<f64>(peaks + ((<usize>head) << 3)), 1e-10)) * C_DB_PER_NEPER;

    // 2. Static curve.
    const t = <f64>load<f32>(thresholds + i);
    const over =
      level - (isNaN(t) ? C_THRESHOLD_MIN : Math.min(C_THRESHOLD_MAX, Math.max(C_THRESHOLD_MIN, t)));
    const r = <f64>load<f32>(ratios + i);
    const slope = 1 - 1 / (isNaN(r) ? C_RATIO_MIN : Math.min(C_RATIO_MAX, Math.max(C_RATIO_MIN, r)));
    const k = <f64>load<f32>(knees + i);
    const width = isNaN(k) ? 0 : Math.min(C_KNEE_MAX, Math.max(0, k));
    const into = Math.min(width, Math.max(0, over + 0.5 * width));
    const wanted = slope * ((into * into) / Math.max(2 * width, 1e-12) + Math.max(0, over - 0.5 * width));

    // 3. Attack / release smoothing.
    let coefficient: f64;
    if (wanted > reduction) {
      const seconds = <f64>load<f32>(attacks + i);
      if (seconds !== attackSeen) {
        attackSeen = seconds;
        attackCoefficient = seconds > 0 ? Math.exp(-1 / (Math.min(C_ATTACK_MAX, seconds) * rate)) : 0;
      }
      coefficient = attackCoefficient;
    } else {
      const seconds = <f64>load<f32>(releases + i);
      if (seconds !== releaseSeen) {
        releaseSeen = seconds;
        releaseCoefficient = seconds > 0 ? Math.exp(-1 / (Math.min(C_RELEASE_MAX, seconds) * rate)) : 0;
      }
      coefficient = releaseCoefficient;
    }
    reduction = wanted + coefficient * (reduction - wanted);
    if (reduction > deepest) deepest = reduction;

    // 4. Makeup (smoothed), gain.
    const m = <f64>load<f32>(makeups + i);
    const makeupDb = isNaN(m) ? 0 : Math.min(C_MAKEUP_MAX, Math.max(C_MAKEUP_MIN, m));
    gainDb += makeupCoefficient * (makeupDb - gainDb);
    const v = <f64>load<f32>(x + i);
    const clean = isNaN(v) ? 0 : Math.min(C_INPUT_LIMIT, Math.max(-C_INPUT_LIMIT, v));
    store<f32>(out + i, <f32>(clean * Math.exp((gainDb - reduction) / C_DB_PER_NEPER)));
  }
  store<f64>(state, <f64>head, C_HEAD);
  store<f64>(state, <f64>tail, C_TAIL);
  store<f64>(state, <f64>time, C_TIME);
  store<f64>(state, reduction, C_REDUCTION);
  store<f64>(state, gainDb, C_MAKEUP_DB);
  store<f64>(state, deepest, C_DEEPEST);
  store<i32>(state, <i32>Math.floor(Math.min(deepest, C_TENTHS_LIMIT) * 10 + 0.5), C_DEEPEST_TENTHS);
  store<f64>(state, attackSeen, C_ATTACK_SEEN);
  store<f64>(state, attackCoefficient, C_ATTACK_COEFFICIENT);
  store<f64>(state, releaseSeen, C_RELEASE_SEEN);
  store<f64>(state, releaseCoefficient, C_RELEASE_COEFFICIENT);
}

// ------------------------------------------------------------------------------------------- distortion
// DistortionNode (src/nodes/dynamics/distortion-node.ts). Record: output, input, drive, mix (buffer, flag
// each) from byte 12, the state pointer (byte 36). State (float64): 20 slots, the padding ring (8), the dry
// line (D_DRY_CAPACITY), `driven` and `wet` (a block each), then the oversampler's arrays in the layout of
// src/dsp/oversampler.ts (`oversamplerStorage`): per stage its even taps, up history, down history, then
// the buffers at 2×, 4×, 8×. The stages' half-lengths are the node's STAGES (49, 11, 7).

const D_GAIN: usize = 0;
const D_DRIVE_SEEN: usize = 8;
const D_DRIVE_GAIN: usize = 16;
const D_MIX: usize = 24;
const D_X0: usize = 32;
const D_F0: usize = 40;
const D_G0: usize = 48;
const D_STARTED: usize = 56;
const D_CURRENT: usize = 64;
const D_PREVIOUS: usize = 72;
const D_FADE_LEFT: usize = 80;
const D_DRY_WRITE: usize = 88;
const D_PAD_WRITE: usize = 96;
const D_SMOOTHING: usize = 104;
const D_FADE_FRAMES: usize = 112;
const D_MAX_FRAMES: usize = 120;
const D_LATENCY: usize = 128;
const D_PADDING: usize = 136;
const D_DRY_CAPACITY: usize = 144;
const D_SLOTS: usize = 160;
const D_PAD_LENGTH: usize = 8;

const D_FACTOR: i32 = 8;
const D_HARDCLIP: i32 = 1;
const D_FOLD: i32 = 2;
const D_DRIVE_MIN: f64 = -24;
const D_DRIVE_MAX: f64 = 48;
const D_DRIVEN_LIMIT: f64 = 1e4;
const D_INPUT_LIMIT: f64 = 1e6;
const D_ADAA_EPSILON: f64 = 1e-6;

/** Drive (dB, clamped; NaN → 0 dB) as a linear gain (DistortionNode's dbToGain). */
function dbToGain(db: f64): f64 {
  const clamped = isNaN(db) ? 0 : Math.min(D_DRIVE_MAX, Math.max(D_DRIVE_MIN, db));
  return 10 ** (clamped / 20);
}

/** The shaping curve f (DistortionNode's curve). */
function shapeCurve(shape: i32, x: f64): f64 {
  if (shape === D_HARDCLIP) return Math.min(1, Math.max(-1, x));
  if (shape === D_FOLD) {
    let u = (x + 1) % 4;
    if (u < 0) u += 4;
    return 1 - Math.abs(u - 2);
  }
  return Math.tanh(x);
}

/** An antiderivative F of the curve (DistortionNode's antiderivative). */
function shapeAntiderivative(shape: i32, x: f64): f64 {
  if (shape === D_HARDCLIP) {
    const a = Math.abs(x);
    return a <= 1 ? 0.5 * x * x : a - 0.5;
  }
  if (shape === D_FOLD) {
    let u = (x + 1) % 4;
    if (u < 0) u += 4;
    return u <= 2 ? 0.5 * u * u - u : 3 * u - 0.5 * u * u - 4;
  }
  const a = Math.abs(x);
  return a + Math.log1p(Math.exp(-2 * a)) - Math.LN2;
}

/** Oversampler's `interpolate`: ×2 of x[0…n) into y[0…2n) (float64 arrays at byte offsets). */
function interpolate(m: i32, h: usize, half: i32, history: usize, x: usize, n: i32, y: usize): void {
  memory.copy(history + ((<usize>m) << 3), x, (<usize>n) << 3);
  const centre = (m - 1) / 2;
  for (let i = 0; i < n; i++) {
    const newest = m + i;
    let sum: f64 = 0;
    for (let j = 0; j < half; j++)
      sum +=
        load<f64>(h + ((<usize>j) << 3)) *
        (load<f64>(history + ((<usize>(newest - j)) << 3)) +
          load<f64>(history + ((<usize>(newest - m + j)) << 3)));
    store<f64>(y + ((<usize>(2 * i)) << 3), 2 * sum);
    store<f64>(y + ((<usize>(2 * i + 1)) << 3), load<f64>(history + ((<usize>(newest - centre)) << 3)));
  }
  memory.copy(history, history + ((<usize>n) << 3), (<usize>m) << 3);
}

/** Oversampler's `decimate`: ×2 decimation of v[0…2n) into y[0…n). */
function decimate(m: i32, h: usize, half: i32, history: usize, v: usize, n: i32, y: usize): void {
  const keep = 2 * m;
  memory.copy(history + ((<usize>keep) << 3), v, (<usize>(2 * n)) << 3);
  for (let i = 0; i < n; i++) {
    const newest = keep + 2 * i;
    let sum: f64 = 0;
    for (let j = 0; j < half; j++)
      sum +=
        load<f64>(h + ((<usize>j) << 3)) *
        (load<f64>(history + ((<usize>(newest - 2 * j)) << 3)) +
          load<f64>(history + ((<usize>(newest - keep + 2 * j)) << 3)));
    store<f64>(y + ((<usize>i) << 3), sum + 0.5 * load<f64>(history + ((<usize>(newest - m)) << 3)));
  }
  memory.copy(history, history + ((<usize>(2 * n)) << 3), (<usize>keep) << 3);
}

/** DistortionNode.process after its `readData`, step for step. */
function distortionOp(op: usize, out: usize, frames: i32): void {
  const x = <usize>load<i32>(op, 12);
  const drives = <usize>load<i32>(op, 20);
  const mixes = <usize>load<i32>(op, 28);
  const state = <usize>load<i32>(op, 36);
  const maxFrames = <i32>load<f64>(state, D_MAX_FRAMES);
  const dryCapacity = <i32>load<f64>(state, D_DRY_CAPACITY);
  const latency = <i32>load<f64>(state, D_LATENCY);
  const padding = <i32>load<f64>(state, D_PADDING);
  const smoothing = load<f64>(state, D_SMOOTHING);
  const fadeFrames = load<f64>(state, D_FADE_FRAMES);
  const pad = state + D_SLOTS;
  const dryLine = pad + (D_PAD_LENGTH << 3);
  const driven = dryLine + ((<usize>dryCapacity) << 3);
  const wet = driven + ((<usize>maxFrames) << 3);
  // The oversampler's arrays, as Oversampler's constructor lays them out (stage k at 2^k × maxFrames in).
  const f = <usize>maxFrames;
  const taps0 = wet + (f << 3);
  const up0 = taps0 + (25 << 3);
  const down0 = up0 + ((49 + f) << 3);
  const taps1 = down0 + ((98 + 2 * f) << 3);
  const up1 = taps1 + (6 << 3);
  const down1 = up1 + ((11 + 2 * f) << 3);
  const taps2 = down1 + ((22 + 4 * f) << 3);
  const up2 = taps2 + (4 << 3);
  const down2 = up2 + ((7 + 4 * f) << 3);
  const buffer0 = down2 + ((14 + 8 * f) << 3);
  const buffer1 = buffer0 + ((2 * f) << 3);
  const buffer2 = buffer1 + ((4 * f) << 3);

  if (load<f64>(state, D_STARTED) === 0) {
    const d = <f64>load<f32>(drives);
    store<f64>(state, d, D_DRIVE_SEEN);
    store<f64>(state, dbToGain(d), D_DRIVE_GAIN);
    store<f64>(state, load<f64>(state, D_DRIVE_GAIN), D_GAIN);
    const m = <f64>load<f32>(mixes);
    store<f64>(state, isNaN(m) ? 0 : Math.min(1, Math.max(0, m)), D_MIX);
    store<f64>(state, 1, D_STARTED);
  }

  // Drive, then up to 8×.
  let gain = load<f64>(state, D_GAIN);
  for (let i = 0; i < frames; i++) {
    const d = <f64>load<f32>(drives + ((<usize>i) << 2));
    if (d !== load<f64>(state, D_DRIVE_SEEN)) {
      store<f64>(state, d, D_DRIVE_SEEN);
      store<f64>(state, dbToGain(d), D_DRIVE_GAIN);
    }
    gain += smoothing * (load<f64>(state, D_DRIVE_GAIN) - gain);
    const v = <f64>load<f32>(x + ((<usize>i) << 2));
    const clean = isNaN(v) ? 0 : Math.min(D_INPUT_LIMIT, Math.max(-D_INPUT_LIMIT, v));
    store<f64>(driven + ((<usize>i) << 3), Math.min(D_DRIVEN_LIMIT, Math.max(-D_DRIVEN_LIMIT, clean * gain)));
  }
  store<f64>(state, gain, D_GAIN);
  interpolate(49, taps0, 25, up0, driven, frames, buffer0);
  interpolate(11, taps1, 6, up1, buffer0, 2 * frames, buffer1);
  interpolate(7, taps2, 4, up2, buffer1, 4 * frames, buffer2);

  // The shaper with first-order ADAA.
  const buffer = buffer2;
  const current = <i32>load<f64>(state, D_CURRENT);
  const previous = <i32>load<f64>(state, D_PREVIOUS);
  let fadeLeft = <i32>load<f64>(state, D_FADE_LEFT);
  let padWrite = <i32>load<f64>(state, D_PAD_WRITE);
  let x0 = load<f64>(state, D_X0);
  let f0 = load<f64>(state, D_F0);
  const total = frames * D_FACTOR;
  for (let n = 0; n < total; n++) {
    const sample = buffer + ((<usize>n) << 3);
    store<f64>(pad + ((<usize>padWrite) << 3), load<f64>(sample));
    const x1 = load<f64>(pad + ((<usize>((padWrite - padding) & 7)) << 3));
    padWrite = (padWrite + 1) & 7;
    const f1 = shapeAntiderivative(current, x1);
    const step = x1 - x0;
    let y =
      step > D_ADAA_EPSILON || step < -D_ADAA_EPSILON
        ? (f1 - f0) / step
        : shapeCurve(current, 0.5 * (x0 + x1));
    if (fadeLeft > 0) {
      const g0 = load<f64>(state, D_G0);
      const g1 = shapeAntiderivative(previous, x1);
      const old =
        step > D_ADAA_EPSILON || step < -D_ADAA_EPSILON
          ? (g1 - g0) / step
          : shapeCurve(previous, 0.5 * (x0 + x1));
      store<f64>(state, g1, D_G0);
      const t = <f64>fadeLeft / fadeFrames;
      y = old * t + y * (1 - t);
      fadeLeft--;
    }
    store<f64>(sample, Math.min(1, Math.max(-1, y)));
    x0 = x1;
    f0 = f1;
  }
  store<f64>(state, x0, D_X0);
  store<f64>(state, f0, D_F0);
  store<f64>(state, <f64>fadeLeft, D_FADE_LEFT);
  store<f64>(state, <f64>padWrite, D_PAD_WRITE);
  decimate(7, taps2, 4, down2, buffer2, 4 * frames, buffer1);
  decimate(11, taps1, 6, down1, buffer1, 2 * frames, buffer0);
  decimate(49, taps0, 25, down0, buffer0, frames, wet);

  // Mix with the dry signal delayed by the same latency.
  const dryMask = dryCapacity - 1;
  let dryWrite = <i32>load<f64>(state, D_DRY_WRITE);
  let m = load<f64>(state, D_MIX);
  for (let i = 0; i < frames; i++) {
    const v = <f64>load<f32>(x + ((<usize>i) << 2));
    store<f64>(
      dryLine + ((<usize>dryWrite) << 3),
      isNaN(v) ? 0 : Math.min(D_INPUT_LIMIT, Math.max(-D_INPUT_LIMIT, v)),
    );
    const dry = load<f64>(dryLine + ((<usize>((dryWrite - latency) & dryMask)) << 3));
    dryWrite = (dryWrite + 1) & dryMask;
    const raw = <f64>load<f32>(mixes + ((<usize>i) << 2));
    const target = isNaN(raw) ? 0 : Math.min(1, Math.max(0, raw));
    m += smoothing * (target - m);
    store<f32>(out + ((<usize>i) << 2), <f32>(dry + m * (load<f64>(wet + ((<usize>i) << 3)) - dry)));
  }
  store<f64>(state, m, D_MIX);
  store<f64>(state, <f64>dryWrite, D_DRY_WRITE);
}
