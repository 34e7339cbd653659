// AssemblyScript: the op kernels of the space nodes (opcodes 110–129 of src/engine/wasm/ops.ts), imported by
// scripts/wasm/kernels.ts, whose `runOps` hands every op in that range to `runSpaceOp`. Each kernel is its
// node's `process` step for step, in float64 where JS computes in doubles, with float32 stores, the same
// clamps and NaN readings, on the state block that `process` uses too (the layouts below must match the
// nodes' state indices). test/engine/op-list-space.test.ts compares the two paths.

const OP_REVERB: i32 = 110;

/** Runs one op of this range (`op` its record, `out` its output); runOps checks that output after. */
export function runSpaceOp(code: i32, op: usize, out: usize, frames: i32): void {
  if (code === OP_REVERB) reverbOp(op, out, frames);
}

// ------------------------------------------------------------------------------------------- reverb
// ReverbNode (src/nodes/space/reverb-node.ts). Record: left output, then inputLeft, inputRight, decay,
// damping, size, mix (buffer, flag each) from byte 12, the right output (byte 60), the state (byte 64).
// State (float64 slots): scalars, per-line arrays of R_LINES from byte 128, the chunk scratch, the dry
// inputs of a chunk, then the float32 lines.

const R_MIX: usize = 0;
const R_WET_START: usize = 8;
const R_WET_END: usize = 16;
const R_WET_TARGET: usize = 24;
const R_DECAY: usize = 32;
const R_DAMPING: usize = 40;
const R_SIZE: usize = 48;
const R_WRITE: usize = 56;
const R_GLIDING: usize = 64;
const R_RAMPING: usize = 72;
const R_STARTED: usize = 80;
const R_RATE: usize = 88;
const R_BASE_TOTAL: usize = 96;
const R_MIX_COEFFICIENT: usize = 104;
const R_COEFFICIENT_GLIDE: usize = 112;
/** Per-line arrays: 16 float64s (128 bytes) each, from byte 128. */
const R_BASE: usize = 128;
const R_OFFSET: usize = 256;
const R_MASK: usize = 384;
const R_GLIDE: usize = 512;
const R_FEED_LEFT: usize = 640;
const R_FEED_RIGHT: usize = 768;
const R_LENGTH: usize = 896;
const R_LENGTH_END: usize = 1024;
const R_TARGET: usize = 1152;
const R_POLE: usize = 1280;
const R_GAIN: usize = 1408;
const R_POLE_END: usize = 1536;
const R_GAIN_END: usize = 1664;
const R_POLE_TARGET: usize = 1792;
const R_GAIN_TARGET: usize = 1920;
const R_FILTERED: usize = 2048;
/** 16 rows of 16 frames (row k at R_CHUNK_AT + 128·k), then the chunk's dry inputs, then the lines. */
const R_CHUNK_AT: usize = 2176;
const R_DRY_LEFT: usize = 4224;
const R_DRY_RIGHT: usize = 4352;
const R_LINES_AT: usize = 4480;
/**
 * Where each line's reads of a chunk start (sample index into the lines), when none wraps: kept in the dry
 * scratch, which is free until the chunk's inputs are read after the lines (16 float64).
 */
const R_READ: usize = R_DRY_LEFT;

const R_LINES: usize = 16;
const R_CHUNK: i32 = 16;
const R_MIN_SCALE: f64 = 0.15;
const R_REFERENCE_SCALE: f64 = R_MIN_SCALE + (1 - R_MIN_SCALE) * 0.7;
const R_MIN_LENGTH: f64 = 18;
const R_FLUSH: f64 = 1e-18;
const R_INPUT_LIMIT: f64 = 1e6;
const R_DECAY_MIN: f64 = 0.1;
const R_DECAY_MAX: f64 = 60;
const R_HF_DECADES: f64 = 1.5;
const R_SETTLED: f64 = 1e-9;
/** Rows of the mixed chunk that are the left and right taps (TAP_LEFT_ROW, TAP_RIGHT_ROW × 128 bytes). */
const R_TAP_LEFT: usize = 5 * 128;
const R_TAP_RIGHT: usize = 6 * 128;

/** A stream sample clamped to lo…hi, NaN read as `nan` (the node's inline clamps). */
function clampOr(raw: f32, lo: f64, hi: f64, nan: f64): f64 {
  const v = <f64>raw;
  return isNaN(v) ? nan : Math.min(hi, Math.max(lo, v));
}

/** ReverbNode.process, chunk by chunk: its `control`, then its `renderChunk`. */
function reverbOp(op: usize, out: usize, frames: i32): void {
  const inputLeft = <usize>load<i32>(op, 12);
  const inputRight = <usize>load<i32>(op, 20);
  const decays = <usize>load<i32>(op, 28);
  const dampings = <usize>load<i32>(op, 36);
  const sizes = <usize>load<i32>(op, 44);
  const mixes = <usize>load<i32>(op, 52);
  const right = <usize>load<i32>(op, 60);
  const state = <usize>load<i32>(op, 64);
  for (let i = 0; i < frames; i += R_CHUNK) {
    const at = (<usize>i) << 2;
    reverbControl(
      state,
      load<f32>(sizes + at),
      load<f32>(decays + at),
      load<f32>(dampings + at),
      load<f32>(mixes + at),
    );
    reverbChunk(state, inputLeft + at, inputRight + at, mixes + at, out + at, right + at);
  }
}

/** ReverbNode's `control`: reads the parameters at a chunk's start, sets where the chunk ramps to. */
function reverbControl(state: usize, rawSize: f32, rawDecay: f32, rawDamping: f32, rawMix: f32): void {
  const started = load<f64>(state, R_STARTED) === 1;
  const sizeValue = clampOr(rawSize, 0, 1, 0);
  if (!started || sizeValue !== load<f64>(state, R_SIZE)) {
    store<f64>(state, sizeValue, R_SIZE);
    const scale = R_MIN_SCALE + (1 - R_MIN_SCALE) * sizeValue;
    for (let k: usize = 0; k < R_LINES << 3; k += 8) {
      const whole = Math.max(R_MIN_LENGTH, Math.round(load<f64>(state + k, R_BASE) * scale));
      store<f64>(state + k, whole, R_TARGET);
      if (!started) store<f64>(state + k, whole, R_LENGTH);
    }
  }
  let moving = false;
  for (let k: usize = 0; k < R_LINES << 3; k += 8) {
    const now = load<f64>(state + k, R_LENGTH);
    const goal = load<f64>(state + k, R_TARGET);
    const difference = goal - now;
    const most = load<f64>(state + k, R_GLIDE) * <f64>R_CHUNK;
    const next = difference > most ? now + most : difference < -most ? now - most : goal;
    store<f64>(state + k, next, R_LENGTH_END);
    if (next !== now) moving = true;
  }
  store<f64>(state, moving ? 1 : 0, R_GLIDING);
  const seconds = clampOr(rawDecay, R_DECAY_MIN, R_DECAY_MAX, R_DECAY_MIN);
  const damp = clampOr(rawDamping, 0, 1, 0);
  const retarget =
    !started || moving || seconds !== load<f64>(state, R_DECAY) || damp !== load<f64>(state, R_DAMPING);
  if (retarget) {
    store<f64>(state, seconds, R_DECAY);
    store<f64>(state, damp, R_DAMPING);
    const perFrame = (-3 * Math.LN10) / (seconds * load<f64>(state, R_RATE));
    const highPerFrame = perFrame * 10 ** (R_HF_DECADES * damp);
    let total: f64 = 0;
    for (let k: usize = 0; k < R_LINES << 3; k += 8) {
      const at = load<f64>(state + k, R_LENGTH_END);
      total += at;
      const g0 = Math.exp(perFrame * at);
      const gHigh = Math.exp(highPerFrame * at);
      const a = (g0 - gHigh) / (g0 + gHigh);
      store<f64>(state + k, a, R_POLE_TARGET);
      store<f64>(state + k, g0 * (1 - a), R_GAIN_TARGET);
    }
    store<f64>(state, Math.sqrt(total / (R_REFERENCE_SCALE * load<f64>(state, R_BASE_TOTAL))), R_WET_TARGET);
  }
  if (!started) {
    memory.copy(state + R_POLE, state + R_POLE_TARGET, R_LINES << 3);
    memory.copy(state + R_GAIN, state + R_GAIN_TARGET, R_LINES << 3);
    store<f64>(state, load<f64>(state, R_WET_TARGET), R_WET_START);
    store<f64>(state, 0, R_RAMPING);
  } else if (retarget || load<f64>(state, R_RAMPING) === 1) {
    const glide = load<f64>(state, R_COEFFICIENT_GLIDE);
    let remaining = false;
    for (let k: usize = 0; k < R_LINES << 3; k += 8) {
      const pole = load<f64>(state + k, R_POLE);
      const poleTarget = load<f64>(state + k, R_POLE_TARGET);
      let a = pole + glide * (poleTarget - pole);
      if (Math.abs(poleTarget - a) < R_SETTLED) a = poleTarget;
      const gain = load<f64>(state + k, R_GAIN);
      const gainTarget = load<f64>(state + k, R_GAIN_TARGET);
      let b = gain + glide * (gainTarget - gain);
      if (Math.abs(gainTarget - b) < R_SETTLED) b = gainTarget;
      store<f64>(state + k, a, R_POLE_END);
      store<f64>(state + k, b, R_GAIN_END);
      if (a !== pole || b !== gain) remaining = true;
    }
    const wetStart = load<f64>(state, R_WET_START);
    const wetTarget = load<f64>(state, R_WET_TARGET);
    let wet = wetStart + glide * (wetTarget - wetStart);
    if (Math.abs(wetTarget - wet) < R_SETTLED) wet = wetTarget;
    store<f64>(state, wet, R_WET_END);
    if (wet !== wetStart) remaining = true;
    store<f64>(state, remaining ? 1 : 0, R_RAMPING);
  }
  if (load<f64>(state, R_RAMPING) === 0) store<f64>(state, load<f64>(state, R_WET_START), R_WET_END);
  if (!started) {
    store<f64>(state, clampOr(rawMix, 0, 1, 0), R_MIX);
    store<f64>(state, 1, R_STARTED);
  }
}

/**
 * ReverbNode's `renderChunk`: 16 frames from `inLeft`/`inRight`/`mixes` into `outLeft`/`outRight`. The
 * lines' one-poles run two lines to a vector (f64x2, the same arithmetic per lane as JS), the Hadamard
 * butterflies and the write-back run along the frames.
 */
function reverbChunk(
  state: usize,
  inLeft: usize,
  inRight: usize,
  mixes: usize,
  outLeft: usize,
  outRight: usize,
): void {
  const lines = state + R_LINES_AT;
  const chunk = state + R_CHUNK_AT;
  const write = <i32>load<f64>(state, R_WRITE);
  const flush = f64x2.splat(R_FLUSH);
  const resting = load<f64>(state, R_GLIDING) === 0 && load<f64>(state, R_RAMPING) === 0;
  // Where no line's 16 reads wrap around its ring (nearly always), where each line starts reading.
  let straight = resting;
  for (let k: usize = 0; straight && k < R_LINES << 3; k += 8) {
    const mask = <i32>load<f64>(state + k, R_MASK);
    const from = (write - <i32>load<f64>(state + k, R_LENGTH)) & mask;
    if (from > mask + 1 - R_CHUNK) straight = false;
    else store<f64>(state + k, <f64>(from + <i32>load<f64>(state + k, R_OFFSET)), R_READ);
  }
  if (straight) {
    // At rest, no wrap: eight lines at a time, two to a vector; four independent one-pole chains overlap
    // (one chain's latency is what bound this loop).
    for (let k: usize = 0; k < R_LINES << 3; k += 64) {
      const r0 = lines + ((<usize>(<i32>load<f64>(state + k, R_READ))) << 2);
      const r1 = lines + ((<usize>(<i32>load<f64>(state + k, R_READ + 8))) << 2);
      const r2 = lines + ((<usize>(<i32>load<f64>(state + k, R_READ + 16))) << 2);
      const r3 = lines + ((<usize>(<i32>load<f64>(state + k, R_READ + 24))) << 2);
      const r4 = lines + ((<usize>(<i32>load<f64>(state + k, R_READ + 32))) << 2);
      const r5 = lines + ((<usize>(<i32>load<f64>(state + k, R_READ + 40))) << 2);
      const r6 = lines + ((<usize>(<i32>load<f64>(state + k, R_READ + 48))) << 2);
      const r7 = lines + ((<usize>(<i32>load<f64>(state + k, R_READ + 56))) << 2);
      const a0 = v128.load(state + k, R_POLE);
      const a1 = v128.load(state + k, R_POLE + 16);
      const a2 = v128.load(state + k, R_POLE + 32);
      const a3 = v128.load(state + k, R_POLE + 48);
      const b0 = v128.load(state + k, R_GAIN);
      const b1 = v128.load(state + k, R_GAIN + 16);
      const b2 = v128.load(state + k, R_GAIN + 32);
      const b3 = v128.load(state + k, R_GAIN + 48);
      let y0 = v128.load(state + k, R_FILTERED);
      let y1 = v128.load(state + k, R_FILTERED + 16);
      let y2 = v128.load(state + k, R_FILTERED + 32);
      let y3 = v128.load(state + k, R_FILTERED + 48);
      const row = chunk + (k << 4);
      for (let n: usize = 0; n < (<usize>R_CHUNK) << 2; n += 4) {
        const x0 = f64x2.replace_lane(f64x2.splat(<f64>load<f32>(r0 + n)), 1, <f64>load<f32>(r1 + n));
        const x1 = f64x2.replace_lane(f64x2.splat(<f64>load<f32>(r2 + n)), 1, <f64>load<f32>(r3 + n));
        const x2 = f64x2.replace_lane(f64x2.splat(<f64>load<f32>(r4 + n)), 1, <f64>load<f32>(r5 + n));
        const x3 = f64x2.replace_lane(f64x2.splat(<f64>load<f32>(r6 + n)), 1, <f64>load<f32>(r7 + n));
        y0 = f64x2.add(f64x2.mul(b0, x0), f64x2.mul(a0, y0));
        y1 = f64x2.add(f64x2.mul(b1, x1), f64x2.mul(a1, y1));
        y2 = f64x2.add(f64x2.mul(b2, x2), f64x2.mul(a2, y2));
        y3 = f64x2.add(f64x2.mul(b3, x3), f64x2.mul(a3, y3));
        // |y| ≤ FLUSH (and NaN) → 0, as JS's !(y > FLUSH || y < -FLUSH).
        y0 = v128.and(y0, f64x2.gt(f64x2.abs(y0), flush));
        y1 = v128.and(y1, f64x2.gt(f64x2.abs(y1), flush));
        y2 = v128.and(y2, f64x2.gt(f64x2.abs(y2), flush));
        y3 = v128.and(y3, f64x2.gt(f64x2.abs(y3), flush));
        const f = row + (n << 1);
        store<f64>(f, f64x2.extract_lane(y0, 0));
        store<f64>(f, f64x2.extract_lane(y0, 1), 128);
        store<f64>(f, f64x2.extract_lane(y1, 0), 256);
        store<f64>(f, f64x2.extract_lane(y1, 1), 384);
        store<f64>(f, f64x2.extract_lane(y2, 0), 512);
        store<f64>(f, f64x2.extract_lane(y2, 1), 640);
        store<f64>(f, f64x2.extract_lane(y3, 0), 768);
        store<f64>(f, f64x2.extract_lane(y3, 1), 896);
      }
      v128.store(state + k, y0, R_FILTERED);
      v128.store(state + k, y1, R_FILTERED + 16);
      v128.store(state + k, y2, R_FILTERED + 32);
      v128.store(state + k, y3, R_FILTERED + 48);
    }
  } else if (resting) {
    // At rest, some line's reads wrap (once per ring length): two lines at a time, reads masked.
    for (let k: usize = 0; k < R_LINES << 3; k += 16) {
      const line0 = lines + ((<usize>(<i32>load<f64>(state + k, R_OFFSET))) << 2);
      const line1 = lines + ((<usize>(<i32>load<f64>(state + k, R_OFFSET + 8))) << 2);
      const mask0 = <i32>load<f64>(state + k, R_MASK);
      const mask1 = <i32>load<f64>(state + k, R_MASK + 8);
      const start0 = write - <i32>load<f64>(state + k, R_LENGTH);
      const start1 = write - <i32>load<f64>(state + k, R_LENGTH + 8);
      const a = v128.load(state + k, R_POLE);
      const b = v128.load(state + k, R_GAIN);
      let y = v128.load(state + k, R_FILTERED);
      const row0 = chunk + (k << 4);
      for (let n = 0; n < R_CHUNK; n++) {
        let x = f64x2.splat(<f64>load<f32>(line0 + ((<usize>((start0 + n) & mask0)) << 2)));
        x = f64x2.replace_lane(x, 1, <f64>load<f32>(line1 + ((<usize>((start1 + n) & mask1)) << 2)));
        y = f64x2.add(f64x2.mul(b, x), f64x2.mul(a, y));
        y = v128.and(y, f64x2.gt(f64x2.abs(y), flush));
        store<f64>(row0 + ((<usize>n) << 3), f64x2.extract_lane(y, 0));
        store<f64>(row0 + ((<usize>n) << 3), f64x2.extract_lane(y, 1), 128);
      }
      v128.store(state + k, y, R_FILTERED);
    }
  } else {
    // Lengths and coefficients ramp linearly across the chunk; fractional reads interpolate.
    for (let k: usize = 0; k < R_LINES << 3; k += 8) {
      const line = lines + ((<usize>(<i32>load<f64>(state + k, R_OFFSET))) << 2);
      const mask = <i32>load<f64>(state + k, R_MASK);
      const row = chunk + (k << 4);
      const a0 = load<f64>(state + k, R_POLE);
      const b0 = load<f64>(state + k, R_GAIN);
      const aStep = (load<f64>(state + k, R_POLE_END) - a0) / <f64>R_CHUNK;
      const bStep = (load<f64>(state + k, R_GAIN_END) - b0) / <f64>R_CHUNK;
      const l0 = load<f64>(state + k, R_LENGTH);
      const lStep = (load<f64>(state + k, R_LENGTH_END) - l0) / <f64>R_CHUNK;
      let y = load<f64>(state + k, R_FILTERED);
      for (let n = 0; n < R_CHUNK; n++) {
        const step = <f64>(n + 1);
        const delay = l0 + lStep * step;
        const whole = Math.floor(delay);
        const fraction = delay - whole;
        const at = write + n - <i32>whole;
        const x0 = <f64>load<f32>(line + ((<usize>(at & mask)) << 2));
        const x1 = <f64>load<f32>(line + ((<usize>((at - 1) & mask)) << 2));
        y = (b0 + bStep * step) * (x0 + fraction * (x1 - x0)) + (a0 + aStep * step) * y;
        if (!(y > R_FLUSH || y < -R_FLUSH)) y = 0;
        store<f64>(row + ((<usize>n) << 3), y);
      }
      store<f64>(state + k, load<f64>(state + k, R_POLE_END), R_POLE);
      store<f64>(state + k, load<f64>(state + k, R_GAIN_END), R_GAIN);
      store<f64>(state + k, load<f64>(state + k, R_LENGTH_END), R_LENGTH);
      store<f64>(state + k, y, R_FILTERED);
    }
  }
  // Mix: each frame's vector ← H·vector (unnormalised), as butterflies between whole rows.
  for (let h: usize = 1; h < R_LINES; h <<= 1) {
    for (let j0: usize = 0; j0 < R_LINES; j0 += h << 1) {
      for (let j = j0; j < j0 + h; j++) {
        const p = chunk + (j << 7);
        const q = chunk + ((j + h) << 7);
        for (let n: usize = 0; n < 128; n += 16) {
          const u = v128.load(p + n);
          const w = v128.load(q + n);
          v128.store(p + n, f64x2.add(u, w));
          v128.store(q + n, f64x2.sub(u, w));
        }
      }
    }
  }
  const dryLeft = state + R_DRY_LEFT;
  const dryRight = state + R_DRY_RIGHT;
  for (let n: usize = 0; n < <usize>R_CHUNK; n++) {
    store<f64>(dryLeft + (n << 3), clampOr(load<f32>(inLeft + (n << 2)), -R_INPUT_LIMIT, R_INPUT_LIMIT, 0));
    store<f64>(dryRight + (n << 3), clampOr(load<f32>(inRight + (n << 2)), -R_INPUT_LIMIT, R_INPUT_LIMIT, 0));
  }
  // Write back, two frames to a vector. A chunk's 16 frames never wrap a line: write is a multiple of 16 and
  // so is every line's capacity (at least 32 frames: rates are ≥ 1000 Hz).
  const quarter = f64x2.splat(0.25);
  for (let k: usize = 0; k < R_LINES << 3; k += 8) {
    const to =
      lines +
      ((<usize>(<i32>load<f64>(state + k, R_OFFSET))) << 2) +
      ((<usize>(write & <i32>load<f64>(state + k, R_MASK))) << 2);
    const row = chunk + (k << 4);
    const fl = f64x2.splat(load<f64>(state + k, R_FEED_LEFT));
    const fr = f64x2.splat(load<f64>(state + k, R_FEED_RIGHT));
    for (let n: usize = 0; n < <usize>R_CHUNK; n += 2) {
      const v = f64x2.add(
        f64x2.add(
          f64x2.mul(quarter, v128.load(row + (n << 3))),
          f64x2.mul(fl, v128.load(dryLeft + (n << 3))),
        ),
        f64x2.mul(fr, v128.load(dryRight + (n << 3))),
      );
      v128.store64_lane(to + (n << 2), f32x4.demote_f64x2_zero(v), 0);
    }
  }
  store<f64>(state, <f64>((write + R_CHUNK) & 0x3fffffff), R_WRITE);
  // Outputs: rows TAP_LEFT_ROW and TAP_RIGHT_ROW of the mixed chunk.
  const mixCoefficient = load<f64>(state, R_MIX_COEFFICIENT);
  const w0 = load<f64>(state, R_WET_START);
  const wStep = (load<f64>(state, R_WET_END) - w0) / <f64>R_CHUNK;
  let smoothMix = load<f64>(state, R_MIX);
  for (let n: usize = 0; n < <usize>R_CHUNK; n++) {
    const m = clampOr(load<f32>(mixes + (n << 2)), 0, 1, 0);
    smoothMix += mixCoefficient * (m - smoothMix);
    const wet = 0.25 * smoothMix * (w0 + wStep * <f64>(n + 1));
    const f = n << 3;
    store<f32>(
      outLeft + (n << 2),
      <f32>((1 - smoothMix) * load<f64>(dryLeft + f) + wet * load<f64>(chunk + R_TAP_LEFT + f)),
    );
    store<f32>(
      outRight + (n << 2),
      <f32>((1 - smoothMix) * load<f64>(dryRight + f) + wet * load<f64>(chunk + R_TAP_RIGHT + f)),
    );
  }
  store<f64>(state, smoothMix, R_MIX);
  store<f64>(state, load<f64>(state, R_WET_END), R_WET_START);
}
