// AssemblyScript: the op kernels of the filter and mixing nodes (opcodes 30–49 of src/engine/wasm/ops.ts),
// imported by scripts/wasm/kernels.ts, whose `runOps` hands every op in that range to `runFilterOp`. Each
// kernel is its node's `process` step for step, in float64 where JS computes in doubles, with float32 stores,
// the same clamps, NaN readings and state sanitising, on the state block that `process` uses too (the layouts
// below must match the nodes' state indices). test/engine/op-list-filter.test.ts compares the two paths.

import { constantBlock } from './kernels';

const OP_LADDER: i32 = 30;
const OP_SVF: i32 = 31;
const OP_PAN: i32 = 32;
const OP_CROSSFADE: i32 = 33;

/** Runs one op of this range (`op` its record, `out` its first output); runOps checks that output after. */
export function runFilterOp(code: i32, op: usize, out: usize, frames: i32): void {
  if (code === OP_LADDER) {
    ladderOp(
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
  } else if (code === OP_SVF) {
    svfOp(
      out,
      <usize>load<i32>(op, 12),
      <usize>load<i32>(op, 20),
      <usize>load<i32>(op, 24),
      <usize>load<i32>(op, 28),
      <usize>load<i32>(op, 32),
      <usize>load<i32>(op, 36),
      <usize>load<i32>(op, 40),
      <usize>load<i32>(op, 44),
      <usize>load<i32>(op, 48),
      frames,
    );
  } else if (code === OP_PAN) {
    panOp(
      out,
      <usize>load<i32>(op, 12),
      <usize>load<i32>(op, 16),
      <usize>load<i32>(op, 20),
      <usize>load<i32>(op, 24),
      <usize>load<i32>(op, 28),
      <usize>load<i32>(op, 32),
      frames,
    );
  } else if (code === OP_CROSSFADE) {
    crossfadeOp(
      out,
      <usize>load<i32>(op, 12),
      <usize>load<i32>(op, 20),
      <usize>load<i32>(op, 28),
      <usize>load<i32>(op, 32),
      <usize>load<i32>(op, 36),
      frames,
    );
  }
}

/**
 * A node with more than one output: runOps checks only the first, so when another one's first or last
 * sample is non-finite (where the JS path's check would mute the node), the first output's first sample is
 * made NaN. The node is then muted and all its outputs zeroed, as in JS.
 */
function flagOtherOutput(out: usize, other: usize, frames: i32): void {
  const first = load<f32>(other);
  const last = load<f32>(other + ((<usize>(frames - 1)) << 2));
  if (first - first !== 0 || last - last !== 0) store<f32>(out, NaN);
}

// ------------------------------------------------------------------------------------------- shared limits
// As src/nodes/filters/filter-limits.ts.

const MIN_CUTOFF: f64 = 10;
/** What a NaN cutoff reads as (DEFAULT_CUTOFF). */
const NAN_CUTOFF: f64 = 1000;
const STATE_LIMIT: f64 = 1e30;
const STATE_FLOOR: f64 = 1e-30;

/** sanitizeStates for one state: 0 unless finite, below STATE_LIMIT and above STATE_FLOOR in magnitude. */
function sanitized(s: f64): f64 {
  const magnitude = Math.abs(s);
  return magnitude > STATE_FLOOR && magnitude < STATE_LIMIT ? s : 0;
}

// ------------------------------------------------------------------------------------------- ladder
// LadderFilterNode (src/nodes/filters/ladder-filter-node.ts): its constants and state layout (float64 slots,
// then the hiss generator's int32 seed).

const MAX_FEEDBACK: f64 = 4.6;
const MAKEUP: f64 = 0.5;
const MIN_DRIVE_DB: f64 = -24;
const MAX_DRIVE_DB: f64 = 36;
const NOISE_FLOOR: f64 = 1e-8;

const L_S1: usize = 0;
const L_S2: usize = 8;
const L_S3: usize = 16;
const L_S4: usize = 24;
const L_CUTOFF: usize = 32;
const L_RESONANCE: usize = 40;
const L_DRIVE: usize = 48;
const L_G: usize = 56;
const L_K: usize = 64;
const L_INPUT_GAIN: usize = 72;
const L_KG4: usize = 80;
const L_INVERSE: usize = 88;
const L_OUTPUT_GAIN: usize = 96;
const L_MAX_CUTOFF: usize = 104;
const L_RADIANS_PER_HZ: usize = 112;
const L_G2: usize = 120;
const L_G3: usize = 128;
const L_G4: usize = 136;
const L_SUM_GAIN: usize = 144;
const L_SATURATOR_BASE: usize = 152;
const L_SATURATOR_SLOPE: usize = 160;
const L_SUM: usize = 168;
const L_D_OWN: usize = 176;
const L_D_NEXT: usize = 184;
const L_D_NEXT2: usize = 192;
const L_K_INVERSE: usize = 200;
const L_SEED: usize = 208;
const LADDER_CHUNK: i32 = 16;
/**
 * ladderLanes' scratch: LADDER_CHUNK frames of two f64x2, in the static data (page 0). One per memory, which
 * is safe while each memory's kernels run on one thread (a Kernels per renderer); kept out of the ladder's
 * state so a ladder that never leads lanes (ladder-sweep-100) does not carry 512 B more.
 */
const LADDER_SCRATCH: usize = memory.data(LADDER_CHUNK * 32, 16);

/** The ladder's `design(i)`: coefficients for these parameter values (as read), NaN as the default. */
function ladderDesign(state: usize, hz: f64, r: f64, decibels: f64): void {
  store<f64>(state, hz, L_CUTOFF);
  store<f64>(state, r, L_RESONANCE);
  store<f64>(state, decibels, L_DRIVE);
  const f = isNaN(hz) ? NAN_CUTOFF : Math.min(load<f64>(state, L_MAX_CUTOFF), Math.max(MIN_CUTOFF, hz));
  const res = isNaN(r) ? 0 : Math.min(1, Math.max(0, r));
  const db = isNaN(decibels) ? 0 : Math.min(MAX_DRIVE_DB, Math.max(MIN_DRIVE_DB, decibels));
  const g = Math.tan(f * load<f64>(state, L_RADIANS_PER_HZ));
  const gg = g / (1 + g);
  const k = MAX_FEEDBACK * res;
  const kg4 = k * gg * gg * gg * gg;
  store<f64>(state, gg, L_G);
  store<f64>(state, k, L_K);
  store<f64>(state, 10 ** (db / 20), L_INPUT_GAIN);
  store<f64>(state, kg4, L_KG4);
  store<f64>(state, 1 / (1 + kg4), L_INVERSE);
  store<f64>(state, 1 + MAKEUP * k, L_OUTPUT_GAIN);
  const g2 = gg * gg;
  const g3 = g2 * gg;
  const g4 = g3 * gg;
  store<f64>(state, g2, L_G2);
  store<f64>(state, g3, L_G3);
  store<f64>(state, g4, L_G4);
  store<f64>(state, 8 * (1 - gg) * g4, L_SUM_GAIN);
  store<f64>(state, 27 + 27 * kg4, L_SATURATOR_BASE);
  store<f64>(state, 9 + kg4, L_SATURATOR_SLOPE);
  const next = 2 * gg * (1 - gg);
  store<f64>(state, 1 - 2 * gg, L_D_OWN);
  store<f64>(state, next, L_D_NEXT);
  store<f64>(state, next * gg, L_D_NEXT2);
  store<f64>(state, k * (1 / (1 + kg4)), L_K_INVERSE);
}

/** The ladder's `stateSum`: the states' share of the fourth pole's output, for the gain `gg`. */
function ladderSum(s1: f64, s2: f64, s3: f64, s4: f64, gg: f64): f64 {
  return (((s1 * gg + s2) * gg + s3) * gg + s4) * (1 - gg);
}

/** `ladderSum` of the states and gain stored in a ladder's `state`. */
function ladderSumAt(state: usize): f64 {
  return ladderSum(
    load<f64>(state, L_S1),
    load<f64>(state, L_S2),
    load<f64>(state, L_S3),
    load<f64>(state, L_S4),
    load<f64>(state, L_G),
  );
}

/** LadderFilterNode.process, step for step (its comments say why the loop is written so). */
function ladderOp(
  out: usize,
  input: usize,
  cutoff: usize,
  cutoffConstant: usize,
  resonance: usize,
  resonanceConstant: usize,
  drive: usize,
  driveConstant: usize,
  state: usize,
  frames: i32,
): void {
  let s1 = load<f64>(state, L_S1);
  let s2 = load<f64>(state, L_S2);
  let s3 = load<f64>(state, L_S3);
  let s4 = load<f64>(state, L_S4);
  let sum = ladderSum(s1, s2, s3, s4, load<f64>(state, L_G));
  // Inputs constant this block, flagged or found so (a cutoff from an inlet): process() takes its per-frame
  // path there, which designs at most once, at frame 0, as this constant path does.
  const moving = !(
    constantBlock(cutoff, cutoffConstant, frames) &&
    constantBlock(resonance, resonanceConstant, frames) &&
    constantBlock(drive, driveConstant, frames)
  );
  if (!moving) {
    const hz = <f64>load<f32>(cutoff);
    const r = <f64>load<f32>(resonance);
    const d = <f64>load<f32>(drive);
    if (
      hz !== load<f64>(state, L_CUTOFF) ||
      r !== load<f64>(state, L_RESONANCE) ||
      d !== load<f64>(state, L_DRIVE)
    ) {
      ladderDesign(state, hz, r, d);
      sum = ladderSum(s1, s2, s3, s4, load<f64>(state, L_G));
    }
  }
  let gg = load<f64>(state, L_G);
  let k = load<f64>(state, L_K);
  let kg4 = load<f64>(state, L_KG4);
  let inputGain = load<f64>(state, L_INPUT_GAIN);
  let inverse = load<f64>(state, L_INVERSE);
  let outputGain = load<f64>(state, L_OUTPUT_GAIN);
  let g2 = load<f64>(state, L_G2);
  let g3 = load<f64>(state, L_G3);
  let g4 = load<f64>(state, L_G4);
  let sumGain = load<f64>(state, L_SUM_GAIN);
  let saturatorBase = load<f64>(state, L_SATURATOR_BASE);
  let saturatorSlope = load<f64>(state, L_SATURATOR_SLOPE);
  let own = load<f64>(state, L_D_OWN);
  let next1 = load<f64>(state, L_D_NEXT);
  let next2 = load<f64>(state, L_D_NEXT2);
  let kInverse = load<f64>(state, L_K_INVERSE);
  let seed = load<i32>(state, L_SEED);
  const hissScale = NOISE_FLOOR / 65536;
  for (let i = 0; i < frames; i++) {
    const at = (<usize>i) << 2;
    if (moving) {
      const hz = <f64>load<f32>(cutoff + at);
      const r = <f64>load<f32>(resonance + at);
      const d = <f64>load<f32>(drive + at);
      if (
        hz !== load<f64>(state, L_CUTOFF) ||
        r !== load<f64>(state, L_RESONANCE) ||
        d !== load<f64>(state, L_DRIVE)
      ) {
        ladderDesign(state, hz, r, d);
        gg = load<f64>(state, L_G);
        k = load<f64>(state, L_K);
        kg4 = load<f64>(state, L_KG4);
        inputGain = load<f64>(state, L_INPUT_GAIN);
        inverse = load<f64>(state, L_INVERSE);
        outputGain = load<f64>(state, L_OUTPUT_GAIN);
        g2 = load<f64>(state, L_G2);
        g3 = load<f64>(state, L_G3);
        g4 = load<f64>(state, L_G4);
        sumGain = load<f64>(state, L_SUM_GAIN);
        saturatorBase = load<f64>(state, L_SATURATOR_BASE);
        saturatorSlope = load<f64>(state, L_SATURATOR_SLOPE);
        own = load<f64>(state, L_D_OWN);
        next1 = load<f64>(state, L_D_NEXT);
        next2 = load<f64>(state, L_D_NEXT2);
        kInverse = load<f64>(state, L_K_INVERSE);
        sum = ladderSum(s1, s2, s3, s4, gg);
      }
    }
    seed = (seed * 25173 + 13849) & 0xffff;
    const hiss = (<f64>seed - 32767.5) * hissScale;
    const u0 = <f64>load<f32>(input + at) * inputGain + hiss;
    const drivePart = u0 - k * sum;
    const predicted = u0 * inverse - kInverse * sum;
    const p2 = predicted * predicted;
    let u: f64;
    let fromU: f64;
    if (p2 < 9) {
      const numerator = (27 + p2) * drivePart;
      const denominator = saturatorBase + saturatorSlope * p2;
      u = numerator / denominator;
      fromU = (sumGain * numerator) / denominator;
    } else {
      const denominator = Math.sqrt(p2) + kg4;
      u = drivePart / denominator;
      fromU = (sumGain * drivePart) / denominator;
    }
    const d1 = own * s1;
    const d2 = next1 * s1 + own * s2;
    const d3 = next2 * s1 + next1 * s2 + own * s3;
    const d4 = 2 * sum - s4;
    const y4 = g4 * u + sum;
    s1 = 2 * gg * u + d1;
    s2 = 2 * g2 * u + d2;
    s3 = 2 * g3 * u + d3;
    s4 = 2 * g4 * u + d4;
    sum = fromU + (1 - gg) * (g3 * d1 + g2 * d2 + (gg * d3 + d4));
    store<f32>(out + at, <f32>(y4 * outputGain));
  }
  store<i32>(state, seed, L_SEED);
  store<f64>(state, sum, L_SUM);
  store<f64>(state, sanitized(s1), L_S1);
  store<f64>(state, sanitized(s2), L_S2);
  store<f64>(state, sanitized(s3), L_S3);
  store<f64>(state, sanitized(s4), L_S4);
}

// ------------------------------------------------------------------------------------------- ladders in lanes
// A ladder's loop is one long serial chain (two divisions a frame), so one ladder leaves the core idle most
// of each frame. Independent ladders next to each other in the list (a VoicesNode lists its voices' ops side
// by side: src/engine/child-group.ts) run four at a time in two f64x2 vectors: the same IEEE operations in
// the same order per lane as ladderOp, so each lane's output is bit for bit the scalar one.

/** Ladders (≤ 4) run together: their records. */
const LANE_OPS: i32 = 4;

/** The ladder op `op`'s inputs are constant this block (ladderOp's steady path); designs when they changed. */
function ladderSteady(op: usize, frames: i32): bool {
  const cutoff = <usize>load<i32>(op, 20);
  const resonance = <usize>load<i32>(op, 28);
  const drive = <usize>load<i32>(op, 36);
  return (
    constantBlock(cutoff, <usize>load<i32>(op, 24), frames) &&
    constantBlock(resonance, <usize>load<i32>(op, 32), frames) &&
    constantBlock(drive, <usize>load<i32>(op, 40), frames)
  );
}

/** Designs ladder `op` for its (constant) inputs when they changed, as ladderOp does at frame 0. */
function ladderDesignSteady(op: usize): void {
  const state = <usize>load<i32>(op, 44);
  const hz = <f64>load<f32>(<usize>load<i32>(op, 20));
  const r = <f64>load<f32>(<usize>load<i32>(op, 28));
  const d = <f64>load<f32>(<usize>load<i32>(op, 36));
  if (
    hz !== load<f64>(state, L_CUTOFF) ||
    r !== load<f64>(state, L_RESONANCE) ||
    d !== load<f64>(state, L_DRIVE)
  )
    ladderDesign(state, hz, r, d);
}

/** `op` reads none of the outputs of the `n` records at list position `ops`. */
function independent(op: usize, ops: usize, n: i32): bool {
  const input = load<i32>(op, 12);
  const cutoff = load<i32>(op, 20);
  const resonance = load<i32>(op, 28);
  const drive = load<i32>(op, 36);
  for (let j = 0; j < n; j++) {
    const out = load<i32>(<usize>load<i32>(ops + ((<usize>j) << 2)), 8);
    if (out === input || out === cutoff || out === resonance || out === drive) return false;
  }
  return true;
}

/**
 * Runs the ladder op at list position `ops` (of `left` ops from there), with up to three more ladders that
 * follow it when they can run in lanes. Returns how many ops it ran (≥ 1).
 */
export function runLadders(ops: usize, left: i32, frames: i32): i32 {
  const first = <usize>load<i32>(ops);
  let n = 1;
  if (ladderSteady(first, frames)) {
    while (n < LANE_OPS && n < left) {
      const op = <usize>load<i32>(ops + ((<usize>n) << 2));
      if (load<i32>(op) !== OP_LADDER || load<i32>(op, 4) !== 0) break;
      if (!independent(op, ops, n) || !ladderSteady(op, frames)) break;
      n++;
    }
  }
  if (n === 1) {
    runFilterOp(OP_LADDER, first, <usize>load<i32>(first, 8), frames);
    return 1;
  }
  for (let j = 0; j < n; j++) ladderDesignSteady(<usize>load<i32>(ops + ((<usize>j) << 2)));
  // Ladders designed alike (a VoicesNode's voices under shared cutoff and resonance inlets) share one set of
  // coefficient vectors: half the loop invariants, so far fewer of them spill out of the 16 vector
  // registers each frame (poly-32: ~7 % faster overall). The same values, so the same samples.
  if (sameDesigns(ops, n)) inline.always(ladderLanes(ops, n, frames, true));
  else inline.always(ladderLanes(ops, n, frames, false));
  return n;
}

/** The design slots (L_G … L_K_INVERSE) that ladderLanes reads, as bits: ladders equal in these compute alike. */
function sameDesign(a: usize, b: usize): bool {
  for (let at = L_G; at <= L_K_INVERSE; at += 8) if (load<i64>(a + at) !== load<i64>(b + at)) return false;
  return true;
}

/** The `n` ladders at list position `ops` have the same design. */
function sameDesigns(ops: usize, n: i32): bool {
  const first = <usize>load<i32>(<usize>load<i32>(ops), 44);
  for (let j = 1; j < n; j++) {
    if (!sameDesign(first, <usize>load<i32>(<usize>load<i32>(ops + ((<usize>j) << 2)), 44))) return false;
  }
  return true;
}

/** Lane `j`'s record: lanes past `n` repeat lane 0 (computed, never stored). */
function laneOp(ops: usize, j: i32, n: i32): usize {
  return <usize>load<i32>(ops + ((<usize>(j < n ? j : 0)) << 2));
}

function pairOf(a: usize, b: usize, offset: usize): v128 {
  return f64x2(load<f64>(a + offset), load<f64>(b + offset));
}

/**
 * ladderOp's steady path for `n` (2…4) ladders at once: lanes 0–1 in vector A, 2–3 in B. `shared` (a
 * constant at each inlined call): every lane has lane 0's design, so B uses A's coefficient vectors.
 */
function ladderLanes(ops: usize, n: i32, frames: i32, shared: bool): void {
  const r0 = laneOp(ops, 0, n);
  const r1 = laneOp(ops, 1, n);
  const r2 = laneOp(ops, 2, n);
  const r3 = laneOp(ops, 3, n);
  const o0 = <usize>load<i32>(r0, 8);
  const o1 = <usize>load<i32>(r1, 8);
  const o2 = <usize>load<i32>(r2, 8);
  const o3 = <usize>load<i32>(r3, 8);
  const i0 = <usize>load<i32>(r0, 12);
  const i1 = <usize>load<i32>(r1, 12);
  const i2 = <usize>load<i32>(r2, 12);
  const i3 = <usize>load<i32>(r3, 12);
  const t0 = <usize>load<i32>(r0, 44);
  const t1 = <usize>load<i32>(r1, 44);
  const t2 = <usize>load<i32>(r2, 44);
  const t3 = <usize>load<i32>(r3, 44);
  let s1A = pairOf(t0, t1, L_S1);
  let s2A = pairOf(t0, t1, L_S2);
  let s3A = pairOf(t0, t1, L_S3);
  let s4A = pairOf(t0, t1, L_S4);
  let s1B = pairOf(t2, t3, L_S1);
  let s2B = pairOf(t2, t3, L_S2);
  let s3B = pairOf(t2, t3, L_S3);
  let s4B = pairOf(t2, t3, L_S4);
  const ggA = pairOf(t0, t1, L_G);
  const ggB = shared ? ggA : pairOf(t2, t3, L_G);
  let sumA = f64x2(ladderSumAt(t0), ladderSumAt(t1));
  let sumB = f64x2(ladderSumAt(t2), ladderSumAt(t3));
  const kA = pairOf(t0, t1, L_K);
  const kB = shared ? kA : pairOf(t2, t3, L_K);
  const kg4A = pairOf(t0, t1, L_KG4);
  const kg4B = shared ? kg4A : pairOf(t2, t3, L_KG4);
  const inputGainA = pairOf(t0, t1, L_INPUT_GAIN);
  const inputGainB = shared ? inputGainA : pairOf(t2, t3, L_INPUT_GAIN);
  const inverseA = pairOf(t0, t1, L_INVERSE);
  const inverseB = shared ? inverseA : pairOf(t2, t3, L_INVERSE);
  const outputGainA = pairOf(t0, t1, L_OUTPUT_GAIN);
  const outputGainB = shared ? outputGainA : pairOf(t2, t3, L_OUTPUT_GAIN);
  const g2A = pairOf(t0, t1, L_G2);
  const g2B = shared ? g2A : pairOf(t2, t3, L_G2);
  const g3A = pairOf(t0, t1, L_G3);
  const g3B = shared ? g3A : pairOf(t2, t3, L_G3);
  const g4A = pairOf(t0, t1, L_G4);
  const g4B = shared ? g4A : pairOf(t2, t3, L_G4);
  const sumGainA = pairOf(t0, t1, L_SUM_GAIN);
  const sumGainB = shared ? sumGainA : pairOf(t2, t3, L_SUM_GAIN);
  const baseA = pairOf(t0, t1, L_SATURATOR_BASE);
  const baseB = shared ? baseA : pairOf(t2, t3, L_SATURATOR_BASE);
  const slopeA = pairOf(t0, t1, L_SATURATOR_SLOPE);
  const slopeB = shared ? slopeA : pairOf(t2, t3, L_SATURATOR_SLOPE);
  const ownA = pairOf(t0, t1, L_D_OWN);
  const ownB = shared ? ownA : pairOf(t2, t3, L_D_OWN);
  const next1A = pairOf(t0, t1, L_D_NEXT);
  const next1B = shared ? next1A : pairOf(t2, t3, L_D_NEXT);
  const next2A = pairOf(t0, t1, L_D_NEXT2);
  const next2B = shared ? next2A : pairOf(t2, t3, L_D_NEXT2);
  const kInverseA = pairOf(t0, t1, L_K_INVERSE);
  const kInverseB = shared ? kInverseA : pairOf(t2, t3, L_K_INVERSE);
  // Loop-invariant factors of ladderOp's expressions, the same values it computes each frame.
  const one = f64x2.splat(1);
  const nine = f64x2.splat(9);
  const twentySeven = f64x2.splat(27);
  const keepA = f64x2.sub(one, ggA);
  const keepB = shared ? keepA : f64x2.sub(one, ggB);
  const half = f64x2.splat(32767.5);
  const hissScale = f64x2.splat(NOISE_FLOOR / 65536);
  let seeds = i32x4(
    load<i32>(t0, L_SEED),
    load<i32>(t1, L_SEED),
    load<i32>(t2, L_SEED),
    load<i32>(t3, L_SEED),
  );
  const multiplier = i32x4.splat(25173);
  const increment = i32x4.splat(13849);
  const mask16 = i32x4.splat(0xffff);
  // The loop runs in chunks of LADDER_CHUNK frames, in three passes over a static scratch: the
  // inputs with gain and hiss (u0, no dependence between frames), then the loop proper (it reads u0, and
  // writes in its place the fourth pole's output before the output gain), then the outputs. The first and
  // last passes take seven invariants and a third of the operations out of the serial loop, which spilled.
  const scratch = LADDER_SCRATCH;
  for (let c = 0; c < frames; c += LADDER_CHUNK) {
    const chunk = min(frames - c, LADDER_CHUNK);
    for (let j = 0; j < chunk; j++) {
      const at = (<usize>(c + j)) << 2;
      const slot = scratch + ((<usize>j) << 5);
      seeds = v128.and(i32x4.add(i32x4.mul(seeds, multiplier), increment), mask16);
      const hissA = f64x2.mul(f64x2.sub(f64x2.convert_low_i32x4_s(seeds), half), hissScale);
      const hissB = f64x2.mul(
        f64x2.sub(f64x2.convert_low_i32x4_s(v128.shuffle<i32>(seeds, seeds, 2, 3, 0, 1)), half),
        hissScale,
      );
      // Two float32 inputs into one vector of doubles (the same widening as ladderOp's <f64>load<f32>).
      const inA = f64x2.promote_low_f32x4(v128.load32_lane(i1 + at, v128.load32_zero(i0 + at), 1));
      const inB = f64x2.promote_low_f32x4(v128.load32_lane(i3 + at, v128.load32_zero(i2 + at), 1));
      v128.store(slot, f64x2.add(f64x2.mul(inA, inputGainA), hissA));
      v128.store(slot, f64x2.add(f64x2.mul(inB, inputGainB), hissB), 16);
    }
    for (let j = 0; j < chunk; j++) {
      const slot = scratch + ((<usize>j) << 5);
      const u0A = v128.load(slot);
      const u0B = v128.load(slot, 16);
      const driveA = f64x2.sub(u0A, f64x2.mul(kA, sumA));
      const driveB = f64x2.sub(u0B, f64x2.mul(kB, sumB));
      const predictedA = f64x2.sub(f64x2.mul(u0A, inverseA), f64x2.mul(kInverseA, sumA));
      const predictedB = f64x2.sub(f64x2.mul(u0B, inverseB), f64x2.mul(kInverseB, sumB));
      const p2A = f64x2.mul(predictedA, predictedA);
      const p2B = f64x2.mul(predictedB, predictedB);
      // ladderOp's branch on p2 < 9 as a lane select (a NaN p2 takes the else side there too).
      const smallA = f64x2.lt(p2A, nine);
      const smallB = f64x2.lt(p2B, nine);
      const numA = v128.bitselect(f64x2.mul(f64x2.add(twentySeven, p2A), driveA), driveA, smallA);
      const numB = v128.bitselect(f64x2.mul(f64x2.add(twentySeven, p2B), driveB), driveB, smallB);
      // The square root (the slowest step) only when a lane needs it, as ladderOp takes it only there.
      let denA = f64x2.add(baseA, f64x2.mul(slopeA, p2A));
      if (!i64x2.all_true(smallA)) denA = v128.bitselect(denA, f64x2.add(f64x2.sqrt(p2A), kg4A), smallA);
      let denB = f64x2.add(baseB, f64x2.mul(slopeB, p2B));
      if (!i64x2.all_true(smallB)) denB = v128.bitselect(denB, f64x2.add(f64x2.sqrt(p2B), kg4B), smallB);
      const uA = f64x2.div(numA, denA);
      const uB = f64x2.div(numB, denB);
      const fromUA = f64x2.div(f64x2.mul(sumGainA, numA), denA);
      const fromUB = f64x2.div(f64x2.mul(sumGainB, numB), denB);
      // 2·G^i·u as G^i·(u + u): doubling is exact, so the same values with four fewer invariants a vector.
      const u2A = f64x2.add(uA, uA);
      const u2B = f64x2.add(uB, uB);
      const d1A = f64x2.mul(ownA, s1A);
      const d1B = f64x2.mul(ownB, s1B);
      const d2A = f64x2.add(f64x2.mul(next1A, s1A), f64x2.mul(ownA, s2A));
      const d2B = f64x2.add(f64x2.mul(next1B, s1B), f64x2.mul(ownB, s2B));
      const d3A = f64x2.add(f64x2.add(f64x2.mul(next2A, s1A), f64x2.mul(next1A, s2A)), f64x2.mul(ownA, s3A));
      const d3B = f64x2.add(f64x2.add(f64x2.mul(next2B, s1B), f64x2.mul(next1B, s2B)), f64x2.mul(ownB, s3B));
      const d4A = f64x2.sub(f64x2.add(sumA, sumA), s4A);
      const d4B = f64x2.sub(f64x2.add(sumB, sumB), s4B);
      v128.store(slot, f64x2.add(f64x2.mul(g4A, uA), sumA));
      v128.store(slot, f64x2.add(f64x2.mul(g4B, uB), sumB), 16);
      s1A = f64x2.add(f64x2.mul(ggA, u2A), d1A);
      s1B = f64x2.add(f64x2.mul(ggB, u2B), d1B);
      s2A = f64x2.add(f64x2.mul(g2A, u2A), d2A);
      s2B = f64x2.add(f64x2.mul(g2B, u2B), d2B);
      s3A = f64x2.add(f64x2.mul(g3A, u2A), d3A);
      s3B = f64x2.add(f64x2.mul(g3B, u2B), d3B);
      s4A = f64x2.add(f64x2.mul(g4A, u2A), d4A);
      s4B = f64x2.add(f64x2.mul(g4B, u2B), d4B);
      sumA = f64x2.add(
        fromUA,
        f64x2.mul(
          keepA,
          f64x2.add(f64x2.add(f64x2.mul(g3A, d1A), f64x2.mul(g2A, d2A)), f64x2.add(f64x2.mul(ggA, d3A), d4A)),
        ),
      );
      sumB = f64x2.add(
        fromUB,
        f64x2.mul(
          keepB,
          f64x2.add(f64x2.add(f64x2.mul(g3B, d1B), f64x2.mul(g2B, d2B)), f64x2.add(f64x2.mul(ggB, d3B), d4B)),
        ),
      );
    }
    for (let j = 0; j < chunk; j++) {
      const at = (<usize>(c + j)) << 2;
      const slot = scratch + ((<usize>j) << 5);
      // Rounded to float32 as ladderOp's <f32> store does.
      const outA = f32x4.demote_f64x2_zero(f64x2.mul(v128.load(slot), outputGainA));
      v128.store32_lane(o0 + at, outA, 0);
      v128.store32_lane(o1 + at, outA, 1);
      if (n > 2) {
        const outB = f32x4.demote_f64x2_zero(f64x2.mul(v128.load(slot, 16), outputGainB));
        v128.store32_lane(o2 + at, outB, 0);
        if (n > 3) v128.store32_lane(o3 + at, outB, 1);
      }
    }
  }
  ladderKeep(t0, i32x4.extract_lane(seeds, 0), f64x2.extract_lane(sumA, 0), s1A, s2A, s3A, s4A, 0);
  ladderKeep(t1, i32x4.extract_lane(seeds, 1), f64x2.extract_lane(sumA, 1), s1A, s2A, s3A, s4A, 1);
  if (n > 2) ladderKeep(t2, i32x4.extract_lane(seeds, 2), f64x2.extract_lane(sumB, 0), s1B, s2B, s3B, s4B, 0);
  if (n > 3) ladderKeep(t3, i32x4.extract_lane(seeds, 3), f64x2.extract_lane(sumB, 1), s1B, s2B, s3B, s4B, 1);
}

/** ladderOp's end of block for one lane: the seed, the sum and the sanitised states. */
function ladderKeep(
  state: usize,
  seed: i32,
  sum: f64,
  s1: v128,
  s2: v128,
  s3: v128,
  s4: v128,
  lane: i32,
): void {
  store<i32>(state, seed, L_SEED);
  store<f64>(state, sum, L_SUM);
  store<f64>(state, sanitized(lane === 0 ? f64x2.extract_lane(s1, 0) : f64x2.extract_lane(s1, 1)), L_S1);
  store<f64>(state, sanitized(lane === 0 ? f64x2.extract_lane(s2, 0) : f64x2.extract_lane(s2, 1)), L_S2);
  store<f64>(state, sanitized(lane === 0 ? f64x2.extract_lane(s3, 0) : f64x2.extract_lane(s3, 1)), L_S3);
  store<f64>(state, sanitized(lane === 0 ? f64x2.extract_lane(s4, 0) : f64x2.extract_lane(s4, 1)), L_S4);
}

// ------------------------------------------------------------------------------------------- state variable
// StateVariableFilterNode (src/nodes/filters/state-variable-filter-node.ts): its state layout (float64).

const V_IC1: usize = 0;
const V_IC2: usize = 8;
const V_CUTOFF: usize = 16;
const V_RESONANCE: usize = 24;
const V_G: usize = 32;
const V_K: usize = 40;
const V_MAX_CUTOFF: usize = 48;
const V_RADIANS_PER_HZ: usize = 56;

/** The SVF's `design(i)`: g and k for these parameter values (as read), NaN as the default. */
function svfDesign(state: usize, hz: f64, r: f64): void {
  store<f64>(state, hz, V_CUTOFF);
  store<f64>(state, r, V_RESONANCE);
  const f = isNaN(hz) ? NAN_CUTOFF : Math.min(load<f64>(state, V_MAX_CUTOFF), Math.max(MIN_CUTOFF, hz));
  const res = isNaN(r) ? 0 : Math.min(1, Math.max(0, r));
  store<f64>(state, Math.tan(f * load<f64>(state, V_RADIANS_PER_HZ)), V_G);
  store<f64>(state, Math.SQRT2 * (1 - 0.999 * res), V_K);
}

/** StateVariableFilterNode.process, step for step (the four outputs: low at `out`, high, band, notch). */
function svfOp(
  out: usize,
  input: usize,
  cutoff: usize,
  cutoffConstant: usize,
  resonance: usize,
  resonanceConstant: usize,
  high: usize,
  band: usize,
  notch: usize,
  state: usize,
  frames: i32,
): void {
  let ic1 = load<f64>(state, V_IC1);
  let ic2 = load<f64>(state, V_IC2);
  if (load<i32>(cutoffConstant) !== 0 && load<i32>(resonanceConstant) !== 0) {
    const hz = <f64>load<f32>(cutoff);
    const r = <f64>load<f32>(resonance);
    if (hz !== load<f64>(state, V_CUTOFF) || r !== load<f64>(state, V_RESONANCE)) svfDesign(state, hz, r);
    const g = load<f64>(state, V_G);
    const k = load<f64>(state, V_K);
    const a1 = 1 / (1 + g * (g + k));
    const a2 = g * a1;
    const a3 = g * a2;
    for (let i = 0; i < frames; i++) {
      const at = (<usize>i) << 2;
      const v0 = <f64>load<f32>(input + at);
      const v3 = v0 - ic2;
      const v1 = a1 * ic1 + a2 * v3;
      const v2 = ic2 + a2 * ic1 + a3 * v3;
      ic1 = 2 * v1 - ic1;
      ic2 = 2 * v2 - ic2;
      const h = v0 - k * v1 - v2;
      store<f32>(out + at, <f32>v2);
      store<f32>(high + at, <f32>h);
      store<f32>(band + at, <f32>(k * v1));
      store<f32>(notch + at, <f32>(v2 + h));
    }
  } else {
    let g = load<f64>(state, V_G);
    let k = load<f64>(state, V_K);
    for (let i = 0; i < frames; i++) {
      const at = (<usize>i) << 2;
      const hz = <f64>load<f32>(cutoff + at);
      const r = <f64>load<f32>(resonance + at);
      if (hz !== load<f64>(state, V_CUTOFF) || r !== load<f64>(state, V_RESONANCE)) {
        svfDesign(state, hz, r);
        g = load<f64>(state, V_G);
        k = load<f64>(state, V_K);
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
      const h = v0 - k * v1 - v2;
      store<f32>(out + at, <f32>v2);
      store<f32>(high + at, <f32>h);
      store<f32>(band + at, <f32>(k * v1));
      store<f32>(notch + at, <f32>(v2 + h));
    }
  }
  store<f64>(state, sanitized(ic1), V_IC1);
  store<f64>(state, sanitized(ic2), V_IC2);
  flagOtherOutput(out, high, frames);
  flagOtherOutput(out, band, frames);
  flagOtherOutput(out, notch, frames);
}

// ------------------------------------------------------------------------------------------- pan, crossfade
// PanNode and CrossfadeNode (src/nodes/mixing/): the same state layout (float64): the position now, the
// position whose two gains are cached, those gains, 1 once started, the smoother's coefficient.

const M_POSITION: usize = 0;
const M_CACHED: usize = 8;
const M_GAIN_1: usize = 16;
const M_GAIN_2: usize = 24;
const M_STARTED: usize = 32;
const M_GLIDE: usize = 40;
/** The smoother's snap (src/nodes/mixing/smoothing.ts) and the float32 range (STREAM_MAX). */
const SMOOTHING_SNAP: f64 = 1e-6;
const STREAM_MAX: f64 = 3.4028234663852886e38;
const QUARTER: f64 = Math.PI / 4;
const QUARTER_TURN: f64 = Math.PI / 2;

/** A pan position as PanNode reads it: clamped to −1…1, NaN as 0. */
function panPosition(p: f64): f64 {
  return p >= -1 ? Math.min(p, 1) : p < -1 ? -1 : 0;
}

/** PanNode.process, step for step (left at `out`, right). */
function panOp(
  out: usize,
  input: usize,
  inputConstant: usize,
  pan: usize,
  panConstant: usize,
  right: usize,
  state: usize,
  frames: i32,
): void {
  if (load<f64>(state, M_STARTED) === 0) {
    store<f64>(state, panPosition(<f64>load<f32>(pan)), M_POSITION);
    store<f64>(state, 1, M_STARTED);
  }
  let position = load<f64>(state, M_POSITION);
  const target = panPosition(<f64>load<f32>(pan));
  if (load<i32>(panConstant) !== 0 && position === target) {
    if (target !== load<f64>(state, M_CACHED)) {
      store<f64>(state, target, M_CACHED);
      store<f64>(state, Math.cos((target + 1) * QUARTER), M_GAIN_1);
      store<f64>(state, Math.sin((target + 1) * QUARTER), M_GAIN_2);
    }
    const l = load<f64>(state, M_GAIN_1);
    const r = load<f64>(state, M_GAIN_2);
    if (load<i32>(inputConstant) !== 0) {
      const x = <f64>load<f32>(input);
      const lv = <f32>(x * l);
      const rv = <f32>(x * r);
      for (let i = 0; i < frames; i++) {
        const at = (<usize>i) << 2;
        store<f32>(out + at, lv);
        store<f32>(right + at, rv);
      }
    } else {
      for (let i = 0; i < frames; i++) {
        const at = (<usize>i) << 2;
        const v = <f64>load<f32>(input + at);
        store<f32>(out + at, <f32>(v * l));
        store<f32>(right + at, <f32>(v * r));
      }
    }
  } else {
    const glide = load<f64>(state, M_GLIDE);
    for (let i = 0; i < frames; i++) {
      const at = (<usize>i) << 2;
      const wanted = panPosition(<f64>load<f32>(pan + at));
      const gap = wanted - position;
      position = gap > SMOOTHING_SNAP || gap < -SMOOTHING_SNAP ? position + gap * glide : wanted;
      const theta = (position + 1) * QUARTER;
      const v = <f64>load<f32>(input + at);
      store<f32>(out + at, <f32>(v * Math.cos(theta)));
      store<f32>(right + at, <f32>(v * Math.sin(theta)));
    }
    store<f64>(state, position, M_POSITION);
  }
  flagOtherOutput(out, right, frames);
}

/** A crossfade's mix as CrossfadeNode reads it: clamped to 0…1, NaN as 0.5. */
function mixPosition(m: f64): f64 {
  return m >= 0 ? Math.min(m, 1) : m < 0 ? 0 : 0.5;
}

function clampStream(v: f64): f32 {
  return <f32>Math.min(STREAM_MAX, Math.max(v, -STREAM_MAX));
}

/** CrossfadeNode.process, step for step. */
function crossfadeOp(
  out: usize,
  a: usize,
  b: usize,
  mix: usize,
  mixConstant: usize,
  state: usize,
  frames: i32,
): void {
  if (load<f64>(state, M_STARTED) === 0) {
    store<f64>(state, mixPosition(<f64>load<f32>(mix)), M_POSITION);
    store<f64>(state, 1, M_STARTED);
  }
  let position = load<f64>(state, M_POSITION);
  const target = mixPosition(<f64>load<f32>(mix));
  if (load<i32>(mixConstant) !== 0 && position === target) {
    if (target !== load<f64>(state, M_CACHED)) {
      store<f64>(state, target, M_CACHED);
      store<f64>(state, Math.cos(target * QUARTER_TURN), M_GAIN_1);
      store<f64>(state, Math.sin(target * QUARTER_TURN), M_GAIN_2);
    }
    const ga = load<f64>(state, M_GAIN_1);
    const gb = load<f64>(state, M_GAIN_2);
    for (let i = 0; i < frames; i++) {
      const at = (<usize>i) << 2;
      store<f32>(out + at, clampStream(<f64>load<f32>(a + at) * ga + <f64>load<f32>(b + at) * gb));
    }
    return;
  }
  const glide = load<f64>(state, M_GLIDE);
  for (let i = 0; i < frames; i++) {
    const at = (<usize>i) << 2;
    const wanted = mixPosition(<f64>load<f32>(mix + at));
    const gap = wanted - position;
    position = gap > SMOOTHING_SNAP || gap < -SMOOTHING_SNAP ? position + gap * glide : wanted;
    const theta = position * QUARTER_TURN;
    store<f32>(
      out + at,
      clampStream(<f64>load<f32>(a + at) * Math.cos(theta) + <f64>load<f32>(b + at) * Math.sin(theta)),
    );
  }
  store<f64>(state, position, M_POSITION);
}
