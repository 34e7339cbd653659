import {
  type DataSlot,
  data,
  defineNode,
  type MidiSource,
  midi,
  type RenderHost,
} from '../../engine/definition.js';
import type { DataSlotValue } from '../../engine/types.js';

/** How a port list reads in messages: `0 "Synchrotron virtual", 1 "USB Keyboard"`. */
function describePorts(ports: string[]): string {
  return ports.length === 0 ? 'none' : ports.map((name, index) => `${index} "${name}"`).join(', ');
}

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

    // Control-rate work, run only when `port` changes (it may enumerate and open devices).
    const select = (value: DataSlotValue) => {
      close();
      const ports = safePorts(host);
      const report = (selected: string | null) =>
        ctx.publish({ 'Available Ports': ports, 'Selected Port': selected });
      if (ports.length === 0 || !host.openMidiInput) {
        report(null);
        ctx.warn('no MIDI ports: this engine has no MIDI input (no virtual port and no device)');
        return;
      }
      if (value === null) {
        report(null);
        return;
      }
      let index = -1;
      if (typeof value === 'number' && Number.isFinite(value)) {
        index = Math.round(value);
      } else if (typeof value === 'string') {
        const wanted = value.toLowerCase();
        index = ports.findIndex((name) => name.toLowerCase() === wanted);
        if (index < 0) index = ports.findIndex((name) => name.toLowerCase().includes(wanted));
      } else {
        report(null);
        ctx.warn(`\`port\` must be a port index or name, got ${JSON.stringify(value)}`);
        return;
      }
      if (index < 0 || index >= ports.length) {
        report(null);
        ctx.warn(`no MIDI port ${JSON.stringify(value)} is open (available: ${describePorts(ports)})`);
        return;
      }
      try {
        source = host.openMidiInput(index, { sampleRate: ctx.sampleRate });
      } catch (error) {
        source = null;
        ctx.warn(
          `MIDI port ${index} "${ports[index]}" could not be opened: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
      if (source) report(ports[index]);
      else {
        report(null);
        ctx.warn(
          `MIDI port ${index} "${ports[index]}" is not available (available: ${describePorts(ports)})`,
        );
      }
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

function safePorts(host: RenderHost): string[] {
  try {
    return host.midiPorts?.() ?? [];
  } catch {
    return [];
  }
}
