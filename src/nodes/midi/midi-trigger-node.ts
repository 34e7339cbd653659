import { defineNode, midi, stream } from '../../engine/definition.js';

/** A trigger stream from MIDI: 1 at each frame where a note-on arrives, 0 elsewhere. */
export const MidiTriggerNode = defineNode({
  type: 'MidiTriggerNode',
  category: 'midi',
  description: 'Trigger stream: 1 at each frame where a note-on (velocity > 0) arrives, 0 elsewhere.',
  inputs: { midi: midi('MIDI messages.') },
  outputs: { trigger: stream('1 on note-on frames, else 0.', { unit: 'trigger' }) },
  create(_ctx, io) {
    const input = io.inputs.midi;
    const out = io.outputs.trigger.buf;
    // Frames set to 1 in the previous block: only those need clearing (no full fill per block).
    let marked = 0;
    const markedFrames = new Int32Array(out.length);
    return {
      process(frames) {
        for (let i = 0; i < marked; i++) out[markedFrames[i]] = 0;
        marked = 0;
        const messages = input.source;
        for (let i = 0; i < messages.count; i++) {
          if (!messages.isNoteOn(i)) continue;
          const frame = messages.frame[i];
          if (frame < 0 || frame >= frames || out[frame] === 1) continue;
          out[frame] = 1;
          markedFrames[marked++] = frame;
        }
      },
    };
  },
});
