import { type AudioInputSource, type DataSlot, data, defineNode, stream } from '../../engine/definition.js';
import type { DataSlotValue } from '../../engine/types.js';

/**
 * Live audio from a capture device (a microphone, a line input), through the host: in the server, the
 * machine's input via node-web-audio-api; in the browser engine, whatever the page connects to the engine's
 * AudioWorkletNode (engine.useMicrophone()). Where there is none — no device, an offline render, a host
 * without input — one warning says why and the outputs are silence; nothing else is affected. Reading never
 * waits: frames the device has not delivered yet are silence. `device` changes reopen at the next block.
 */
export const AudioInputNode = defineNode({
  type: 'AudioInputNode',
  category: 'io',
  description:
    'Live audio from a capture device (null: the default input); silence with one warning where there is none (offline renders, machines without a device).',
  inputs: {
    device: data('The input device: null for the default, or a device name (or part of one) or number.', {
      default: null,
    }),
  },
  outputs: {
    left: stream('Left channel of the input (a mono input on both).', { unit: '-1…1' }),
    right: stream('Right channel of the input.', { unit: '-1…1' }),
  },
  initialExports: () => ({ Device: null }),
  create(ctx, io) {
    const deviceInput = io.inputs.device;
    const left = io.outputs.left.buf;
    const right = io.outputs.right.buf;
    const host = ctx.host;
    let source: AudioInputSource | null = null;
    let seenSlot: DataSlot | null = null;
    let seenVersion = -1;

    const close = () => {
      source?.close();
      source = null;
    };

    // Control-rate work, only when `device` changes: opening may set up a device (asynchronously).
    const select = (value: DataSlotValue) => {
      close();
      const device = value === undefined ? null : value;
      if (device !== null && typeof device !== 'string' && typeof device !== 'number') {
        ctx.publish({ Device: null });
        ctx.warn(
          `\`device\` must be a device name or number, or null for the default input; got ${JSON.stringify(device)}: silence`,
        );
        return;
      }
      const opened = host.openAudioInput
        ? host.openAudioInput(device, { sampleRate: ctx.sampleRate, blockSize: ctx.blockSize })
        : 'this engine has no live audio input: silence';
      if (typeof opened === 'string') {
        ctx.publish({ Device: null });
        ctx.warn(`no audio input: ${opened}`);
        return;
      }
      source = opened;
      ctx.publish({ Device: device ?? 'default input' });
    };

    return {
      process(frames) {
        const slot = deviceInput.source;
        if (slot !== seenSlot || slot.version !== seenVersion) {
          seenSlot = slot;
          seenVersion = slot.version;
          select(slot.value as DataSlotValue);
        }
        if (!source) {
          left.fill(0, 0, frames);
          right.fill(0, 0, frames);
          return;
        }
        source.read(left, right, frames);
        const problem = source.takeProblem();
        if (problem !== null) {
          ctx.publish({ Device: null });
          ctx.warn(`no audio input: ${problem}`);
          close();
        }
      },
      dispose: close,
    };
  },
});
