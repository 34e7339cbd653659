import { defineNode, midi, stream } from '../../engine/definition.js';
import { noteToFrequency } from '../../engine/midi.js';
import { isAllNotesOff, NoteStack } from './note-stack.js';

/**
 * One voice from MIDI with last-note priority: the frequency of the most recently struck note still
 * held; releasing it returns to the previous held note; 0 Hz once all are released (SPEC). Changes land
 * at the exact frame of their message. All channels are merged.
 */
export const MonophonicRenderNode = defineNode({
  type: 'MonophonicRenderNode',
  category: 'midi',
  description:
    'Frequency of the last held note (A4 = 69 = 440 Hz; last-note priority, 0 when all are released), with gate and velocity.',
  inputs: { midi: midi('MIDI messages (all channels).') },
  outputs: {
    frequency: stream('Frequency of the last held note, 0 when none is held.', { unit: 'Hz' }),
    gate: stream('1 while a note is held, else 0.', { unit: '0/1' }),
    velocity: stream('Velocity of the sounding note, 0…1 (0 when none is held).', { unit: '0…1' }),
  },
  create(_ctx, io) {
    const input = io.inputs.midi;
    const frequencyOut = io.outputs.frequency.buf;
    const gateOut = io.outputs.gate.buf;
    const velocityOut = io.outputs.velocity.buf;
    const stack = new NoteStack();
    let frequency = 0;
    let gate = 0;
    let velocity = 0;

    const update = () => {
      if (stack.size === 0) {
        frequency = 0;
        gate = 0;
        velocity = 0;
        return;
      }
      const top = stack.size - 1;
      frequency = noteToFrequency(stack.notes[top]);
      gate = 1;
      velocity = stack.velocities[top] / 127;
    };

    return {
      process(frames) {
        const messages = input.source;
        let from = 0;
        for (let i = 0; i < messages.count; i++) {
          let frame = messages.frame[i];
          if (frame < from) frame = from;
          if (frame > frames) frame = frames;
          if (frame > from) {
            frequencyOut.fill(frequency, from, frame);
            gateOut.fill(gate, from, frame);
            velocityOut.fill(velocity, from, frame);
            from = frame;
          }
          if (messages.isNoteOn(i)) stack.press(messages.data1[i] & 0x7f, messages.data2[i]);
          else if (messages.isNoteOff(i)) stack.release(messages.data1[i] & 0x7f);
          else if (isAllNotesOff(messages.status[i], messages.data1[i])) stack.clear();
          else continue;
          update();
        }
        frequencyOut.fill(frequency, from, frames);
        gateOut.fill(gate, from, frames);
        velocityOut.fill(velocity, from, frames);
      },
    };
  },
});
