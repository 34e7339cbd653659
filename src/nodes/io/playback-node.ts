import { defineNode, stream } from '../../engine/definition.js';

/** Adds its two channels into the master bus; several PlaybackNodes mix. Never needs a sound card. */
export const PlaybackNode = defineNode({
  type: 'PlaybackNode',
  category: 'io',
  description:
    'Sends its two channels to the audio output (device, render file, listening browsers). Several mix.',
  inputs: {
    left: stream('Left channel.', { default: 0, unit: '-1…1' }),
    right: stream('Right channel.', { default: 0, unit: '-1…1' }),
  },
  outputs: {},
  initialExports: (_value, host) => ({ Device: host.deviceName ?? 'none' }),
  create(ctx, io) {
    const { left, right } = io.inputs;
    const master = ctx.master;
    // Added while the engine plays (not before its first block), the first block fades in from 0 over the
    // block (2.9 ms at 128 frames): it would otherwise start with a step as large as its input (a square or
    // a sawtooth starts at ±1). The counterpart of the renderer's fade-out when one is removed.
    let fadingIn = ctx.clock.frames > 0;
    const mix = (input: typeof left, bus: Float32Array, frames: number) => {
      const buf = input.buf;
      if (fadingIn) {
        const scale = 1 / frames;
        for (let i = 0; i < frames; i++) bus[i] += buf[input.constant ? 0 : i] * (i + 1) * scale;
      } else if (input.constant) {
        const k = buf[0];
        if (k !== 0) for (let i = 0; i < frames; i++) bus[i] += k;
      } else {
        for (let i = 0; i < frames; i++) bus[i] += buf[i];
      }
    };
    // What this block added to the master's last frame: the renderer fades it out if this node stops.
    const masterContribution = new Float64Array(2);
    return {
      masterContribution,
      process(frames) {
        mix(left, master.left, frames);
        mix(right, master.right, frames);
        fadingIn = false;
        // Written out rather than through a helper: a fraction returned from a call is a heap number.
        masterContribution[0] = left.buf[left.constant ? 0 : frames - 1];
        masterContribution[1] = right.buf[right.constant ? 0 : frames - 1];
      },
    };
  },
});
