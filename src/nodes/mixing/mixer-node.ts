import { defineNode, type PortSpec, type StreamInput, stream } from '../../engine/definition.js';
import { STREAM_MAX } from '../../engine/types.js';
import { kernelsFor, nodeState } from '../../engine/wasm/kernels.js';
import { OP_MIXER, opRecordBytes } from '../../engine/wasm/ops.js';
import { SMOOTHING_SNAP, smoothingCoefficient } from './smoothing.js';

/** Channels of a MixerNode. */
export const MIXER_CHANNELS = 8;
/** Largest level (×2 = +6 dB); more is held here. */
export const MAX_LEVEL = 2;

// Indices into a MixerNode's state (the same layout as mixerOp's in scripts/wasm/ops-mix.ts).
/** Each channel's level now (MIXER_CHANNELS slots). */
const LEVELS = 0;
/** 1 once the first levels were read (each glide starts there). */
const STARTED = MIXER_CHANNELS;
/** The smoother's per-frame coefficient, for the kernel. */
const GLIDE = MIXER_CHANNELS + 1;
/** The block's sum in float64 (blockSize slots), a scratch the kernel needs in its memory too. */
const SUM = 16;

function channelPorts(): Record<string, PortSpec & { kind: 'stream' }> {
  const ports: Record<string, PortSpec & { kind: 'stream' }> = {};
  for (let k = 1; k <= MIXER_CHANNELS; k++) ports[`input${k}`] = stream(`Channel ${k}.`, { default: 0 });
  for (let k = 1; k <= MIXER_CHANNELS; k++) {
    ports[`level${k}`] = stream(
      `Level of channel ${k} (linear: 1 unchanged, 0.5 is −6 dB); clamped to 0…2, NaN reads as 1. Glides over ≤ 5 ms.`,
      { default: 1, min: 0, max: MAX_LEVEL },
    );
  }
  return ports;
}

/**
 * Eight-channel mixer: out = Σ input_k · level_k. Each level glides to a new value over ≤ 5 ms
 * (smoothing.ts), starting at the first value it reads; a silent channel (an unlinked input) costs nothing.
 * The sum is formed in float64 and held within the float32 range.
 */
export const MixerNode = defineNode({
  type: 'MixerNode',
  category: 'mixing',
  description: 'Sums input1…input8, each times its level1…level8 (0…2, default 1).',
  inputs: channelPorts(),
  outputs: { out: stream('Σ input_k × level_k, within ±the largest float32.') },
  create(ctx, io) {
    const inputs = io.inputs as Record<string, StreamInput>;
    const channels: StreamInput[] = [];
    const levelInputs: StreamInput[] = [];
    for (let k = 1; k <= MIXER_CHANNELS; k++) {
      channels.push(inputs[`input${k}`]);
      levelInputs.push(inputs[`level${k}`]);
    }
    const out = io.outputs.out.buf;
    const glide = smoothingCoefficient(ctx.sampleRate);
    // A typed array (fractions in closure variables are fresh heap numbers); with kernels, in their memory,
    // where the plan's op (OP_MIXER) runs on the same levels as process().
    const kernels = kernelsFor(out);
    const stateSlots = SUM + ctx.blockSize;
    const { at: stateAt, state } = nodeState(kernels, stateSlots);
    const levels = state.subarray(LEVELS, LEVELS + MIXER_CHANNELS);
    const sum = state.subarray(SUM);
    state[GLIDE] = glide;
    return {
      encode(writer) {
        if (!kernels) return false;
        if (!writer.begin(OP_MIXER, out, opRecordBytes(2 * MIXER_CHANNELS, 1))) return false;
        for (let k = 0; k < MIXER_CHANNELS; k++) {
          if (!writer.input(channels[k]) || !writer.input(levelInputs[k])) return false;
        }
        return writer.pointer(stateAt);
      },
      dispose() {
        kernels?.releaseState(stateAt, stateSlots * 8);
      },
      process(frames) {
        if (state[STARTED] === 0) {
          for (let k = 0; k < MIXER_CHANNELS; k++) {
            const first = levelInputs[k].buf[0];
            levels[k] = first >= 0 ? Math.min(first, MAX_LEVEL) : first < 0 ? 0 : 1;
          }
          state[STARTED] = 1;
        }
        sum.fill(0, 0, frames);
        for (let k = 0; k < MIXER_CHANNELS; k++) {
          const channel = channels[k];
          const levelInput = levelInputs[k];
          const x = channel.buf;
          const l = levelInput.buf;
          let g = levels[k];
          const first = l[0];
          const target = first >= 0 ? Math.min(first, MAX_LEVEL) : first < 0 ? 0 : 1;
          if (levelInput.constant && g === target) {
            if (g === 0) continue;
            if (channel.constant) {
              const v = x[0] * g;
              if (v !== 0) for (let i = 0; i < frames; i++) sum[i] += v;
            } else {
              for (let i = 0; i < frames; i++) sum[i] += x[i] * g;
            }
            continue;
          }
          if (channel.constant && x[0] === 0) {
            // Nothing to hear: the glide would be inaudible, so the level jumps to where it is going.
            const last = l[frames - 1];
            levels[k] = last >= 0 ? Math.min(last, MAX_LEVEL) : last < 0 ? 0 : 1;
            continue;
          }
          for (let i = 0; i < frames; i++) {
            const raw = l[i];
            const wanted = raw >= 0 ? Math.min(raw, MAX_LEVEL) : raw < 0 ? 0 : 1;
            const gap = wanted - g;
            g = gap > SMOOTHING_SNAP || gap < -SMOOTHING_SNAP ? g + gap * glide : wanted;
            sum[i] += x[i] * g;
          }
          levels[k] = g;
        }
        for (let i = 0; i < frames; i++) {
          const v = sum[i];
          out[i] = Math.min(STREAM_MAX, Math.max(v, -STREAM_MAX));
        }
      },
    };
  },
});
