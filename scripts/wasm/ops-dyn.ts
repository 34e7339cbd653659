// AssemblyScript: the op kernels of the dynamics nodes (opcodes 90–109 of src/engine/wasm/ops.ts), imported by
// scripts/wasm/kernels.ts, whose `runOps` hands every op in that range to `runDynOp`. Each kernel is its
// node's `process` step for step, in float64 where JS computes in doubles, with float32 stores, the same
// clamps and NaN readings, on the state block that `process` uses too (the layouts below must match the
// nodes' state indices). What an op cannot do itself (publish an export) its node's `publishExports` does
// from the state after the segment. test/engine/op-list-dyn.test.ts compares the two paths.

const OP_COMPRESSOR: i32 = 90;

/** Runs one op of this range (`op` its record, `out` its output); runOps checks that output after. */
export function runDynOp(code: i32, op: usize, out: usize, frames: i32): void {
  if (code === OP_COMPRESSOR) compressorOp(op, out, frames);
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
  store<f64>(state, attackSeen, C_ATTACK_SEEN);
  store<f64>(state, attackCoefficient, C_ATTACK_COEFFICIENT);
  store<f64>(state, releaseSeen, C_RELEASE_SEEN);
  store<f64>(state, releaseCoefficient, C_RELEASE_COEFFICIENT);
}
