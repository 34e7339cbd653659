// AssemblyScript source of the WebAssembly SIMD kernels (not TypeScript: built by scripts/build-wasm.mjs into
// src/engine/wasm/kernels.generated.ts; `npm run build:wasm`). Every pointer is a byte offset into the
// imported memory where BufferPool keeps the stream buffers; buffers are 16-byte aligned and `frames` is a
// multiple of 16, so every loop works on whole v128 vectors (4 float32 samples). Each kernel must match the
// plain-JS path of its node (src/nodes/...) within 1e-5: test/perf/kernels.test.ts checks it.

import { runOscOp } from './ops-osc';

// ------------------------------------------------------------------------------------------- add / multiply

/** out = a + b */
export function add(a: usize, b: usize, out: usize, frames: i32): void {
  const end = out + ((<usize>frames) << 2);
  while (out < end) {
    v128.store(out, f32x4.add(v128.load(a), v128.load(b)));
    v128.store(out, f32x4.add(v128.load(a, 16), v128.load(b, 16)), 16);
    v128.store(out, f32x4.add(v128.load(a, 32), v128.load(b, 32)), 32);
    v128.store(out, f32x4.add(v128.load(a, 48), v128.load(b, 48)), 48);
    a += 64;
    b += 64;
    out += 64;
  }
}

/** out = a + k */
export function addConstant(a: usize, k: f32, out: usize, frames: i32): void {
  const end = out + ((<usize>frames) << 2);
  const kv = f32x4.splat(k);
  while (out < end) {
    v128.store(out, f32x4.add(v128.load(a), kv));
    v128.store(out, f32x4.add(v128.load(a, 16), kv), 16);
    v128.store(out, f32x4.add(v128.load(a, 32), kv), 32);
    v128.store(out, f32x4.add(v128.load(a, 48), kv), 48);
    a += 64;
    out += 64;
  }
}

/** out = a × b */
export function multiply(a: usize, b: usize, out: usize, frames: i32): void {
  const end = out + ((<usize>frames) << 2);
  while (out < end) {
    v128.store(out, f32x4.mul(v128.load(a), v128.load(b)));
    v128.store(out, f32x4.mul(v128.load(a, 16), v128.load(b, 16)), 16);
    v128.store(out, f32x4.mul(v128.load(a, 32), v128.load(b, 32)), 32);
    v128.store(out, f32x4.mul(v128.load(a, 48), v128.load(b, 48)), 48);
    a += 64;
    b += 64;
    out += 64;
  }
}

/** The loudest |sample| of `a` and `b` (`frames` each), or NaN when one is not finite. */
export function voicePeak(a: usize, b: usize, frames: i32): f32 {
  // |x|'s bits order as |x| does, and NaN and ±Infinity (exponent all ones) above every finite value: one
  // integer max per vector finds the peak and flags a non-finite sample (no float max's NaN and −0 rules,
  // no separate check). Two accumulators halve the loop-carried chain.
  const magnitude = i32x4.splat(0x7fffffff);
  let peakA = i32x4.splat(0);
  let peakB = peakA;
  const n = (<usize>frames) << 2;
  for (let i: usize = 0; i < n; i += 32) {
    peakA = i32x4.max_s(peakA, v128.and(v128.load(a + i), magnitude));
    peakB = i32x4.max_s(peakB, v128.and(v128.load(b + i), magnitude));
    peakA = i32x4.max_s(peakA, v128.and(v128.load(a + i, 16), magnitude));
    peakB = i32x4.max_s(peakB, v128.and(v128.load(b + i, 16), magnitude));
  }
  const p4 = i32x4.max_s(peakA, peakB);
  const p2 = i32x4.max_s(p4, i32x4.shuffle(p4, p4, 2, 3, 0, 1));
  const loudest = i32x4.extract_lane(i32x4.max_s(p2, i32x4.shuffle(p2, p2, 1, 0, 3, 2)), 0);
  return loudest >= 0x7f800000 ? NaN : reinterpret<f32>(loudest);
}

/**
 * `count` voices into a VoicesNode's mix: the voices' left and right buffer offsets are the i32 pairs at
 * `voices`. Each voice's loudest |sample| goes to the f32 at `peaks` + 4·i; a voice with a sample that is
 * NaN or ±Infinity gets NaN there and adds nothing; the others add into `left` and `right`. The sums run 16
 * frames at a time over all voices, in list order: each sample gets the same adds in the same order as
 * one voice after another (bit for bit), while the mix is loaded and stored once a chunk, not once per voice.
 */
export function mixVoices(
  left: usize,
  right: usize,
  voices: usize,
  count: i32,
  frames: i32,
  peaks: usize,
): void {
  for (let v = 0; v < count; v++) {
    const at = voices + ((<usize>v) << 3);
    store<f32>(peaks + ((<usize>v) << 2), voicePeak(<usize>load<i32>(at), <usize>load<i32>(at, 4), frames));
  }
  const n = (<usize>frames) << 2;
  for (let i: usize = 0; i < n; i += 64) {
    let l0 = v128.load(left + i);
    let l1 = v128.load(left + i, 16);
    let l2 = v128.load(left + i, 32);
    let l3 = v128.load(left + i, 48);
    let r0 = v128.load(right + i);
    let r1 = v128.load(right + i, 16);
    let r2 = v128.load(right + i, 32);
    let r3 = v128.load(right + i, 48);
    for (let v = 0; v < count; v++) {
      const peak = load<f32>(peaks + ((<usize>v) << 2));
      if (isNaN(peak)) continue; // not finite: it adds nothing
      const at = voices + ((<usize>v) << 3);
      const a = <usize>load<i32>(at) + i;
      const b = <usize>load<i32>(at, 4) + i;
      l0 = f32x4.add(l0, v128.load(a));
      l1 = f32x4.add(l1, v128.load(a, 16));
      l2 = f32x4.add(l2, v128.load(a, 32));
      l3 = f32x4.add(l3, v128.load(a, 48));
      r0 = f32x4.add(r0, v128.load(b));
      r1 = f32x4.add(r1, v128.load(b, 16));
      r2 = f32x4.add(r2, v128.load(b, 32));
      r3 = f32x4.add(r3, v128.load(b, 48));
    }
    v128.store(left + i, l0);
    v128.store(left + i, l1, 16);
    v128.store(left + i, l2, 32);
    v128.store(left + i, l3, 48);
    v128.store(right + i, r0);
    v128.store(right + i, r1, 16);
    v128.store(right + i, r2, 32);
    v128.store(right + i, r3, 48);
  }
}

/** out = a × k */
export function multiplyConstant(a: usize, k: f32, out: usize, frames: i32): void {
  const end = out + ((<usize>frames) << 2);
  const kv = f32x4.splat(k);
  while (out < end) {
    v128.store(out, f32x4.mul(v128.load(a), kv));
    v128.store(out, f32x4.mul(v128.load(a, 16), kv), 16);
    v128.store(out, f32x4.mul(v128.load(a, 32), kv), 32);
    v128.store(out, f32x4.mul(v128.load(a, 48), kv), 48);
    a += 64;
    out += 64;
  }
}

/** out = k for every frame */
export function fill(out: usize, k: f32, frames: i32): void {
  const end = out + ((<usize>frames) << 2);
  const kv = f32x4.splat(k);
  while (out < end) {
    v128.store(out, kv);
    v128.store(out, kv, 16);
    v128.store(out, kv, 32);
    v128.store(out, kv, 48);
    out += 64;
  }
}

/**
 * True when an op's input is constant this block: flagged so (`flag` → 1), or found so — every sample
 * equal to the first (by ==, so never for NaN). An input fed by another node is never flagged constant,
 * though it often is for whole blocks (a voice's gate, a cutoff from an inlet); an op that has a constant
 * path takes it then, with the same result as its per-frame path.
 */
export function constantBlock(buf: usize, flag: usize, frames: i32): bool {
  if (load<i32>(flag) !== 0) return true;
  const first = f32x4.splat(load<f32>(buf));
  let same = f32x4.eq(first, first);
  const end = buf + ((<usize>frames) << 2);
  for (let at = buf; at < end; at += 16) same = v128.and(same, f32x4.eq(v128.load(at), first));
  return i32x4.all_true(same);
}

// ------------------------------------------------------------------------------------------- sine

/** Samples per restart of the float32 rotators from the float64 phase (bounds rounding growth to ~1e-6). */
const SEGMENT: i32 = 128;

/**
 * Constant-frequency sine: out[i] = Im((re + i·im) · e^{iωi}), i.e. sin(φ + iω) given re = cos φ,
 * im = sin φ, for a SineNode whose state (layout below) holds cos ω and sin ω.
 * Sixteen float32 lanes (four v128 pairs, four independent dependency chains) hold phases φ+kω, k = 0…15,
 * and all rotate by 16ω per step; every SEGMENT samples the lanes restart from a float64 phase, so float32
 * rounding never grows past ~8 steps. The lanes' rotations e^{ikω} depend only on the frequency: they are
 * computed once (in float64, then rounded) when it changes and kept in the state, so a block costs the
 * seeding (four complex multiplies) and the rotations. `frames` is a multiple of 16.
 */
export function sineConstant(out: usize, frames: i32, re: f64, im: f64, state: usize): void {
  if (load<f64>(state, POWERS_STALE) !== 0) sinePowers(state);
  const powRe0 = v128.load(state, LANE_POWERS);
  const powRe1 = v128.load(state, LANE_POWERS + 16);
  const powRe2 = v128.load(state, LANE_POWERS + 32);
  const powRe3 = v128.load(state, LANE_POWERS + 48);
  const powIm0 = v128.load(state, LANE_POWERS + 64);
  const powIm1 = v128.load(state, LANE_POWERS + 80);
  const powIm2 = v128.load(state, LANE_POWERS + 96);
  const powIm3 = v128.load(state, LANE_POWERS + 112);
  const cosStep16 = f32x4.splat(<f32>load<f64>(state, COS_STEP16));
  const sinStep16 = f32x4.splat(<f32>load<f64>(state, SIN_STEP16));
  const cosSegment = load<f64>(state, COS_SEGMENT);
  const sinSegment = load<f64>(state, SIN_SEGMENT);

  const end = out + ((<usize>frames) << 2);
  while (out < end) {
    // Seeds of the sixteen lanes: (re + i·im) · e^{ikω}.
    const r = f32x4.splat(<f32>re);
    const i = f32x4.splat(<f32>im);
    let re0 = f32x4.sub(f32x4.mul(r, powRe0), f32x4.mul(i, powIm0));
    let im0 = f32x4.add(f32x4.mul(i, powRe0), f32x4.mul(r, powIm0));
    let re1 = f32x4.sub(f32x4.mul(r, powRe1), f32x4.mul(i, powIm1));
    let im1 = f32x4.add(f32x4.mul(i, powRe1), f32x4.mul(r, powIm1));
    let re2 = f32x4.sub(f32x4.mul(r, powRe2), f32x4.mul(i, powIm2));
    let im2 = f32x4.add(f32x4.mul(i, powRe2), f32x4.mul(r, powIm2));
    let re3 = f32x4.sub(f32x4.mul(r, powRe3), f32x4.mul(i, powIm3));
    let im3 = f32x4.add(f32x4.mul(i, powRe3), f32x4.mul(r, powIm3));
    let segmentEnd = out + ((<usize>SEGMENT) << 2);
    if (segmentEnd > end) segmentEnd = end;
    while (out < segmentEnd) {
      v128.store(out, im0);
      v128.store(out, im1, 16);
      v128.store(out, im2, 32);
      v128.store(out, im3, 48);
      const next0 = f32x4.sub(f32x4.mul(re0, cosStep16), f32x4.mul(im0, sinStep16));
      im0 = f32x4.add(f32x4.mul(im0, cosStep16), f32x4.mul(re0, sinStep16));
      re0 = next0;
      const next1 = f32x4.sub(f32x4.mul(re1, cosStep16), f32x4.mul(im1, sinStep16));
      im1 = f32x4.add(f32x4.mul(im1, cosStep16), f32x4.mul(re1, sinStep16));
      re1 = next1;
      const next2 = f32x4.sub(f32x4.mul(re2, cosStep16), f32x4.mul(im2, sinStep16));
      im2 = f32x4.add(f32x4.mul(im2, cosStep16), f32x4.mul(re2, sinStep16));
      re2 = next2;
      const next3 = f32x4.sub(f32x4.mul(re3, cosStep16), f32x4.mul(im3, sinStep16));
      im3 = f32x4.add(f32x4.mul(im3, cosStep16), f32x4.mul(re3, sinStep16));
      re3 = next3;
      out += 64;
    }
    const nextRe = re * cosSegment - im * sinSegment;
    im = im * cosSegment + re * sinSegment;
    re = nextRe;
  }
}

/** The lanes' rotations e^{ikω} (k = 0…15, float32), e^{16iω} and e^{i·SEGMENT·ω}, from cos ω, sin ω. */
function sinePowers(state: usize): void {
  const c1 = load<f64>(state, COS_STEP);
  const s1 = load<f64>(state, SIN_STEP);
  let c: f64 = 1;
  let s: f64 = 0;
  for (let k: usize = 0; k < 16; k++) {
    store<f32>(state + LANE_POWERS + (k << 2), <f32>c);
    store<f32>(state + LANE_POWERS + 64 + (k << 2), <f32>s);
    // e^{i(k+1)ω} by one more rotation: float64 rounding over 16 steps stays near 1e-15.
    const next = c * c1 - s * s1;
    s = s * c1 + c * s1;
    c = next;
  }
  store<f64>(state, c, COS_STEP16);
  store<f64>(state, s, SIN_STEP16);
  // e^{i·SEGMENT·ω} = (e^{16iω})^8 by three squarings.
  for (let k = 0; k < 3; k++) {
    const squared = c * c - s * s;
    s = 2 * c * s;
    c = squared;
  }
  store<f64>(state, c, COS_SEGMENT);
  store<f64>(state, s, SIN_SEGMENT);
  store<f64>(state, 0, POWERS_STALE);
}

/**
 * Audio-rate-frequency sine: phase accumulator (cycles, [0, 1)) read through a linearly interpolated table
 * of float64 at `table` (tableSize + 1 entries). Returns the phase after the block. Same arithmetic as the
 * plain-JS path, so the two agree to float32 rounding.
 */
export function sineModulated(
  out: usize,
  frequency: usize,
  frames: i32,
  phase: f64,
  inverseRate: f64,
  table: usize,
  tableSize: f64,
): f64 {
  let p = phase;
  const end = out + ((<usize>frames) << 2);
  while (out < end) {
    const position = p * tableSize;
    const index = <i32>position; // saturating truncation: NaN → 0, as `position | 0` in JS
    const at = table + ((<usize>index) << 3);
    const a = load<f64>(at);
    store<f32>(out, <f32>(a + (position - <f64>index) * (load<f64>(at, 8) - a)));
    // At most half a cycle a frame (Nyquist) either way, as the JS path and Web Audio; NaN holds.
    let increment = <f64>load<f32>(frequency) * inverseRate;
    if (!(increment <= 0.5)) increment = increment > 0.5 ? 0.5 : 0;
    else if (increment < -0.5) increment = -0.5;
    p += increment;
    if (p >= 1 || p < 0) {
      p = p - Math.floor(p);
      if (p >= 1) p = 0; // -1e-20 wraps to 1.0 after rounding
    }
    out += 4;
    frequency += 4;
  }
  return p;
}

import { runDataOp } from './ops-data';
import { runDynOp } from './ops-dyn';
import { runFilterOp, runLadders } from './ops-filter';
import { runMixOp } from './ops-mix';
import { runSpaceOp } from './ops-space';

// ------------------------------------------------------------------------------------------- the op list
// The compiled plan's WebAssembly part (src/engine/op-list.ts writes it): an array of pointers to op records
// in render order, run by one call per segment. A record is i32 words: 0 the opcode, 1 is 1 while the node is
// muted (faulted), 2 the output buffer, then the opcode's operands. A stream input is two words: its buffer
// and a pointer to an i32 that is 1 while the buffer is constant (StreamInput.constant, mirrored).
// Opcodes, operand order and state layouts must match src/engine/wasm/ops.ts and the nodes' encode().

const OP_SINE: i32 = 1;
const OP_ADD: i32 = 2;
const OP_MULTIPLY: i32 = 3;
const OP_GAIN: i32 = 4;

const TAU: f64 = 2 * Math.PI;
const SINE_TABLE_SIZE: f64 = 4096;
/** SineNode's blocks between restarts of the complex phase (src/nodes/oscillators/sine-node.ts). */
const RESYNC_BLOCKS: f64 = 64;

/**
 * Runs the `count` ops whose record pointers are at `ops`, for one block. Returns the index of the first op
 * whose output's first or last sample is NaN or ±Infinity (the caller mutes that node and runs on from the
 * next op), or -1.
 */
export function runOps(ops: usize, count: i32, frames: i32, table: usize): i32 {
  for (let i = 0; i < count; i++) {
    const op = <usize>load<i32>(ops + ((<usize>i) << 2));
    const flag = load<i32>(op, 4);
    const code = load<i32>(op);
    const out = <usize>load<i32>(op, 8);
    if (flag === RAN_WITH_GROUP) {
      // It rendered in lanes with an op before it whose output went bad: the caller resumed after that op.
      store<i32>(op, 0, 4);
    } else if (flag !== 0) continue;
    else if (code === OP_LADDER) {
      const ran = runLadders(ops + ((<usize>i) << 2), count - i, frames);
      for (let j = 0; j < ran; j++) {
        const member = <usize>load<i32>(ops + ((<usize>(i + j)) << 2));
        if (!finiteEnds(<usize>load<i32>(member, 8), frames)) {
          for (let after = j + 1; after < ran; after++)
            store<i32>(<usize>load<i32>(ops + ((<usize>(i + after)) << 2)), RAN_WITH_GROUP, 4);
          return i + j;
        }
      }
      i += ran - 1;
      continue;
    } else if (code === OP_SINE) {
      sineOp(
        out,
        <usize>load<i32>(op, 12),
        <usize>load<i32>(op, 16),
        <usize>load<i32>(op, 20),
        frames,
        table,
      );
    } else if (code === OP_ADD) {
      addOp(
        out,
        <usize>load<i32>(op, 12),
        <usize>load<i32>(op, 16),
        <usize>load<i32>(op, 20),
        <usize>load<i32>(op, 24),
        frames,
      );
    } else if (code === OP_GAIN) {
      gainOp(
        out,
        <usize>load<i32>(op, 12),
        <usize>load<i32>(op, 16),
        <usize>load<i32>(op, 20),
        <usize>load<i32>(op, 24),
        <usize>load<i32>(op, 28),
        frames,
      );
    } else if (code === OP_MULTIPLY) {
      multiplyOp(
        out,
        <usize>load<i32>(op, 12),
        <usize>load<i32>(op, 16),
        <usize>load<i32>(op, 20),
        <usize>load<i32>(op, 24),
        frames,
      );
    } else if (code >= 10 && code < 30) runOscOp(code, op, out, frames);
    else if (code >= 30 && code < 50) runFilterOp(code, op, out, frames);
    else if (code >= 50 && code < 70) runDataOp(code, op, out, frames);
    else if (code >= 70 && code < 90) runMixOp(code, op, out, frames);
    else if (code >= 90 && code < 110) runDynOp(code, op, out, frames);
    else if (code >= 110 && code < 130) runSpaceOp(code, op, out, frames);
    if (!finiteEnds(out, frames)) return i;
  }
  return -1;
}

/** An op record's `muted` word when it already rendered, in lanes, in this block (see runOps). */
const RAN_WITH_GROUP: i32 = 2;
const OP_LADDER: i32 = 30;

/** The output's first and last samples are finite (runOps' cheap check of every op). */
function finiteEnds(out: usize, frames: i32): bool {
  const first = load<f32>(out);
  const last = load<f32>(out + ((<usize>(frames - 1)) << 2));
  return first - first === 0 && last - last === 0;
}

/** AddNode: the loop picked by which inputs are constant, as addBlock in src/nodes/math/add-node.ts. */
function addOp(out: usize, a: usize, aConstant: usize, b: usize, bConstant: usize, frames: i32): void {
  if (load<i32>(bConstant) !== 0) {
    if (load<i32>(aConstant) !== 0) fill(out, <f32>(<f64>load<f32>(a) + <f64>load<f32>(b)), frames);
    else addConstant(a, load<f32>(b), out, frames);
  } else if (load<i32>(aConstant) !== 0) addConstant(b, load<f32>(a), out, frames);
  else add(a, b, out, frames);
}

/** MultiplyNode, as multiplyBlock in src/nodes/math/multiply-node.ts. */
function multiplyOp(out: usize, a: usize, aConstant: usize, b: usize, bConstant: usize, frames: i32): void {
  if (load<i32>(bConstant) !== 0) {
    if (load<i32>(aConstant) !== 0) fill(out, <f32>(<f64>load<f32>(a) * <f64>load<f32>(b)), frames);
    else multiplyConstant(a, load<f32>(b), out, frames);
  } else if (load<i32>(aConstant) !== 0) multiplyConstant(b, load<f32>(a), out, frames);
  else multiply(a, b, out, frames);
}

// SineNode's state (float64 slots; the same layout as SINE_* in src/nodes/oscillators/sine-node.ts).
const PHASE: usize = 0;
const RE: usize = 8;
const IM: usize = 16;
const HZ: usize = 24;
const FRAMES: usize = 32;
const INCREMENT: usize = 40;
const COS_STEP: usize = 48;
const SIN_STEP: usize = 56;
const COS_BLOCK: usize = 64;
const SIN_BLOCK: usize = 72;
const BLOCKS_TO_RESYNC: usize = 80;
const INVERSE_RATE: usize = 88;
/** Nonzero when the lanes' rotations below are stale (the frequency changed). */
const POWERS_STALE: usize = 96;
const COS_STEP16: usize = 104;
const SIN_STEP16: usize = 112;
const COS_SEGMENT: usize = 120;
const SIN_SEGMENT: usize = 128;
/** Sixteen float32 cosines, then sixteen sines: e^{ikω}, k = 0…15. */
const LANE_POWERS: usize = 136;

/** SineNode.process, step for step (constant frequency: rotator; audio-rate frequency: table). */
function sineOp(
  out: usize,
  frequency: usize,
  frequencyConstant: usize,
  state: usize,
  frames: i32,
  table: usize,
): void {
  let phase = load<f64>(state, PHASE);
  if (load<i32>(frequencyConstant) !== 0) {
    const hz = <f64>load<f32>(frequency);
    if (hz !== load<f64>(state, HZ) || <f64>frames !== load<f64>(state, FRAMES)) {
      store<f64>(state, hz, HZ);
      store<f64>(state, <f64>frames, FRAMES);
      const increment = nyquistClamped(hz * load<f64>(state, INVERSE_RATE));
      store<f64>(state, increment, INCREMENT);
      const step = TAU * increment;
      store<f64>(state, Math.cos(step), COS_STEP);
      store<f64>(state, Math.sin(step), SIN_STEP);
      store<f64>(state, Math.cos(step * <f64>frames), COS_BLOCK);
      store<f64>(state, Math.sin(step * <f64>frames), SIN_BLOCK);
      store<f64>(state, 0, BLOCKS_TO_RESYNC);
      store<f64>(state, 1, POWERS_STALE);
    }
    if (load<f64>(state, BLOCKS_TO_RESYNC) === 0) {
      const angle = TAU * phase;
      store<f64>(state, Math.cos(angle), RE);
      store<f64>(state, Math.sin(angle), IM);
      store<f64>(state, RESYNC_BLOCKS, BLOCKS_TO_RESYNC);
    }
    store<f64>(state, load<f64>(state, BLOCKS_TO_RESYNC) - 1, BLOCKS_TO_RESYNC);
    const re = load<f64>(state, RE);
    const im = load<f64>(state, IM);
    sineConstant(out, frames, re, im, state);
    phase = wrapPhase(phase + load<f64>(state, INCREMENT) * <f64>frames);
    const cosBlock = load<f64>(state, COS_BLOCK);
    const sinBlock = load<f64>(state, SIN_BLOCK);
    store<f64>(state, re * cosBlock - im * sinBlock, RE);
    store<f64>(state, im * cosBlock + re * sinBlock, IM);
  } else {
    phase = sineModulated(
      out,
      frequency,
      frames,
      phase,
      load<f64>(state, INVERSE_RATE),
      table,
      SINE_TABLE_SIZE,
    );
    store<f64>(state, 0, BLOCKS_TO_RESYNC);
  }
  if (phase - phase !== 0) {
    phase = 0;
    store<f64>(state, 0, BLOCKS_TO_RESYNC);
  }
  store<f64>(state, phase, PHASE);
}

function nyquistClamped(increment: f64): f64 {
  if (isNaN(increment)) return 0; // NaN holds the phase
  return Math.min(0.5, Math.max(-0.5, increment));
}

function wrapPhase(phase: f64): f64 {
  const wrapped = phase - Math.floor(phase);
  return wrapped < 1 ? wrapped : 0;
}

// GainNode's state (float64 slots; the layout of GAIN_* in src/nodes/mixing/gain-node.ts).
const GAIN_NOW: usize = 0;
const GAIN_LAST_DB: usize = 8;
const GAIN_LAST_LINEAR: usize = 16;
const GAIN_STARTED: usize = 24;
const GAIN_GLIDE: usize = 32;
/** GainNode's limits and the smoother's snap (src/nodes/mixing/gain-node.ts, smoothing.ts, STREAM_MAX). */
const SILENT_BELOW_DB: f64 = -120;
const MAX_GAIN_DB: f64 = 40;
const DB_TO_LN: f64 = Math.LN10 / 20;
const SMOOTHING_SNAP: f64 = 1e-6;
const STREAM_MAX: f64 = 3.4028234663852886e38;

/** dB → linear gain as GainNode has it: silence below −120 dB, at most +40 dB, NaN as 0 dB. */
function dbToGain(d: f64): f64 {
  return d >= SILENT_BELOW_DB ? Math.exp(Math.min(d, MAX_GAIN_DB) * DB_TO_LN) : d < SILENT_BELOW_DB ? 0 : 1;
}

function clampStream(v: f64): f32 {
  return <f32>Math.min(STREAM_MAX, Math.max(v, -STREAM_MAX));
}

/** GainNode.process, step for step (float64 arithmetic, as in JS). */
function gainOp(
  out: usize,
  input: usize,
  inputConstant: usize,
  gain: usize,
  gainConstant: usize,
  state: usize,
  frames: i32,
): void {
  if (load<f64>(state, GAIN_STARTED) === 0) {
    store<f64>(state, dbToGain(<f64>load<f32>(gain)), GAIN_NOW);
    store<f64>(state, 1, GAIN_STARTED);
  }
  let g = load<f64>(state, GAIN_NOW);
  const glide = load<f64>(state, GAIN_GLIDE);
  const n = <usize>frames;
  if (load<i32>(gainConstant) !== 0) {
    const d = <f64>load<f32>(gain);
    if (d !== load<f64>(state, GAIN_LAST_DB)) {
      store<f64>(state, d, GAIN_LAST_DB);
      store<f64>(state, dbToGain(d), GAIN_LAST_LINEAR);
    }
    const target = load<f64>(state, GAIN_LAST_LINEAR);
    if (g === target) {
      if (load<i32>(inputConstant) !== 0) {
        fill(out, clampStream(<f64>load<f32>(input) * g), frames);
      } else {
        for (let i: usize = 0; i < n; i++)
          store<f32>(out + (i << 2), clampStream(<f64>load<f32>(input + (i << 2)) * g));
      }
      return;
    }
    for (let i: usize = 0; i < n; i++) {
      const gap = target - g;
      g = gap > SMOOTHING_SNAP || gap < -SMOOTHING_SNAP ? g + gap * glide : target;
      store<f32>(out + (i << 2), clampStream(<f64>load<f32>(input + (i << 2)) * g));
    }
  } else {
    for (let i: usize = 0; i < n; i++) {
      const target = dbToGain(<f64>load<f32>(gain + (i << 2)));
      const gap = target - g;
      g = gap > SMOOTHING_SNAP || gap < -SMOOTHING_SNAP ? g + gap * glide : target;
      store<f32>(out + (i << 2), clampStream(<f64>load<f32>(input + (i << 2)) * g));
    }
  }
  store<f64>(state, g, GAIN_NOW);
}
