// AssemblyScript (not TypeScript; built with kernels.ts, which imports it): the ops of the band-limited
// oscillators and the envelope, opcodes 10–29 of src/engine/wasm/ops.ts. Each op is its node's `process`
// (src/nodes/oscillators, src/nodes/envelopes) step for step, in float64 where JS computes in doubles and on
// the same state in the kernels' memory, so the paths agree to float32 rounding and switching never jumps.
// A record's words: 0 opcode, 1 muted, 2 output (byte 8), then the operands from byte 12 (kernels.ts).

import { constantBlock, fill } from './kernels';

const OP_SQUARE: i32 = 10;
const OP_SAWTOOTH: i32 = 11;
const OP_TRIANGLE: i32 = 12;
const OP_ADSR: i32 = 13;

/** Runs the op at `op` (opcode `code`, 10–29) for one block into `out`. */
export function runOscOp(code: i32, op: usize, out: usize, frames: i32): void {
  if (code === OP_SQUARE) {
    squareOp(
      out,
      <usize>load<i32>(op, 12),
      <usize>load<i32>(op, 16),
      <usize>load<i32>(op, 20),
      <usize>load<i32>(op, 28),
      <usize>load<i32>(op, 32),
      frames,
    );
  } else if (code === OP_SAWTOOTH) {
    sawtoothOp(
      out,
      <usize>load<i32>(op, 12),
      <usize>load<i32>(op, 16),
      <usize>load<i32>(op, 20),
      <usize>load<i32>(op, 24),
      frames,
    );
  } else if (code === OP_TRIANGLE) {
    triangleOp(
      out,
      <usize>load<i32>(op, 12),
      <usize>load<i32>(op, 16),
      <usize>load<i32>(op, 20),
      <usize>load<i32>(op, 24),
      frames,
    );
  } else if (code === OP_ADSR) {
    adsrOp(
      out,
      <usize>load<i32>(op, 12),
      <usize>load<i32>(op, 16),
      <usize>load<i32>(op, 20),
      <usize>load<i32>(op, 28),
      <usize>load<i32>(op, 36),
      <usize>load<i32>(op, 40),
      <usize>load<i32>(op, 44),
      <usize>load<i32>(op, 52),
      frames,
    );
  }
}

// ------------------------------------------------------------------------------------------- BLEP
// As BlepBuffer in src/nodes/oscillators/blep.ts: a ring of 2·DELAY float64 at the start of the state, and
// the step table (TABLE_POINTS float64) followed by the ramp table at `tables`.

const DELAY: i32 = 16;
const TAPS: i32 = 2 * DELAY;
const MASK: i32 = TAPS - 1;
const RESOLUTION: f64 = 256;
/** The ramp table's offset from the step table's (each 2·DELAY·256 + 2 float64). */
const RAMP_TABLE: usize = (<usize>TAPS * 256 + 2) << 3;
/** The step table again by rows after the ramp table: row r (0…257) holds the 32 taps' entry r + 256k. */
const STEP_BY_ROW: usize = 2 * RAMP_TABLE;

// A band-limited oscillator's state after the ring (float64 slots; OSC_* in src/nodes/oscillators/blep.ts).
const POSITION: usize = 8 * 32;
const STARTED: usize = 8 * 33;
const PHASE: usize = 8 * 34;
const INVERSE_RATE: usize = 8 * 36;

/**
 * BlepBuffer.edge: a jump of `height` at `fraction` of the way to the frame at ring index `position`
 * (`mask`: the ring's length − 1). Reads the step table by rows (STEP_BY_ROW): the 32 taps of one
 * fractional index side by side, so two taps are one vector and an edge touches 8 cache lines, not 32. Its
 * index is (1 − fraction)·256 + 256k exactly, where JS sums 256 per tap (the same within ~1e-13).
 */
function edge(ring: usize, mask: i32, position: i32, tables: usize, fraction: f64, height: f64): void {
  const index = (1 - fraction) * RESOLUTION;
  const whole = <i32>index; // `index | 0` in JS: index ≥ 0 here
  const f = f64x2.splat(index - <f64>whole);
  const h = f64x2.splat(height);
  const row = tables + STEP_BY_ROW + ((<usize>whole) << 8);
  const one = f64x2.splat(1);
  if (position + TAPS <= mask + 1) {
    // The 32 slots do not wrap (about half of a square's edges, whose ring is 64): no index arithmetic,
    // two pairs a step.
    const at = ring + ((<usize>position) << 3);
    for (let k: usize = 0; k < (<usize>DELAY) << 3; k += 32) {
      const v = f64x2.mul(h, tapPair(v128.load(row + k), v128.load(row + k, 256), f));
      const w = f64x2.mul(h, tapPair(v128.load(row + k, 16), v128.load(row + k, 272), f));
      v128.store(at + k, f64x2.add(v128.load(at + k), v));
      v128.store(at + k, f64x2.add(v128.load(at + k, 16), w), 16);
    }
    for (let k: usize = (<usize>DELAY) << 3; k < (<usize>TAPS) << 3; k += 32) {
      const v = f64x2.mul(h, f64x2.sub(tapPair(v128.load(row + k), v128.load(row + k, 256), f), one));
      const w = f64x2.mul(h, f64x2.sub(tapPair(v128.load(row + k, 16), v128.load(row + k, 272), f), one));
      v128.store(at + k, f64x2.add(v128.load(at + k), v));
      v128.store(at + k, f64x2.add(v128.load(at + k, 16), w), 16);
    }
    return;
  }
  // Taps before DELAY: the whole step; from DELAY on the naive (delayed) signal already contains the jump,
  // so only the residual B − 1. Two loops, so neither tests which.
  for (let k = 0; k < DELAY; k += 2) {
    const taps = row + ((<usize>k) << 3);
    const v = f64x2.mul(h, tapPair(v128.load(taps), v128.load(taps, 256), f));
    inline.always(addPair(ring, mask, position + k, v));
  }
  for (let k = DELAY; k < TAPS; k += 2) {
    const taps = row + ((<usize>k) << 3);
    const v = f64x2.mul(h, f64x2.sub(tapPair(v128.load(taps), v128.load(taps, 256), f), one));
    inline.always(addPair(ring, mask, position + k, v));
  }
}

/**
 * Two taps of the step table between one fractional index's row (`a`) and the next's (`b`, 256 values on):
 * a + f·(b − a), as JS interpolates each tap.
 */
function tapPair(a: v128, b: v128, f: v128): v128 {
  return f64x2.add(a, f64x2.mul(f, f64x2.sub(b, a)));
}

/** Adds the two lanes of `v` to the ring's slots `index` and `index` + 1 (both mod the ring). */
function addPair(ring: usize, mask: i32, index: i32, v: v128): void {
  const first = index & mask;
  if (first !== mask) {
    // Side by side (the usual case): one vector add.
    const slot = ring + ((<usize>first) << 3);
    v128.store(slot, f64x2.add(v128.load(slot), v));
  } else {
    const slot = ring + ((<usize>first) << 3);
    store<f64>(slot, load<f64>(slot) + f64x2.extract_lane(v, 0));
    store<f64>(ring, load<f64>(ring) + f64x2.extract_lane(v, 1));
  }
}

/** BlepBuffer.corner: the slope changes by `change` per frame at `fraction` (as edge). */
function corner(ring: usize, position: i32, tables: usize, fraction: f64, change: f64): void {
  const ramp = tables + RAMP_TABLE;
  let index = (1 - fraction) * RESOLUTION;
  for (let k = 0; k < TAPS; k++, index += RESOLUTION) {
    const whole = <i32>index;
    const at = ramp + ((<usize>whole) << 3);
    const a = load<f64>(at);
    const slot = ring + ((<usize>((position + k) & MASK)) << 3);
    store<f64>(slot, load<f64>(slot) + change * (a + (index - <f64>whole) * (load<f64>(at, 8) - a)));
  }
}

/** Adds the naive value of the frame DELAY ahead, writes the output frame `i` from `position`. */
function push(ring: usize, position: i32, naive: f64, out: usize, i: i32): void {
  const ahead = ring + ((<usize>((position + DELAY) & MASK)) << 3);
  store<f64>(ahead, load<f64>(ahead) + naive);
  const now = ring + ((<usize>position) << 3);
  store<f32>(out + ((<usize>i) << 2), <f32>load<f64>(now));
  store<f64>(now, 0);
}

/** Cycles per frame from the frequency input's frame `i`: at most ±0.5 (Nyquist), NaN → 0. */
function incrementAt(frequency: usize, i: i32, inverseRate: f64): f64 {
  let increment = <f64>load<f32>(frequency + ((<usize>i) << 2)) * inverseRate;
  if (!(increment <= 0.5)) increment = increment > 0.5 ? 0.5 : 0;
  else if (increment < -0.5) increment = -0.5;
  return increment;
}

// ------------------------------------------------------------------------------------------- SquareNode

const MIN_PWM: f64 = 0.01;
const MAX_PWM: f64 = 0.99;

// SquareNode's state (float64 slots; the layout in src/nodes/oscillators/square-node.ts): a 64-frame ring, so
// that 16 frames' edges (each writing 32 frames ahead) never wrap onto the 16 frames being rendered, then
// the slots, then the scratch: the unwrapped phases of 16 frames and the one after.
const SQ_MASK: i32 = 63;
const SQ_POSITION: usize = 8 * 64;
const SQ_STARTED: usize = 8 * 65;
const SQ_PHASE: usize = 8 * 66;
const SQ_DUTY: usize = 8 * 67;
const SQ_INVERSE_RATE: usize = 8 * 68;
/**
 * The naive level (±1, or 0) of the 16 frames at SQ_POSITION, not yet added to their ring slots: a run of 16
 * frames without an edge defers its level here, and the next run outputs it (added to the slots only when
 * they hold something). The JS path adds it to the ring before it starts.
 */
const SQ_PENDING: usize = 8 * 69;
const SQ_PHASES: usize = 8 * 70;
/**
 * Which 16-slot quarters of the ring may hold something other than 0 (bit w: slots 16w…16w + 15): a quarter
 * that holds only zeros outputs its pending level as it is, with no ring read. The JS path sets every bit.
 */
const SQ_DIRTY: usize = 8 * 88;

/** The duty cycle from a pwm sample: clamped to MIN_PWM…MAX_PWM, NaN → 0.5 (SquareNode's clamp). */
function duty(wanted: f64): f64 {
  return select<f64>(clampDuty(wanted), 0.5, !Number.isNaN(wanted));
}

/** `duty` of a sample that is not NaN, by compares (where min/max's NaN and −0 rules cost V8 more). */
function clampDuty(wanted: f64): f64 {
  const atLeast = select<f64>(wanted, MIN_PWM, wanted > MIN_PWM);
  return select<f64>(atLeast, MAX_PWM, atLeast < MAX_PWM);
}

/** `duty` of two float32 pwm samples (the low 64 bits of `pair`), lane by lane. */
function duties(pair: v128): v128 {
  const wanted = f64x2.promote_low_f32x4(pair);
  // pmin/pmax (one instruction each, where min/max take several for NaN and −0): a NaN lane is replaced below.
  const clamped = f64x2.pmin(f64x2.pmax(wanted, f64x2.splat(MIN_PWM)), f64x2.splat(MAX_PWM));
  return v128.bitselect(clamped, f64x2.splat(0.5), f64x2.eq(wanted, wanted));
}

/**
 * SquareNode.process (src/nodes/oscillators/square-node.ts), 16 frames at a time. The phases are kept
 * unwrapped within the 16 (u[j]: at a constant frequency u0 + j·increment, so no serial chain; else summed
 * frame by frame); two frames to a vector, the naive ±1 goes into the ring and frames with an edge are
 * flagged: rising where ⌊u⌋ changes, falling where ⌊u − duty⌋ does. Only those frames (edges are sparse)
 * run JS's edge code, on the same u, so the flags and the edges always agree. Then the 16 output frames
 * leave the ring. Phases and the ring's sums round differently from JS's: the same within float32.
 */
function squareOp(
  out: usize,
  frequency: usize,
  frequencyConstant: usize,
  pwm: usize,
  state: usize,
  tables: usize,
  frames: i32,
): void {
  const ring = state;
  const inverseRate = load<f64>(state, SQ_INVERSE_RATE);
  let position = <i32>load<f64>(state, SQ_POSITION);
  let dirty = <i32>load<f64>(state, SQ_DIRTY);
  let pending = load<f64>(state, SQ_PENDING);
  if (load<f64>(state, SQ_STARTED) === 0) {
    store<f64>(state, duty(<f64>load<f32>(pwm)), SQ_DUTY);
    // From silence to the first level.
    edge(ring, SQ_MASK, position, tables, 1, load<f64>(state, SQ_PHASE) < load<f64>(state, SQ_DUTY) ? 1 : -1);
    dirty = 15;
    store<f64>(state, 1, SQ_STARTED);
  }
  let p = load<f64>(state, SQ_PHASE);
  const firstDuty = load<f64>(state, SQ_DUTY); // frame 0's; frame i's is duty(pwm[i]) after
  // A frequency constant this block (flagged, or found so): its increment once, not per frame.
  const steady = constantBlock(frequency, frequencyConstant, frames);
  const fixed = f64x2.splat(incrementAt(frequency, 0, inverseRate));
  const u = state + SQ_PHASES;
  const zero = f64x2.splat(0);
  const two = f64x2.splat(2);
  const increment = f64x2.extract_lane(fixed, 0);
  // The duties' range over the whole block (NaN when a pwm sample is NaN): a run whose phases keep clear of
  // it has no edge, found without its own 16 samples' range (quietLevel), which only the others need.
  const range = steady ? dutyRange(pwm, frames, firstDuty) : f64x2.splat(NaN);
  const least = f64x2.extract_lane(range, 0);
  const most = f64x2.extract_lane(range, 1);
  for (let c = 0; c < frames; c += 16) {
    const at = pwm + ((<usize>c) << 2);
    const ahead = (position + 16) & SQ_MASK;
    const naive = ring + ((<usize>ahead) << 3);
    // The naive level these 16 frames output (the last run's, deferred); this run's goes 16 frames ahead.
    const current = pending;
    // Frame 16's phase as the vectors below have it (start + 16·increment, 16·increment exact).
    const last = p + 16 * increment;
    let level = steady ? quietWithin(p, last, least, most) : 0;
    // The run's own duty range rescues only where the block's is wider than a run's phase advance (a pwm
    // at audio rate); under a slow pwm the two are about the same and the run has an edge.
    if (level === 0 && steady && !(most - least < 16 * increment))
      level = quietLevel(p, last, at, pwm, c, frames, firstDuty);
    if (level !== 0) {
      // No edge in these 16 frames: one naive level, exactly what squareFrames would have added, deferred.
      pending = level;
    } else {
      pending = 0;
      // The naive levels go into the ring ahead; an edge writes from the next frame up to 47 slots on.
      if (steady && risingRun(ring, naive, position, tables, p, last, increment, least, most)) {
        dirty |= quarters(position);
      } else {
        if (steady) {
          const start = f64x2.splat(p);
          let k = f64x2.replace_lane(zero, 1, 1); // frames j, j + 1
          for (let j: usize = 0; j < 18 << 3; j += 16) {
            v128.store(u + j, f64x2.add(start, f64x2.mul(k, fixed)));
            k = f64x2.add(k, two);
          }
        } else {
          store<f64>(u, p);
          for (let j = 0; j < 16; j++) {
            p += inline.always(incrementAt(frequency, c + j, inverseRate));
            store<f64>(u + ((<usize>(j + 1)) << 3), p);
          }
        }
        const edged = squareFrames(ring, u, at, pwm, c, frames, firstDuty, position, naive, tables);
        dirty |= edged ? quarters(position) : 1 << (ahead >> 4);
      }
    }
    const end = steady ? last : load<f64>(u, 16 << 3);
    p = end - Math.floor(end);
    const quarter = 1 << (position >> 4);
    const to = out + ((<usize>c) << 2);
    if ((dirty & quarter) !== 0) {
      const level = f64x2.splat(current);
      for (let j = 0; j < 16; j += 2) {
        const slot = ring + ((<usize>(position + j)) << 3);
        v128.store64_lane(
          to + ((<usize>j) << 2),
          f32x4.demote_f64x2_zero(f64x2.add(v128.load(slot), level)),
          0,
        );
        v128.store(slot, zero);
      }
      dirty &= ~quarter;
    } else {
      // Only zeros in the ring here: the output is the level (±1 or 0, exact in float32).
      const level = f32x4.splat(<f32>current);
      v128.store(to, level);
      v128.store(to, level, 16);
      v128.store(to, level, 32);
      v128.store(to, level, 48);
    }
    position = (position + 16) & SQ_MASK;
  }
  store<f64>(state, p, SQ_PHASE);
  store<f64>(state, duty(<f64>load<f32>(pwm + ((<usize>(frames - 1)) << 2))), SQ_DUTY);
  store<f64>(state, <f64>position, SQ_POSITION);
  store<f64>(state, pending, SQ_PENDING);
  store<f64>(state, <f64>dirty, SQ_DIRTY);
}

/** The ring's quarters (SQ_DIRTY bits) that the 16 frames at `position` (a multiple of 16) and edges in them touch. */
function quarters(position: i32): i32 {
  const w = position >> 4;
  return ((1 << w) | (1 << ((w + 1) & 3)) | (1 << ((w + 2) & 3))) & 15;
}

/**
 * A run at a constant, rising increment whose only edge is the phase's wrap (a rising edge): true when the
 * phases first…last (= p + 16·increment) wrap once, the phase minus any duty in least…most passes no whole
 * number (no falling edge), the frames before the wrap are all low (phase ≥ most) and those after all high
 * (phase after the wrap < least). Then it adds the naive levels 16 frames ahead at `naive` and the one edge,
 * exactly as squareFrames would (the same phases p + j·increment, the same adds in the same order), without
 * its frame pass. Else false, having written nothing. About half the runs with an edge, under a slow pwm.
 */
function risingRun(
  ring: usize,
  naive: usize,
  position: i32,
  tables: usize,
  p: f64,
  last: f64,
  increment: f64,
  least: f64,
  most: f64,
): bool {
  if (!(p <= last)) return false;
  const whole = Math.floor(p);
  const top = whole + 1;
  if (Math.floor(last) !== top) return false;
  if (Math.floor(p - most) !== Math.floor(last - least)) return false;
  if (!(p - whole >= most) || !(last - top < least)) return false;
  // The last frame before the wrap: an estimate, then the phases themselves decide.
  let j = <i32>((top - p) / increment);
  if (j > 15) j = 15;
  else if (j < 0) j = 0;
  while (j < 15 && p + <f64>(j + 1) * increment < top) j++;
  while (j > 0 && p + <f64>j * increment >= top) j--;
  // Frames 0…j low, the rest high.
  const low = f64x2.splat(<f64>j);
  let k = f64x2.replace_lane(f64x2.splat(0), 1, 1);
  const two = f64x2.splat(2);
  const one = f64x2.splat(1);
  for (let at: usize = 0; at < 16 << 3; at += 16) {
    const level = v128.bitselect(f64x2.neg(one), one, f64x2.le(k, low));
    v128.store(naive + at, f64x2.add(v128.load(naive + at), level));
    k = f64x2.add(k, two);
  }
  const now = p + <f64>j * increment;
  const next = p + <f64>(j + 1) * increment;
  edge(ring, SQ_MASK, (position + j + 1) & SQ_MASK, tables, (top - now) / (next - now), 2);
  return true;
}

/**
 * ±1 when none of the 16 frames from `c` has an edge and each frame's naive level is that, else 0 (then the
 * frames run one by one). Only for a constant, non-negative increment: the phases u rise with j, so their
 * floors, ⌊u − duty⌋ and u − ⌊u⌋ against the duty are bounded by the ends and the duties' range (rounding is
 * monotonic too), and the answer is exactly what the per-frame flags and levels would give.
 */
function quietLevel(first: f64, last: f64, at: usize, pwm: usize, c: i32, frames: i32, firstDuty: f64): f64 {
  if (!(first <= last)) return 0; // a falling phase, or NaN
  const whole = Math.floor(first);
  if (Math.floor(last) !== whole) return 0;
  const a = v128.load(at);
  const b = v128.load(at, 16);
  const e = v128.load(at, 32);
  const g = v128.load(at, 48);
  // A NaN pwm sample has its own duty (0.5): leave that to the frame loop.
  const numbers = v128.and(
    v128.and(f32x4.eq(a, a), f32x4.eq(b, b)),
    v128.and(f32x4.eq(e, e), f32x4.eq(g, g)),
  );
  if (!i32x4.all_true(numbers)) return 0;
  // The range of the 16 samples as duties, widened by the next frame's (the flags look one frame on; at a
  // block's end the last frame's) and, at a block's start, by the last block's last duty. Compares and
  // selects throughout: min/max's NaN and −0 rules cost V8 several instructions each, and neither occurs here.
  let beyond = load<f32>(pwm + ((<usize>(c + 16 < frames ? c + 16 : frames - 1)) << 2));
  if (Number.isNaN(beyond)) beyond = 0.5; // duty(NaN)
  const outer = f32x4.splat(beyond);
  const low4 = f32x4.pmin(f32x4.pmin(f32x4.pmin(a, b), f32x4.pmin(e, g)), outer);
  const high4 = f32x4.pmax(f32x4.pmax(f32x4.pmax(a, b), f32x4.pmax(e, g)), outer);
  // A duty before the block's first frame widens the range only for the run at c = 0 (NaN widens nothing).
  const range = inline.always(clampedRange(low4, high4, c === 0 ? firstDuty : NaN));
  const least = f64x2.extract_lane(range, 0);
  const most = f64x2.extract_lane(range, 1);
  return quietWithin(first, last, least, most);
}

/**
 * ±1 when the phases first…last (a constant, non-negative increment) pass no edge for any duty in
 * least…most and sit on one level, else 0 (also for a NaN bound).
 */
function quietWithin(first: f64, last: f64, least: f64, most: f64): f64 {
  if (!(first <= last)) return 0; // a falling phase, or NaN
  const whole = Math.floor(first);
  if (Math.floor(last) !== whole) return 0;
  if (Math.floor(first - most) !== Math.floor(last - least)) return 0;
  if (last - whole < least) return 1;
  if (first - whole >= most) return -1;
  return 0;
}

/**
 * The least and the most duty of the block's pwm samples and `firstDuty` (lanes 0 and 1), or NaN in both
 * when a sample is NaN (its duty, 0.5, is left to the runs). By compares, as quietLevel.
 */
function dutyRange(pwm: usize, frames: i32, firstDuty: f64): v128 {
  // pmin/pmax skip a NaN sample (its compare is false); the sum of the samples catches it instead (with
  // ±Infinity, which may sum to NaN: then the runs find their own ranges, as for a NaN).
  let low = v128.load(pwm);
  let high = low;
  let sum = low;
  let low1 = v128.load(pwm, 16);
  let high1 = low1;
  let sum1 = low1;
  const end = pwm + ((<usize>frames) << 2);
  for (let at = pwm + 32; at < end; at += 32) {
    const v = v128.load(at);
    const w = v128.load(at, 16);
    low = f32x4.pmin(low, v);
    high = f32x4.pmax(high, v);
    sum = f32x4.add(sum, v);
    low1 = f32x4.pmin(low1, w);
    high1 = f32x4.pmax(high1, w);
    sum1 = f32x4.add(sum1, w);
  }
  sum = f32x4.add(sum, sum1);
  if (!i32x4.all_true(f32x4.eq(sum, sum))) return f64x2.splat(NaN);
  return inline.always(clampedRange(f32x4.pmin(low, low1), f32x4.pmax(high, high1), firstDuty));
}

/**
 * The least of `low`'s four pwm samples and the most of `high`'s, as duties (lanes 0 and 1), widened to
 * `firstDuty` unless it is NaN. The duty is monotonic in the sample, so the samples' range clamped is the
 * duties' range. By compares (see clampDuty).
 */
function clampedRange(low: v128, high: v128, firstDuty: f64): v128 {
  const low2 = f32x4.pmin(low, i32x4.shuffle(low, low, 2, 3, 0, 1));
  const high2 = f32x4.pmax(high, i32x4.shuffle(high, high, 2, 3, 0, 1));
  let least = clampDuty(<f64>f32x4.extract_lane(f32x4.pmin(low2, i32x4.shuffle(low2, low2, 1, 0, 3, 2)), 0));
  let most = clampDuty(
    <f64>f32x4.extract_lane(f32x4.pmax(high2, i32x4.shuffle(high2, high2, 1, 0, 3, 2)), 0),
  );
  least = select<f64>(firstDuty, least, firstDuty < least);
  most = select<f64>(firstDuty, most, firstDuty > most);
  return f64x2.replace_lane(f64x2.splat(least), 1, most);
}

/** Lane 1 of `a`, then lane 0 of `b`: the two frames that straddle two f64x2 pairs. */
function straddle(a: v128, b: v128): v128 {
  return i8x16.shuffle(a, b, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23);
}

/**
 * Frames c…c + 15 one by one (two to a vector): the naive level into the ring at `naive`, then JS's edge
 * code at the frames flagged with an edge. True when a frame was flagged.
 */
function squareFrames(
  ring: usize,
  u: usize,
  at: usize,
  pwm: usize,
  c: i32,
  frames: i32,
  firstDuty: f64,
  position: i32,
  naive: usize,
  tables: usize,
): bool {
  const one = f64x2.splat(1);
  // Per frame j = 0…16, two to a vector: whole = ⌊u⌋ and shifted = ⌊u − duty⌋; frame j has an edge when
  // either differs at j + 1. Frame 0's duty is the last block's; frame 16's is frame 15's at the block's
  // end (JS reads no further).
  let now = v128.load(u);
  let d = duties(v128.load64_zero(at));
  if (c === 0) d = f64x2.replace_lane(d, 0, firstDuty);
  let whole = f64x2.floor(now);
  let shifted = f64x2.floor(f64x2.sub(now, d));
  let edges = 0;
  for (let j = 0; j < 16; j += 2) {
    const then = v128.load(u + ((<usize>(j + 2)) << 3));
    const dThen =
      j < 14
        ? duties(v128.load64_zero(at + ((<usize>(j + 2)) << 2)))
        : f64x2.splat(duty(<f64>load<f32>(pwm + ((<usize>(c + 16 < frames ? c + 16 : frames - 1)) << 2))));
    const wholeThen = f64x2.floor(then);
    const shiftedThen = f64x2.floor(f64x2.sub(then, dThen));
    const slot = naive + ((<usize>j) << 3);
    const high = f64x2.lt(f64x2.sub(now, whole), d);
    v128.store(slot, f64x2.add(v128.load(slot), v128.bitselect(one, f64x2.neg(one), high)));
    // Frames j + 1, j + 2: lane 1 of this pair, lane 0 of the next.
    const wholeNext = straddle(whole, wholeThen);
    const shiftedNext = straddle(shifted, shiftedThen);
    edges |= i64x2.bitmask(v128.or(f64x2.ne(wholeNext, whole), f64x2.ne(shiftedNext, shifted))) << j;
    now = then;
    d = dThen;
    whole = wholeThen;
    shifted = shiftedThen;
  }
  const edged = edges !== 0;
  while (edges !== 0) {
    const j = ctz(edges);
    edges &= edges - 1;
    const i = c + j;
    const d = i === 0 ? firstDuty : duty(<f64>load<f32>(pwm + ((<usize>i) << 2)));
    const nextDuty = duty(<f64>load<f32>(pwm + ((<usize>(i + 1 < frames ? i + 1 : i)) << 2)));
    const now = load<f64>(u + ((<usize>j) << 3));
    const next = load<f64>(u + ((<usize>(j + 1)) << 3));
    const at = (position + j + 1) & SQ_MASK;
    // Rising edge where the phase passes a whole cycle.
    const whole = Math.floor(now);
    const nextWhole = Math.floor(next);
    if (nextWhole > whole) edge(ring, SQ_MASK, at, tables, (nextWhole - now) / (next - now), 2);
    else if (nextWhole < whole) edge(ring, SQ_MASK, at, tables, (now - whole) / (now - next), -2);
    // Falling edges where phase − duty passes a whole number (the duty may move, too).
    const from = now - d;
    const to = next - nextDuty;
    const delta = to - from;
    if (delta > 0) {
      for (let k = Math.floor(from) + 1; k <= to; k++)
        edge(ring, SQ_MASK, at, tables, (k - from) / delta, -2);
    } else if (delta < 0) {
      for (let k = Math.floor(from); k > to; k--) edge(ring, SQ_MASK, at, tables, (from - k) / -delta, 2);
    }
  }
  return edged;
}

// ------------------------------------------------------------------------------------------- SawtoothNode

/**
 * SawtoothNode.process (src/nodes/oscillators/sawtooth-node.ts), 16 frames at a time. At a constant
 * frequency a run whose phases all stay in [0, 1) has no edge: its 16 frames only read 16 ring slots and add
 * the naive ramp 16 slots ahead (disjoint in the 32-slot ring), so that runs two frames to a vector
 * (sawRamp). Every other run goes frame by frame as JS does (sawFrames). Both sum the phase frame by frame,
 * in the same order, so the output is the same to the bit either way.
 */
function sawtoothOp(
  out: usize,
  frequency: usize,
  frequencyConstant: usize,
  state: usize,
  tables: usize,
  frames: i32,
): void {
  const ring = state;
  const inverseRate = load<f64>(state, INVERSE_RATE);
  let p = load<f64>(state, PHASE);
  let position = <i32>load<f64>(state, POSITION);
  if (load<f64>(state, STARTED) === 0) {
    edge(ring, MASK, position, tables, 1, 2 * p - 1); // the ramp starts from silence
    store<f64>(state, 1, STARTED);
  }
  // A frequency constant this block (flagged, or found so): its increment once, not per frame.
  const steady = constantBlock(frequency, frequencyConstant, frames);
  const fixed = incrementAt(frequency, 0, inverseRate);
  for (let c = 0; c < frames; c += 16) {
    const run = min<i32>(frames - c, 16);
    if (steady && run === 16 && (position & 1) === 0 && quietRamp(p, fixed)) {
      p = sawRamp(ring, position, p, fixed, out + ((<usize>c) << 2));
    } else {
      p = sawFrames(ring, position, p, steady, fixed, frequency, inverseRate, tables, out, c, run);
    }
    position = (position + run) & MASK;
  }
  store<f64>(state, p, PHASE);
  store<f64>(state, <f64>position, POSITION);
}

/**
 * Whether the 16 phases after `p` (summed frame by frame) all lie in [0, 1), i.e. no edge. They move one
 * way (rounding is monotonic), so the first and the 16th bound them; the 16th is estimated as p + 16·increment,
 * within ~1e-15 of the sum, so a margin of 1e-12 keeps the answer exact (runs that close take the frame path).
 */
function quietRamp(p: f64, increment: f64): bool {
  const first = p + increment;
  const last = p + 16 * increment;
  return first >= 0 && first < 1 && last >= 1e-12 && last < 1 - 1e-12;
}

/** 16 frames without an edge from the even ring index `position`: returns the phase after them. */
function sawRamp(ring: usize, position: i32, p: f64, increment: f64, out: usize): f64 {
  const one = f64x2.splat(1);
  const two = f64x2.splat(2);
  const zero = f64x2.splat(0);
  for (let j = 0; j < 16; j += 2) {
    // The phase summed frame by frame, as JS: no ramp of p + j·increment, which rounds differently.
    const next = p + increment;
    const phases = f64x2.replace_lane(f64x2.splat(p), 1, next);
    p = next + increment;
    const ahead = ring + ((<usize>((position + j + DELAY) & MASK)) << 3);
    v128.store(ahead, f64x2.add(v128.load(ahead), f64x2.sub(f64x2.mul(two, phases), one)));
    const now = ring + ((<usize>((position + j) & MASK)) << 3);
    v128.store64_lane(out + ((<usize>j) << 2), f32x4.demote_f64x2_zero(v128.load(now)), 0);
    v128.store(now, zero);
  }
  return p;
}

/** Frames c … c + run − 1 one by one, as JS (edges included): returns the phase after them. */
function sawFrames(
  ring: usize,
  position: i32,
  p: f64,
  steady: bool,
  fixed: f64,
  frequency: usize,
  inverseRate: f64,
  tables: usize,
  out: usize,
  c: i32,
  run: i32,
): f64 {
  for (let i = c; i < c + run; i++) {
    inline.always(push(ring, position, 2 * p - 1, out, i));
    position = (position + 1) & MASK;
    const increment = steady ? fixed : inline.always(incrementAt(frequency, i, inverseRate));
    const next = p + increment;
    if (next >= 1) {
      edge(ring, MASK, position, tables, (1 - p) / increment, -2);
      p = next - 1;
    } else if (next < 0) {
      edge(ring, MASK, position, tables, p / -increment, 2);
      p = next + 1;
    } else {
      p = next;
    }
  }
  return p;
}

// ------------------------------------------------------------------------------------------- TriangleNode

/** TriangleNode.process (src/nodes/oscillators/triangle-node.ts). */
function triangleOp(
  out: usize,
  frequency: usize,
  frequencyConstant: usize,
  state: usize,
  tables: usize,
  frames: i32,
): void {
  const ring = state;
  const inverseRate = load<f64>(state, INVERSE_RATE);
  let position = <i32>load<f64>(state, POSITION);
  if (load<f64>(state, STARTED) === 0) {
    // From silence the slope jumps from 0 to the wave's: clampIncrement (NaN → 0, at most ±0.5).
    let first = <f64>load<f32>(frequency) * inverseRate;
    first = !(first <= 0.5) ? (first > 0.5 ? 0.5 : 0) : Math.max(first, -0.5);
    corner(ring, position, tables, 1, 4 * first);
    store<f64>(state, 1, STARTED);
  }
  let p = load<f64>(state, PHASE);
  // A frequency constant this block (flagged, or found so): its increment once, not per frame.
  const steady = constantBlock(frequency, frequencyConstant, frames);
  const fixed = incrementAt(frequency, 0, inverseRate);
  for (let i = 0; i < frames; i++) {
    inline.always(push(ring, position, p < 0.25 ? 4 * p : p < 0.75 ? 2 - 4 * p : 4 * p - 4, out, i));
    position = (position + 1) & MASK;
    const increment = steady ? fixed : inline.always(incrementAt(frequency, i, inverseRate));
    const next = p + increment;
    // Corners between p and next: peaks at 0.25 + k, troughs at 0.75 + k.
    if (increment > 0) {
      const bend = 8 * increment;
      if (p < 0.25 && next >= 0.25) corner(ring, position, tables, (0.25 - p) / increment, -bend);
      if (p < 0.75 && next >= 0.75) corner(ring, position, tables, (0.75 - p) / increment, bend);
      if (next >= 1.25) corner(ring, position, tables, (1.25 - p) / increment, -bend);
      p = next >= 1 ? next - 1 : next;
    } else if (increment < 0) {
      const bend = -8 * increment;
      if (p > 0.75 && next <= 0.75) corner(ring, position, tables, (p - 0.75) / -increment, bend);
      if (p > 0.25 && next <= 0.25) corner(ring, position, tables, (p - 0.25) / -increment, -bend);
      if (next <= -0.25) corner(ring, position, tables, (p + 0.25) / -increment, bend);
      p = next < 0 ? next + 1 : next;
    }
  }
  store<f64>(state, p, PHASE);
  store<f64>(state, <f64>position, POSITION);
}

// ------------------------------------------------------------------------------------------- ADSRNode

// ADSRNode's state (float64 slots; the layout in src/nodes/envelopes/adsr-node.ts).
const LEVEL: usize = 0;
const PROGRESS: usize = 8;
const CURVE_NOW: usize = 16;
const CURVE: usize = 24;
const RELEASE_FROM: usize = 32;
const SEEN_TIME: usize = 40;
const STEP: usize = 48;
const STEP_RATIO: usize = 56;
const STAGE: usize = 64;
const GATE_HIGH: usize = 72;
const RATE: usize = 80;

const IDLE: i32 = 0;
const ATTACK: i32 = 1;
const DECAY: i32 = 2;
const SUSTAIN: i32 = 3;
const RELEASE: i32 = 4;
/** Where decay and release count as arrived (ARRIVED in adsr-node.ts). */
const ARRIVED: f64 = 0.001;

/** The sustain input's level: clamped to 0…1, NaN reads 0.7. */
function sustainLevel(level: f64): f64 {
  return level >= 0 ? Math.min(level, 1) : level < 0 ? 0 : 0.7;
}

/** ADSRNode.process (src/nodes/envelopes/adsr-node.ts). */
function adsrOp(
  out: usize,
  gate: usize,
  gateConstant: usize,
  attack: usize,
  decay: usize,
  sustain: usize,
  sustainConstant: usize,
  release: usize,
  state: usize,
  frames: i32,
): void {
  let y = load<f64>(state, LEVEL);
  let s = <i32>load<f64>(state, STAGE);
  let high = load<f64>(state, GATE_HIGH) !== 0;
  // Idle, or sustaining with nothing moving: a constant block. The gate (and sustain) may be flagged constant
  // or found so (a voice's gate, driven by its VoicesNode): process() renders such a block frame by frame
  // to the same constant.
  if (
    (s === IDLE || s === SUSTAIN) &&
    load<f32>(gate) > 0 === high &&
    constantBlock(gate, gateConstant, frames)
  ) {
    if (s === IDLE) {
      fill(out, <f32>y, frames);
      return;
    }
    if (sustainLevel(<f64>load<f32>(sustain)) === y && constantBlock(sustain, sustainConstant, frames)) {
      fill(out, <f32>y, frames);
      return;
    }
  }
  const rate = load<f64>(state, RATE);
  let u = load<f64>(state, PROGRESS);
  let m = load<f64>(state, CURVE_NOW);
  let k = load<f64>(state, CURVE);
  let from = load<f64>(state, RELEASE_FROM);
  let seen = load<f64>(state, SEEN_TIME);
  let step = load<f64>(state, STEP);
  let ratio = load<f64>(state, STEP_RATIO);
  for (let i = 0; i < frames; i++) {
    const at = (<usize>i) << 2;
    const held = load<f32>(gate + at) > 0;
    if (held !== high) {
      high = held;
      if (held) {
        s = ATTACK;
      } else {
        s = RELEASE;
        from = y;
        u = 0;
        m = 1;
        k = y > ARRIVED ? Math.log(y / ARRIVED) : 0;
        seen = NaN;
      }
    }
    // Output this frame, then advance to the next.
    store<f32>(out + at, <f32>y);
    if (s === SUSTAIN) {
      y = inline.always(sustainLevel(<f64>load<f32>(sustain + at)));
    } else if (s === ATTACK) {
      const seconds = <f64>load<f32>(attack + at);
      const climb = seconds * rate > 1 ? 1 / (seconds * rate) : 1; // a frame or less, ≤ 0, NaN: instant
      y += climb;
      if (y >= 1 - 0.5 * climb) {
        const target = sustainLevel(<f64>load<f32>(sustain + at));
        if (1 - target > ARRIVED) {
          s = DECAY;
          y = 1;
          u = 0;
          m = 1;
          k = Math.log((1 - target) / ARRIVED);
          seen = NaN;
        } else {
          s = SUSTAIN;
          y = target;
        }
      }
    } else if (s === DECAY) {
      const d = <f64>load<f32>(decay + at);
      if (d !== seen) {
        seen = d;
        step = d * rate > 1 ? 1 / (d * rate) : 1;
        ratio = Math.exp(-k * step);
      }
      u += step;
      m *= ratio;
      const target = sustainLevel(<f64>load<f32>(sustain + at));
      if (u >= 1 - 0.5 * step) {
        y = target;
        s = SUSTAIN;
      } else {
        y = target + (1 - target) * m;
      }
    } else if (s === RELEASE) {
      const r = <f64>load<f32>(release + at);
      if (r !== seen) {
        seen = r;
        step = r * rate > 1 ? 1 / (r * rate) : 1;
        ratio = Math.exp(-k * step);
      }
      u += step;
      m *= ratio;
      if (u >= 1 - 0.5 * step || k === 0) {
        y = 0;
        s = IDLE;
      } else {
        y = from * m;
      }
    }
  }
  store<f64>(state, y, LEVEL);
  store<f64>(state, u, PROGRESS);
  store<f64>(state, m, CURVE_NOW);
  store<f64>(state, k, CURVE);
  store<f64>(state, from, RELEASE_FROM);
  store<f64>(state, seen, SEEN_TIME);
  store<f64>(state, step, STEP);
  store<f64>(state, ratio, STEP_RATIO);
  store<f64>(state, <f64>s, STAGE);
  store<f64>(state, high ? 1 : 0, GATE_HIGH);
}
