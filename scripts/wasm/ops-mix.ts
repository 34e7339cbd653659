// AssemblyScript: the op kernels of the mixer, envelope and dynamics nodes (opcodes 70–89 of
// src/engine/wasm/ops.ts), imported by scripts/wasm/kernels.ts, whose `runOps` hands every op in that range to
// `runMixOp`. Each kernel is its node's `process` step for step, in float64 where JS computes in doubles, with
// float32 stores, the same clamps and NaN readings, on the state block that `process` uses too (the layouts
// below must match the nodes' state indices). test/engine/op-list-mix.test.ts compares the two paths.

const OP_MIXER: i32 = 70;

/** Runs one op of this range (`op` its record, `out` its output); runOps checks that output after. */
export function runMixOp(code: i32, op: usize, out: usize, frames: i32): void {
  if (code === OP_MIXER) mixerOp(op, out, frames);
}

/** The smoother's snap (src/nodes/mixing/smoothing.ts) and the float32 range (STREAM_MAX). */
const SMOOTHING_SNAP: f64 = 1e-6;
const STREAM_MAX: f64 = 3.4028234663852886e38;

function clampStream(v: f64): f32 {
  return <f32>Math.min(STREAM_MAX, Math.max(v, -STREAM_MAX));
}

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
      if (xConstant) {
        const v = <f64>load<f32>(x) * g;
        if (v !== 0) for (let i: usize = 0; i < n; i += 8) store<f64>(sum + i, load<f64>(sum + i) + v);
      } else {
        for (let i: usize = 0; i < n; i += 8)
          store<f64>(sum + i, load<f64>(sum + i) + <f64>load<f32>(x + (i >> 1)) * g);
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
  for (let i: usize = 0; i < n; i += 8) store<f32>(out + (i >> 1), clampStream(load<f64>(sum + i)));
}
