import { defineNode, midi, stream } from '../../engine/definition.js';
import { NOTE_OFF } from '../../engine/midi.js';

const POLY_AFTERTOUCH = 0xa0;
const CHANNELS = 16;
const NOTES = 128;
const NONE = -1;

/**
 * Shifts note-on/off (and polyphonic aftertouch) by `transposition` semitones, read at each message's
 * frame and rounded to a whole semitone. Every other message passes unchanged. A note-off ends the note
 * its note-on started even if the transposition changed in between (held notes remember their shifted
 * number). A note that would leave 0…127 is dropped, together with its note-off.
 */
export const MidiTranspositionNode = defineNode({
  type: 'MidiTranspositionNode',
  category: 'midi',
  description:
    'Shifts note-on/off by `transposition` semitones (rounded); other messages pass. Notes leaving 0…127 are dropped; a note-off always ends the note its note-on started.',
  inputs: {
    midi: midi('MIDI messages.'),
    transposition: stream('Shift in semitones, read at each note-on.', { default: 0, unit: 'semitones' }),
  },
  outputs: { out: midi('The shifted MIDI messages.') },
  create(_ctx, io) {
    const input = io.inputs.midi;
    const transposition = io.inputs.transposition;
    const out = io.outputs.out.buf;
    // Shifted note number of each held (channel, note), NONE when not held or dropped.
    const held = new Int16Array(CHANNELS * NOTES).fill(NONE);
    return {
      process(frames) {
        out.clear();
        const messages = input.source;
        const shift = transposition.buf;
        for (let i = 0; i < messages.count; i++) {
          const status = messages.status[i];
          const frame = messages.frame[i];
          const kind = status & 0xf0;
          const note = messages.data1[i] & 0x7f;
          const key = (status & 0x0f) * NOTES + note;
          if (messages.isNoteOn(i)) {
            const previous = held[key];
            // The same key struck again while held: end the old shifted note first, so none hangs.
            if (previous !== NONE) out.push(frame, NOTE_OFF | (status & 0x0f), previous, 0);
            const offset = frame >= 0 && frame < frames ? shift[frame] : shift[0];
            const shifted = note + Math.round(offset || 0);
            if (shifted < 0 || shifted > 127) {
              held[key] = NONE;
              continue;
            }
            held[key] = shifted;
            out.push(frame, status, shifted, messages.data2[i]);
          } else if (messages.isNoteOff(i)) {
            const shifted = held[key];
            held[key] = NONE;
            if (shifted !== NONE) out.push(frame, status, shifted, messages.data2[i]);
          } else if (kind === POLY_AFTERTOUCH) {
            const shifted = held[key];
            if (shifted !== NONE) out.push(frame, status, shifted, messages.data2[i]);
          } else {
            out.push(frame, status, messages.data1[i], messages.data2[i]);
          }
        }
      },
    };
  },
});
