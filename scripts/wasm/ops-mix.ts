// AssemblyScript: the op kernels of the mixer, envelope and dynamics nodes (opcodes 70–89 of
// src/engine/wasm/ops.ts), imported by scripts/wasm/kernels.ts, whose `runOps` hands every op in that range to
// `runMixOp`. Each kernel is its node's `process` step for step, in float64 where JS computes in doubles, with
// float32 stores, the same clamps and NaN readings, on the state block that `process` uses too (the layouts
// below must match the nodes' state indices). test/engine/op-list-mix.test.ts compares the two paths.

const OP_MIXER: i32 = 70;
const OP_LAG: i32 = 71;
const OP_TRIGGER_ENVELOPE: i32 = 72;

/** Runs one op of this range (`op` its record, `out` its output); runOps checks that output after. */
export function runMixOp(code: i32, op: usize, out: usize, frames: i32): void {
  if (code === OP_MIXER) mixerOp(op, out, frames);
  else if (code === OP_LAG) {
    lagOp(
      out,
      <usize>load<i32>(op, 12),
      <usize>load<i32>(op, 16),
      <usize>load<i32>(op, 20),
      <usize>load<i32>(op, 28),
      <usize>load<i32>(op, 36),
      frames,
    );
  } else if (code === OP_TRIGGER_ENVELOPE) {
    triggerEnvelopeOp(
      out,
      <usize>load<i32>(op, 12),
      <usize>load<i32>(op, 20),
      <usize>load<i32>(op, 28),
      <usize>load<i32>(op, 36),
      frames,
    );
  }
}

/** The smoother's snap (src/nodes/mixing/smoothing.ts) and the float32 range (STREAM_MAX). */
const SMOOTHING_SNAP: f64 = 1e-6;
const STREAM_MAX: f64 = 3.4028234663852886e38;

// ------------------------------------------------------------------------------------------- mixer
// MixerNode (src/nodes/mixing/mixer-node.ts). Its record: the output, then per channel k four words (input
// buffer, its flag, level buffer, its flag) from byte 12 + 16k, then the state pointer. Its state (float64):
// the channels' levels, 1 once started, the glide coefficient, and from slot 16 the block's sum.

const MIXER_CHANNELS: i32 = 8;
const MAX_LEVEL: f64 = 2;
const X_STARTED: usize = 64;
const X_GLIDE: usize = 72;
const X_SUM: usize = 128;

/** A level as MixerNode reads it: clamped to 0…MAX_LEVEL, NaN as 1. */
function mixerLevel(l: f64): f64 {
  return l >= 0 ? Math.min(l, MAX_LEVEL) : l < 0 ? 0 : 1;
}

/** MixerNode.process, step for step: each channel's part added into a float64 sum, then held to float32. */
function mixerOp(op: usize, out: usize, frames: i32): void {
  const state = <usize>load<i32>(op, 12 + 16 * MIXER_CHANNELS);
  const sum = state + X_SUM;
  const n = (<usize>frames) << 3;
  if (load<f64>(state, X_STARTED) === 0) {
    for (let k = 0; k < MIXER_CHANNELS; k++) {
      const level = <usize>load<i32>(op + ((<usize>k) << 4), 20);
      store<f64>(state + ((<usize>k) << 3), mixerLevel(<f64>load<f32>(level)));
    }
    store<f64>(state, 1, X_STARTED);
  }
  memory.fill(sum, 0, n);
  const glide = load<f64>(state, X_GLIDE);
  for (let k = 0; k < MIXER_CHANNELS; k++) {
    const channel = op + ((<usize>k) << 4);
    const x = <usize>load<i32>(channel, 12);
    const xConstant = load<i32>(<usize>load<i32>(channel, 16)) !== 0;
    const l = <usize>load<i32>(channel, 20);
    const lConstant = load<i32>(<usize>load<i32>(channel, 24)) !== 0;
    const levelAt = state + ((<usize>k) << 3);
    let g = load<f64>(levelAt);
    const target = mixerLevel(<f64>load<f32>(l));
    if (lConstant && g === target) {
      if (g === 0) continue;
      // Two frames a step in float64 lanes: the same IEEE products and sums as the scalar loop of `process`.
      if (xConstant) {
        const v = <f64>load<f32>(x) * g;
        if (v !== 0) {
          const vv = f64x2.splat(v);
          for (let i: usize = 0; i < n; i += 16) v128.store(sum + i, f64x2.add(v128.load(sum + i), vv));
        }
      } else {
        const gg = f64x2.splat(g);
        for (let i: usize = 0; i < n; i += 16) {
          const samples = f64x2.promote_low_f32x4(v128.load64_zero(x + (i >> 1)));
          v128.store(sum + i, f64x2.add(v128.load(sum + i), f64x2.mul(samples, gg)));
        }
      }
      continue;
    }
    if (xConstant && <f64>load<f32>(x) === 0) {
      // Nothing to hear: the level jumps to where it is going.
      store<f64>(levelAt, mixerLevel(<f64>load<f32>(l + ((<usize>(frames - 1)) << 2))));
      continue;
    }
    for (let i: usize = 0; i < n; i += 8) {
      const wanted = mixerLevel(<f64>load<f32>(l + (i >> 1)));
      const gap = wanted - g;
      g = gap > SMOOTHING_SNAP || gap < -SMOOTHING_SNAP ? g + gap * glide : wanted;
      store<f64>(sum + i, load<f64>(sum + i) + <f64>load<f32>(x + (i >> 1)) * g);
    }
    store<f64>(levelAt, g);
  }
  // Held within ±STREAM_MAX (NaN stays NaN, as Math.min/max in JS), rounded to float32 two at a time.
  const most = f64x2.splat(STREAM_MAX);
  const least = f64x2.splat(-STREAM_MAX);
  for (let i: usize = 0; i < n; i += 16) {
    const held = f64x2.min(most, f64x2.max(v128.load(sum + i), least));
    v128.store64_lane(out + (i >> 1), f32x4.demote_f64x2_zero(held), 0);
  }
}

// ------------------------------------------------------------------------------------------- lag
// LagNode (src/nodes/envelopes/lag-node.ts). Record: output, input, rise, fall (buffer, flag each), state.
// State (float64): the output level, the last rise time seen and its pole, the same for fall, 1 once started,
// the sample rate.

const G_LEVEL: usize = 0;
const G_RISE_SEEN: usize = 8;
const G_RISE_POLE: usize = 16;
const G_FALL_SEEN: usize = 24;
const G_FALL_POLE: usize = 32;
const G_STARTED: usize = 40;
const G_RATE: usize = 48;
/** Closer than this to the input, the output is the input (LagNode's SNAP). */
const LAG_SNAP: f64 = 1e-30;

/** A sample as LagNode reads it: NaN as 0, held within ±STREAM_MAX. */
function lagTarget(x: f64): f64 {
  return isNaN(x) ? 0 : Math.min(STREAM_MAX, Math.max(-STREAM_MAX, x));
}

/** LagNode.process, step for step. */
function lagOp(
  out: usize,
  input: usize,
  inputConstant: usize,
  rise: usize,
  fall: usize,
  state: usize,
  frames: i32,
): void {
  if (load<f64>(state, G_STARTED) === 0) {
    store<f64>(state, lagTarget(<f64>load<f32>(input)), G_LEVEL);
    store<f64>(state, 1, G_STARTED);
  }
  let y = load<f64>(state, G_LEVEL);
  const n = (<usize>frames) << 2;
  if (load<i32>(inputConstant) !== 0 && <f64>load<f32>(input) === y) {
    const v = <f32>y;
    for (let i: usize = 0; i < n; i += 4) store<f32>(out + i, v);
    return;
  }
  const rate = load<f64>(state, G_RATE);
  let riseSeen = load<f64>(state, G_RISE_SEEN);
  let risePole = load<f64>(state, G_RISE_POLE);
  let fallSeen = load<f64>(state, G_FALL_SEEN);
  let fallPole = load<f64>(state, G_FALL_POLE);
  for (let i: usize = 0; i < n; i += 4) {
    const target = lagTarget(<f64>load<f32>(input + i));
    let pole: f64;
    if (target > y) {
      const seconds = <f64>load<f32>(rise + i);
      if (seconds !== riseSeen) {
        riseSeen = seconds;
        risePole = seconds > 0 ? Math.exp(-1 / (seconds * rate)) : 0;
      }
      pole = risePole;
    } else {
      const seconds = <f64>load<f32>(fall + i);
      if (seconds !== fallSeen) {
        fallSeen = seconds;
        fallPole = seconds > 0 ? Math.exp(-1 / (seconds * rate)) : 0;
      }
      pole = fallPole;
    }
    const gap = y - target;
    y = gap > LAG_SNAP || gap < -LAG_SNAP ? target + gap * pole : target;
    store<f32>(out + i, <f32>y);
  }
  store<f64>(state, y, G_LEVEL);
  store<f64>(state, riseSeen, G_RISE_SEEN);
  store<f64>(state, risePole, G_RISE_POLE);
  store<f64>(state, fallSeen, G_FALL_SEEN);
  store<f64>(state, fallPole, G_FALL_POLE);
}

// ------------------------------------------------------------------------------------------- trigger envelope
// TriggerEnvelopeNode (src/nodes/envelopes/trigger-envelope-node.ts). Record: output, trigger, attack, decay
// (buffer, flag each), state. State (float64): the level, the stage, the last trigger sample, the sample rate.

const T_LEVEL: usize = 0;
const T_STAGE: usize = 8;
const T_PREVIOUS: usize = 16;
const T_RATE: usize = 24;
const T_IDLE: f64 = 0;
const T_ATTACK: f64 = 1;
const T_DECAY: f64 = 2;

/** TriggerEnvelopeNode.process, step for step. */
function triggerEnvelopeOp(
  out: usize,
  trigger: usize,
  attack: usize,
  decay: usize,
  state: usize,
  frames: i32,
): void {
  const rate = load<f64>(state, T_RATE);
  let y = load<f64>(state, T_LEVEL);
  let s = load<f64>(state, T_STAGE);
  let previous = load<f64>(state, T_PREVIOUS);
  const n = (<usize>frames) << 2;
  for (let i: usize = 0; i < n; i += 4) {
    const x = <f64>load<f32>(trigger + i);
    if (x !== 0 && previous === 0 && !isNaN(x)) s = T_ATTACK;
    previous = isNaN(x) ? 0 : x;
    store<f32>(out + i, <f32>y);
    if (s === T_ATTACK) {
      const seconds = <f64>load<f32>(attack + i);
      y = seconds > 0 ? y + 1 / (seconds * rate) : 1;
      if (y >= 1) {
        y = 1;
        s = T_DECAY;
      }
    } else if (s === T_DECAY) {
      const seconds = <f64>load<f32>(decay + i);
      y = seconds > 0 ? y - 1 / (seconds * rate) : 0;
      if (y <= 0) {
        y = 0;
        s = T_IDLE;
      }
    }
  }
  store<f64>(state, y, T_LEVEL);
  store<f64>(state, s, T_STAGE);
  store<f64>(state, previous, T_PREVIOUS);
}
