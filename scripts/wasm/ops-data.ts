// AssemblyScript (not TypeScript; built with kernels.ts, which imports it): the ops of the nodes with a data
// input, opcodes 50–69 of src/engine/wasm/ops.ts. What the data input decides (an op code and its fade, a
// filter mode and its glide, a delay line) the node's `readData` or `configure` writes into its state before
// the op runs; each op is then its node's `process` step for step, in float64 where JS computes in doubles,
// with float32 stores, on the same state in the kernels' memory (the layouts below must match the nodes'
// state indices). test/engine/op-list-data.test.ts compares the two paths.

const OP_MATH: i32 = 50;

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
