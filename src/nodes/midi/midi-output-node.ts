import { type DataSlot, data, defineNode, type MidiSink, midi } from '../../engine/definition.js';
import { CLOCK, CONTINUE, NOTE_OFF, NOTE_ON, START, STOP } from '../../engine/midi.js';
import type { DataSlotValue } from '../../engine/types.js';
import { openChosenPort, type PortWords, safePorts } from './port-choice.js';

const OUTPUT_WORDS: PortWords = {
  none: 'no MIDI outputs: this engine has no MIDI output (no virtual port and no device)',
  missing: (value) => `no MIDI output ${value}`,
  named: (index, name) => `MIDI output ${index} "${name}"`,
};

/**
 * MIDI to an output port of the host, each message at its frame. Port 0 is the virtual output that clients
 * read (the WebSocket's `midiOut` messages, GET /midi/out); hardware outputs (optional @julusian/midi) follow
 * from 1, sent when their frame plays. So that nothing hangs on a synth, notes still held when the port
 * changes, the node goes away or the engine stops get their note-off, and a running MIDI clock gets Stop.
 */
export const MidiOutputNode = defineNode({
  type: 'MidiOutputNode',
  category: 'midi',
  description:
    'MIDI to an output port at its frames: 0 is the virtual port clients read (/ws midiOut, GET /midi/out), hardware follows. Exports `Available Ports` and `Selected Port`.',
  inputs: {
    port: data('Port index (0 = the virtual port clients read) or a port name.', { default: 0 }),
    midi: midi('MIDI to send (notes, controllers, clock …).'),
  },
  outputs: {},
  initialExports: (_value, host) => ({ 'Available Ports': safePorts(host), 'Selected Port': null }),
  create(ctx, io) {
    const { port: portInput, midi: input } = io.inputs;
    const host = ctx.host;
    let sink: MidiSink | null = null;
    let seenSlot: DataSlot | null = null;
    let seenVersion = -1;
    // Notes sounding on the port, by channel × note, so they can be released when it goes away.
    const held = new Uint8Array(16 * 128);
    let heldCount = 0;
    let clockRunning = false;

    /** Note-offs for held notes and Stop for a running clock, at engine frame `frame`. */
    const release = (frame: number) => {
      if (!sink) return;
      if (heldCount > 0) {
        for (let i = 0; i < held.length; i++) {
          if (held[i] === 0) continue;
          held[i] = 0;
          sink.send(frame, NOTE_OFF | (i >> 7), i & 127, 0);
        }
        heldCount = 0;
      }
      if (clockRunning) sink.send(frame, STOP, 0, 0);
      clockRunning = false;
    };

    const close = () => {
      if (!sink) return;
      release(ctx.clock.frames);
      try {
        sink.close();
      } catch (error) {
        ctx.warn(`closing the MIDI output failed: ${error instanceof Error ? error.message : String(error)}`);
      }
      sink = null;
    };

    const select = (value: DataSlotValue) => {
      close();
      sink = openChosenPort(
        ctx,
        value,
        OUTPUT_WORDS,
        host.openMidiOutput && ((index) => host.openMidiOutput!(index, { sampleRate: ctx.sampleRate })),
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
        if (!sink) return;
        const messages = input.source;
        const blockStart = ctx.clock.frames;
        for (let i = 0; i < messages.count; i++) {
          const status = messages.status[i];
          const data1 = messages.data1[i];
          const data2 = messages.data2[i];
          const frame = messages.frame[i];
          sink.send(
            blockStart + (frame < 0 ? 0 : frame >= frames ? frames - 1 : frame),
            status,
            data1,
            data2,
          );
          const kind = status & 0xf0;
          if (kind === NOTE_ON || kind === NOTE_OFF) {
            const key = ((status & 0x0f) << 7) | (data1 & 0x7f);
            const on = kind === NOTE_ON && data2 > 0;
            if (on && held[key] === 0) heldCount++;
            else if (!on && held[key] === 1) heldCount--;
            held[key] = on ? 1 : 0;
          } else if (status === START || status === CONTINUE || status === CLOCK) {
            clockRunning = true;
          } else if (status === STOP) {
            clockRunning = false;
          }
        }
      },
      stop() {
        release(ctx.clock.frames);
      },
      dispose: close,
    };
  },
});
