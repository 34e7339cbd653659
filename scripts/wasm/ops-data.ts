// AssemblyScript (not TypeScript; built with kernels.ts, which imports it): the ops of the nodes with a data
// input, opcodes 50–69 of src/engine/wasm/ops.ts. What the data input decides (an op code and its fade, a
// filter mode and its glide, a delay line) the node's `readData` or `configure` writes into its state before
// the op runs; each op is then its node's `process` step for step, in float64 where JS computes in doubles,
// with float32 stores, on the same state in the kernels' memory (the layouts below must match the nodes'
// state indices). test/engine/op-list-data.test.ts compares the two paths.

const OP_MATH: i32 = 50;
const OP_BIQUAD: i32 = 51;
const OP_DELAY: i32 = 52;

/** Runs one op of this range (`op` its record, `out` its output); runOps checks that output after. */
export function runDataOp(code: i32, op: usize, out: usize, frames: i32): void {
  if (code === OP_MATH) {
    mathOp(
      out,
      <usize>load<i32>(op, 12),
      <usize>load<i32>(op, 16),
      <usize>load<i32>(op, 20),
      <usize>load<i32>(op, 24),
      <usize>load<i32>(op, 28),
      <usize>load<i32>(op, 32),
      frames,
    );
  } else if (code === OP_BIQUAD) {
    biquadOp(
      out,
      <usize>load<i32>(op, 12),
      <usize>load<i32>(op, 20),
      <usize>load<i32>(op, 24),
      <usize>load<i32>(op, 28),
      <usize>load<i32>(op, 32),
      <usize>load<i32>(op, 36),
      <usize>load<i32>(op, 40),
      <usize>load<i32>(op, 44),
      frames,
    );
  } else if (code === OP_DELAY) {
    delayOp(
      out,
      <usize>load<i32>(op, 12),
      <usize>load<i32>(op, 20),
      <usize>load<i32>(op, 24),
      <usize>load<i32>(op, 28),
      <usize>load<i32>(op, 32),
      <usize>load<i32>(op, 36),
      frames,
    );
  }
}

/** The float32 range (STREAM_MAX in src/engine/types.ts). */
const STREAM_MAX: f64 = 3.4028234663852886e38;

// ------------------------------------------------------------------------------------------- math
// MathNode (src/nodes/math/math-node.ts): its state layout (float64).

const MATH_OP: usize = 0;
const MATH_FADING_FROM: usize = 8;
const MATH_FADE_DONE: usize = 16;
const MATH_FADE_FRAMES: usize = 24;

/** A stream sample as an operand: NaN → 0, ±∞ (or beyond float32) → ±STREAM_MAX. */
function operand(x: f64): f64 {
  return isNaN(x) ? 0 : Math.min(STREAM_MAX, Math.max(-STREAM_MAX, x));
}

/** A result held within ±the largest float32. */
function held(v: f64): f64 {
  return Math.min(STREAM_MAX, Math.max(v, -STREAM_MAX));
}

/** One sample of op `op` on two operands (read by `operand`): as MathNode's `compute`, before the store. */
function mathValue(op: i32, p: f64, q: f64): f64 {
  switch (op) {
    case 0: // subtract
      return held(p - q);
    case 1: // divide: x/0 → 0
      return held(q === 0 ? 0 : p / q);
    case 2:
      return Math.min(p, q);
    case 3:
      return Math.max(p, q);
    case 4: {
      // power: sign(a)·|a|^b
      const magnitude = Math.abs(p) ** q;
      return held(p < 0 ? -magnitude : magnitude);
    }
    case 5: {
      // modulo, floored (the sign of b); b = 0 → 0
      let r: f64 = q === 0 ? 0 : p % q;
      if (r !== 0 && r < 0 !== q < 0) {
        r += q;
        if (Math.abs(<f64>(<f32>r)) >= Math.abs(q)) r = 0;
      }
      return r;
    }
    case 6:
      return Math.abs(p);
    case 7:
      return -p;
    case 8: {
      // clip: a held within ±|b|
      const limit = Math.abs(q);
      return p > limit ? limit : Math.max(p, -limit);
    }
    case 9:
      return Math.tanh(p);
    case 10:
      return p < q ? 1 : 0;
    default:
      return p > q ? 1 : 0;
  }
}

/** A vector of stream samples as operands: NaN → 0, ±∞ → ±the largest float32 (as `operand`, lane-wise). */
function operands(v: v128): v128 {
  const finite = v128.and(v, f32x4.eq(v, v)); // NaN lanes → +0
  return f32x4.pmin(f32x4.splat(<f32>STREAM_MAX), f32x4.pmax(f32x4.splat(<f32>-STREAM_MAX), finite));
}

/** A vector of results held within ±the largest float32 (an overflow to ±∞ in float32 is that edge). */
function heldLanes(v: v128): v128 {
  return f32x4.pmin(f32x4.splat(<f32>STREAM_MAX), f32x4.pmax(f32x4.splat(<f32>-STREAM_MAX), v));
}

/**
 * MathNode's `compute`: out[i] = op(a[i], b[i]); both operands constant → the first frame, filled. The ops
 * built of +, −, ÷, min, max, |x| and comparisons run four samples at a time in float32: JS computes them
 * in float64 and rounds to float32 once, which gives the same float32 (one rounding of an exact operation on
 * float32 operands), and a float32 overflow to ±∞ is held at the edge as JS holds a float64 beyond it.
 * power, modulo and tanh (and the constant case) compute each sample in float64, as JS, with the op chosen
 * per sample: Math.pow, tanh and fmod are most of this file's code, which the browser bundles carry.
 */
function mathCompute(op: i32, x: usize, y: usize, out: usize, constant: bool, frames: i32): void {
  if (constant || op === 4 || op === 5 || op === 9) {
    const n = constant ? 1 : frames;
    for (let i = 0; i < n; i++) {
      const at = (<usize>i) << 2;
      const v = mathValue(op, operand(<f64>load<f32>(x + at)), operand(<f64>load<f32>(y + at)));
      store<f32>(out + at, <f32>v);
    }
    if (constant) {
      const first = load<f32>(out);
      for (let i = 1; i < frames; i++) store<f32>(out + ((<usize>i) << 2), first);
    }
    return;
  }
  const one = f32x4.splat(1);
  const end = (<usize>frames) << 2;
  for (let at: usize = 0; at < end; at += 16) {
    const p = operands(v128.load(x + at));
    const q = operands(v128.load(y + at));
    let r: v128;
    if (op === 0) r = heldLanes(f32x4.sub(p, q));
    else if (op === 1) {
      // x/0 → +0: the quotient's lanes where b = 0 are cleared
      r = v128.andnot(heldLanes(f32x4.div(p, q)), f32x4.eq(q, f32x4.splat(0)));
    } else if (op === 2) r = f32x4.min(p, q);
    else if (op === 3) r = f32x4.max(p, q);
    else if (op === 6) r = f32x4.abs(p);
    else if (op === 7) r = f32x4.neg(p);
    else if (op === 8) {
      // clip: a > |b| → |b|, else max(a, −|b|)
      const limit = f32x4.abs(q);
      r = v128.bitselect(limit, f32x4.max(p, f32x4.neg(limit)), f32x4.gt(p, limit));
    } else if (op === 10) r = v128.and(f32x4.lt(p, q), one);
    else r = v128.and(f32x4.gt(p, q), one);
    v128.store(out + at, r);
  }
}

/** MathNode.process after `readData`, step for step (`previous`: the old op's result while fading). */
function mathOp(
  out: usize,
  a: usize,
  aConstant: usize,
  b: usize,
  bConstant: usize,
  previous: usize,
  state: usize,
  frames: i32,
): void {
  const constant = load<i32>(aConstant) !== 0 && load<i32>(bConstant) !== 0;
  mathCompute(<i32>load<f64>(state, MATH_OP), a, b, out, constant, frames);
  const fadeFrames = load<f64>(state, MATH_FADE_FRAMES);
  let done = load<f64>(state, MATH_FADE_DONE);
  if (done < fadeFrames) {
    mathCompute(<i32>load<f64>(state, MATH_FADING_FROM), a, b, previous, constant, frames);
    for (let i = 0; i < frames && done < fadeFrames; i++, done++) {
      const at = (<usize>i) << 2;
      const w = done / fadeFrames;
      const p = <f64>load<f32>(previous + at);
      store<f32>(out + at, <f32>(p + (<f64>load<f32>(out + at) - p) * w));
    }
    store<f64>(state, done, MATH_FADE_DONE);
  }
}

// ------------------------------------------------------------------------------------------- biquad
// BiquadFilterNode (src/nodes/filters/biquad-filter-node.ts): its limits (and filter-limits.ts's) and its
// state layout (float64): integrators, the parameters designed for, the target and glide-from coefficients
// (g, k, m0, m1, m2 each), the mode, the designed mode, the glide's frames left and length, two constants.

const MIN_CUTOFF: f64 = 10;
const NAN_CUTOFF: f64 = 1000;
// biome-ignore lint/suspicious/noApproximativeNumericConstant: DEFAULT_Q, as SPEC §6 writes it
const NAN_Q: f64 = 0.7071;
const MIN_Q: f64 = 0.1;
const MAX_Q: f64 = 40;
const MAX_GAIN_DB: f64 = 48;
const STATE_LIMIT: f64 = 1e30;
const STATE_FLOOR: f64 = 1e-30;

const B_IC1: usize = 0;
const B_IC2: usize = 8;
const B_CUTOFF: usize = 16;
const B_Q: usize = 24;
const B_GAIN: usize = 32;
const B_TARGET: usize = 40;
const B_FROM: usize = 80;
const B_CURRENT_MODE: usize = 120;
const B_DESIGNED_MODE: usize = 128;
const B_GLIDE_LEFT: usize = 136;
const B_GLIDE_FRAMES: usize = 144;
const B_MAX_CUTOFF: usize = 152;
const B_RADIANS_PER_HZ: usize = 160;
// Coefficient offsets within TARGET and FROM.
const C_G: usize = 0;
const C_K: usize = 8;
const C_M0: usize = 16;
const C_M1: usize = 24;
const C_M2: usize = 32;

/** sanitizeStates for one state: 0 unless finite, below STATE_LIMIT and above STATE_FLOOR in magnitude. */
function sanitized(s: f64): f64 {
  const magnitude = Math.abs(s);
  return magnitude > STATE_FLOOR && magnitude < STATE_LIMIT ? s : 0;
}

/** The biquad's `design(i)` and `designInto`: the target coefficients for these values (as read). */
function biquadDesign(state: usize, hz: f64, resonance: f64, decibels: f64): void {
  store<f64>(state, hz, B_CUTOFF);
  store<f64>(state, resonance, B_Q);
  store<f64>(state, decibels, B_GAIN);
  const mode = load<f64>(state, B_CURRENT_MODE);
  store<f64>(state, mode, B_DESIGNED_MODE);
  const f = isNaN(hz) ? NAN_CUTOFF : Math.min(load<f64>(state, B_MAX_CUTOFF), Math.max(MIN_CUTOFF, hz));
  const tanW = Math.tan(f * load<f64>(state, B_RADIANS_PER_HZ));
  const q = isNaN(resonance) ? NAN_Q : Math.min(MAX_Q, Math.max(MIN_Q, resonance));
  const gainDb = isNaN(decibels) ? 0 : Math.min(MAX_GAIN_DB, Math.max(-MAX_GAIN_DB, decibels));
  let g = tanW;
  let k = 1 / q;
  let m0: f64 = 0;
  let m1: f64 = 0;
  let m2: f64 = 0;
  switch (<i32>mode) {
    case 0: // lowpass
      m2 = 1;
      break;
    case 1: // highpass
      m0 = 1;
      m1 = -k;
      m2 = -1;
      break;
    case 2: // bandpass
      m1 = k;
      break;
    case 3: // notch
      m0 = 1;
      m1 = -k;
      break;
    case 7: // allpass
      m0 = 1;
      m1 = -2 * k;
      break;
    case 4: {
      // peak
      const a = 10 ** (gainDb / 40);
      k = 1 / (q * a);
      m0 = 1;
      m1 = k * (a * a - 1);
      break;
    }
    case 5: {
      // lowshelf
      const a = 10 ** (gainDb / 40);
      g = tanW / Math.sqrt(a);
      m0 = 1;
      m1 = k * (a - 1);
      m2 = a * a - 1;
      break;
    }
    case 6: {
      // highshelf
      const a = 10 ** (gainDb / 40);
      g = tanW * Math.sqrt(a);
      m0 = a * a;
      m1 = k * (1 - a) * a;
      m2 = 1 - a * a;
      break;
    }
  }
  const target = state + B_TARGET;
  store<f64>(target, g, C_G);
  store<f64>(target, k, C_K);
  store<f64>(target, m0, C_M0);
  store<f64>(target, m1, C_M1);
  store<f64>(target, m2, C_M2);
}

/** BiquadFilterNode.process after `readData`, step for step. */
function biquadOp(
  out: usize,
  input: usize,
  cutoff: usize,
  cutoffConstant: usize,
  q: usize,
  qConstant: usize,
  gain: usize,
  gainConstant: usize,
  state: usize,
  frames: i32,
): void {
  const target = state + B_TARGET;
  const from = state + B_FROM;
  let ic1 = load<f64>(state, B_IC1);
  let ic2 = load<f64>(state, B_IC2);
  let glideLeft = load<f64>(state, B_GLIDE_LEFT);
  if (
    load<i32>(cutoffConstant) !== 0 &&
    load<i32>(qConstant) !== 0 &&
    load<i32>(gainConstant) !== 0 &&
    glideLeft === 0
  ) {
    const hz = <f64>load<f32>(cutoff);
    const resonance = <f64>load<f32>(q);
    const decibels = <f64>load<f32>(gain);
    if (
      load<f64>(state, B_DESIGNED_MODE) !== load<f64>(state, B_CURRENT_MODE) ||
      hz !== load<f64>(state, B_CUTOFF) ||
      resonance !== load<f64>(state, B_Q) ||
      decibels !== load<f64>(state, B_GAIN)
    )
      biquadDesign(state, hz, resonance, decibels);
    const g = load<f64>(target, C_G);
    const a1 = 1 / (1 + g * (g + load<f64>(target, C_K)));
    const a2 = g * a1;
    const a3 = g * a2;
    const m0 = load<f64>(target, C_M0);
    const m1 = load<f64>(target, C_M1);
    const m2 = load<f64>(target, C_M2);
    for (let i = 0; i < frames; i++) {
      const at = (<usize>i) << 2;
      const v0 = <f64>load<f32>(input + at);
      const v3 = v0 - ic2;
      const v1 = a1 * ic1 + a2 * v3;
      const v2 = ic2 + a2 * ic1 + a3 * v3;
      ic1 = 2 * v1 - ic1;
      ic2 = 2 * v2 - ic2;
      store<f32>(out + at, <f32>(m0 * v0 + m1 * v1 + m2 * v2));
    }
  } else {
    const glideFrames = load<f64>(state, B_GLIDE_FRAMES);
    for (let i = 0; i < frames; i++) {
      const at = (<usize>i) << 2;
      const hz = <f64>load<f32>(cutoff + at);
      const resonance = <f64>load<f32>(q + at);
      const decibels = <f64>load<f32>(gain + at);
      if (
        load<f64>(state, B_DESIGNED_MODE) !== load<f64>(state, B_CURRENT_MODE) ||
        hz !== load<f64>(state, B_CUTOFF) ||
        resonance !== load<f64>(state, B_Q) ||
        decibels !== load<f64>(state, B_GAIN)
      )
        biquadDesign(state, hz, resonance, decibels);
      let g = load<f64>(target, C_G);
      let k = load<f64>(target, C_K);
      let m0 = load<f64>(target, C_M0);
      let m1 = load<f64>(target, C_M1);
      let m2 = load<f64>(target, C_M2);
      if (glideLeft > 0) {
        const w = glideLeft / glideFrames;
        glideLeft--;
        g += (load<f64>(from, C_G) - g) * w;
        k += (load<f64>(from, C_K) - k) * w;
        m0 += (load<f64>(from, C_M0) - m0) * w;
        m1 += (load<f64>(from, C_M1) - m1) * w;
        m2 += (load<f64>(from, C_M2) - m2) * w;
      }
      const a1 = 1 / (1 + g * (g + k));
      const a2 = g * a1;
      const a3 = g * a2;
      const v0 = <f64>load<f32>(input + at);
      const v3 = v0 - ic2;
      const v1 = a1 * ic1 + a2 * v3;
      const v2 = ic2 + a2 * ic1 + a3 * v3;
      ic1 = 2 * v1 - ic1;
      ic2 = 2 * v2 - ic2;
      store<f32>(out + at, <f32>(m0 * v0 + m1 * v1 + m2 * v2));
    }
  }
  store<f64>(state, glideLeft, B_GLIDE_LEFT);
  store<f64>(state, sanitized(ic1), B_IC1);
  store<f64>(state, sanitized(ic2), B_IC2);
}

// ------------------------------------------------------------------------------------------- delay
// DelayNode (src/nodes/delay/delay-node.ts): its constants and state layout (float64); the line (float32)
// is at the byte offset LINE_AT holds, LENGTH samples long.

const DEFAULT_TIME: f64 = 0.25;
const MIN_DELAY_SAMPLES: f64 = 2;
const MAX_FEEDBACK: f64 = 0.99;
const MAX_FOLLOW: f64 = 1;
const LINE_LIMIT: f64 = 100;
const WHOLE_SNAP: f64 = 1.0 / 4194304; // 2^-22

const D_CURRENT: usize = 0;
const D_NEXT: usize = 8;
const D_LONGEST: usize = 16;
const D_WRITE: usize = 24;
const D_FADE_LEFT: usize = 32;
const D_STARTED: usize = 40;
const D_LENGTH: usize = 48;
const D_LINE_AT: usize = 56;
const D_RATE: usize = 64;
const D_FADE_FRAMES: usize = 72;

/** delaySamples: a `time` value (seconds) in samples, clamped to 2…longest, NaN as the default, snapped. */
function delaySamples(seconds: f64, rate: f64, longest: f64): f64 {
  const d = isNaN(seconds)
    ? Math.min(longest, DEFAULT_TIME * rate)
    : Math.min(longest, Math.max(MIN_DELAY_SAMPLES, seconds * rate));
  const nearest = Math.round(d);
  return Math.abs(d - nearest) <= d * WHOLE_SNAP ? nearest : d;
}

/** A feedback value as DelayNode reads it: clamped to ±0.99, NaN as 0. */
function feedbackGain(g: f64): f64 {
  return isNaN(g) ? 0 : Math.min(MAX_FEEDBACK, Math.max(-MAX_FEEDBACK, g));
}

/** What goes into the line: within ±LINE_LIMIT, NaN as 0. */
function lineValue(v: f64): f32 {
  if (!(v >= -LINE_LIMIT && v <= LINE_LIMIT)) v = v > 0 ? LINE_LIMIT : v < 0 ? -LINE_LIMIT : 0;
  return <f32>v;
}

/** readAt: the line `delay` samples before slot `write`, 4-point Lagrange interpolated. */
function readAt(line: usize, length: i32, write: i32, delay: f64): f64 {
  const whole = Math.floor(delay);
  const f = delay - whole;
  let r = write - <i32>whole - 2;
  if (r < 0) r += length;
  const r1 = r + 1 < length ? r + 1 : r + 1 - length;
  const r2 = r1 + 1 < length ? r1 + 1 : r1 + 1 - length;
  if (f === 0) return <f64>load<f32>(line + ((<usize>r2) << 2));
  const r3 = r2 + 1 < length ? r2 + 1 : r2 + 1 - length;
  const fm1 = f - 1;
  const fm2 = f - 2;
  const fp1 = f + 1;
  return (
    ((fp1 * f * fm1) / 6) * <f64>load<f32>(line + ((<usize>r) << 2)) -
    ((fp1 * f * fm2) / 2) * <f64>load<f32>(line + ((<usize>r1) << 2)) +
    ((fp1 * fm1 * fm2) / 2) * <f64>load<f32>(line + ((<usize>r2) << 2)) -
    ((f * fm1 * fm2) / 6) * <f64>load<f32>(line + ((<usize>r3) << 2))
  );
}

/** DelayNode.process, step for step. */
function delayOp(
  out: usize,
  input: usize,
  time: usize,
  timeConstant: usize,
  feedback: usize,
  feedbackConstant: usize,
  state: usize,
  frames: i32,
): void {
  const length = <i32>load<f64>(state, D_LENGTH);
  if (length === 0) {
    for (let i = 0; i < frames; i++) store<f32>(out + ((<usize>i) << 2), 0);
    return;
  }
  const line = <usize>(<i32>load<f64>(state, D_LINE_AT));
  const rate = load<f64>(state, D_RATE);
  const longest = load<f64>(state, D_LONGEST);
  let w = <i32>load<f64>(state, D_WRITE);
  let fadeLeft = <i32>load<f64>(state, D_FADE_LEFT);
  if (load<f64>(state, D_STARTED) === 0) {
    store<f64>(state, delaySamples(<f64>load<f32>(time), rate, longest), D_CURRENT);
    store<f64>(state, 1, D_STARTED);
  }
  if (
    load<i32>(timeConstant) !== 0 &&
    load<i32>(feedbackConstant) !== 0 &&
    fadeLeft === 0 &&
    delaySamples(<f64>load<f32>(time), rate, longest) === load<f64>(state, D_CURRENT)
  ) {
    const d = load<f64>(state, D_CURRENT);
    const whole = Math.floor(d);
    const f = d - whole;
    const gain = feedbackGain(<f64>load<f32>(feedback));
    const fm1 = f - 1;
    const fm2 = f - 2;
    const fp1 = f + 1;
    const h0 = (-f * fm1 * fm2) / 6;
    const h1 = (fp1 * fm1 * fm2) / 2;
    const h2 = (-fp1 * f * fm2) / 2;
    const h3 = (fp1 * f * fm1) / 6;
    let r = w - <i32>whole - 2;
    if (r < 0) r += length;
    for (let i = 0; i < frames; i++) {
      const r1 = r + 1 < length ? r + 1 : r + 1 - length;
      const r2 = r1 + 1 < length ? r1 + 1 : r1 + 1 - length;
      const r3 = r2 + 1 < length ? r2 + 1 : r2 + 1 - length;
      const y: f64 =
        f === 0
          ? <f64>load<f32>(line + ((<usize>r2) << 2))
          : h3 * <f64>load<f32>(line + ((<usize>r) << 2)) +
            h2 * <f64>load<f32>(line + ((<usize>r1) << 2)) +
            h1 * <f64>load<f32>(line + ((<usize>r2) << 2)) +
            h0 * <f64>load<f32>(line + ((<usize>r3) << 2));
      const at = (<usize>i) << 2;
      store<f32>(out + at, <f32>y);
      store<f32>(line + ((<usize>w) << 2), lineValue(<f64>load<f32>(input + at) + gain * y));
      w = w + 1 < length ? w + 1 : 0;
      r = r1;
    }
  } else {
    const fadeFrames = <i32>load<f64>(state, D_FADE_FRAMES);
    const inverseFade = 1 / <f64>fadeFrames;
    let current = load<f64>(state, D_CURRENT);
    let next = load<f64>(state, D_NEXT);
    for (let i = 0; i < frames; i++) {
      const at = (<usize>i) << 2;
      const target = delaySamples(<f64>load<f32>(time + at), rate, longest);
      let y: f64;
      if (fadeLeft === 0) {
        if (Math.abs(target - current) <= MAX_FOLLOW) current = target;
        else {
          next = target;
          fadeLeft = fadeFrames;
        }
      } else if (Math.abs(target - next) <= MAX_FOLLOW) next = target;
      const from = readAt(line, length, w, current);
      if (fadeLeft > 0) {
        const p = <f64>(fadeFrames - fadeLeft + 1) * inverseFade;
        const weight = p * p * (3 - 2 * p);
        y = from + (readAt(line, length, w, next) - from) * weight;
        fadeLeft--;
        if (fadeLeft === 0) current = next;
      } else y = from;
      store<f32>(out + at, <f32>y);
      const gain = feedbackGain(<f64>load<f32>(feedback + at));
      store<f32>(line + ((<usize>w) << 2), lineValue(<f64>load<f32>(input + at) + gain * y));
      w = w + 1 < length ? w + 1 : 0;
    }
    store<f64>(state, current, D_CURRENT);
    store<f64>(state, next, D_NEXT);
  }
  store<f64>(state, <f64>w, D_WRITE);
  store<f64>(state, <f64>fadeLeft, D_FADE_LEFT);
}
