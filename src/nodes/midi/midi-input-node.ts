import { type DataSlot, data, defineNode, type MidiSource, midi } from '../../engine/definition.js';
import type { DataSlotValue } from '../../engine/types.js';
import { openChosenPort, type PortWords, safePorts } from './port-choice.js';

const INPUT_WORDS: PortWords = {
  none: 'no MIDI ports: this engine has no MIDI input (no virtual port and no device)',
  missing: (value) => `no MIDI port ${value} is open`,
  named: (index, name) => `MIDI port ${index} "${name}"`,
};

/**
 * MIDI from an input port of the host: index 0 is the virtual port fed over the API (POST /midi, the
 * WebSocket, the console's :play), hardware ports follow from 1. `port` may also be a port name (or a
 * part of one). Switching `port` closes the old port and opens the new one at the next block; a port
 * that does not exist is reported (warning + `Selected Port: null`), never fatal.
 */
export const MidiInputNode = defineNode({
  type: 'MidiInputNode',
  category: 'midi',
  description:
    'MIDI from an input port: 0 is the virtual port fed over the API, hardware ports follow. Exports `Available Ports` and `Selected Port`.',
  inputs: {
    port: data('Port index (0 = virtual port fed over the API) or a port name.', { default: 0 }),
  },
  outputs: { out: midi('MIDI messages of the selected port, at their frames.') },
  initialExports: (_value, host) => ({ 'Available Ports': safePorts(host), 'Selected Port': null }),
  create(ctx, io) {
    const portInput = io.inputs.port;
    const out = io.outputs.out.buf;
    const host = ctx.host;
    let source: MidiSource | null = null;
    let seenSlot: DataSlot | null = null;
    let seenVersion = -1;

    const close = () => {
      if (!source) return;
      try {
        source.close();
      } catch (error) {
        ctx.warn(`closing the MIDI port failed: ${error instanceof Error ? error.message : String(error)}`);
      }
      source = null;
    };

    const select = (value: DataSlotValue) => {
      close();
      source = openChosenPort(
        ctx,
        value,
        INPUT_WORDS,
        host.openMidiInput && ((index) => host.openMidiInput!(index, { sampleRate: ctx.sampleRate })),
      );
    };

    return {
      process(frames) {
        const slot = portInput.source;
        if (slot !== seenSlot || slot.version !== seenVersion) {
          seenSlot = slot;
          seenVersion = slot.version;
          select(slot.value);
        }
        out.clear();
        if (source) source.drain(out, frames, ctx.clock.frames);
      },
      dispose: close,
    };
  },
});
