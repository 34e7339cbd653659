// AssemblyScript (not TypeScript; built with kernels.ts, which imports it): the ops of the nodes with a data
// input, opcodes 50–69 of src/engine/wasm/ops.ts. What the data input decides (an op code and its fade, a
// filter mode and its glide, a delay line) the node's `readData` or `configure` writes into its state before
// the op runs; each op is then its node's `process` step for step, in float64 where JS computes in doubles,
// with float32 stores, on the same state in the kernels' memory (the layouts below must match the nodes'
// state indices). test/engine/op-list-data.test.ts compares the two paths.

const OP_MATH: i32 = 50;
const OP_BIQUAD: i32 = 51;

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

/**
 * MathNode's `compute`: out[i] = op(a[i], b[i]); both operands constant → the first frame, filled. One loop
 * with the op chosen per sample (JS has a loop per op): a branch the CPU predicts, and a small binary (the
 * kernels are embedded in the browser bundles, which have a size budget).
 */
function mathCompute(op: i32, x: usize, y: usize, out: usize, constant: bool, frames: i32): void {
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
