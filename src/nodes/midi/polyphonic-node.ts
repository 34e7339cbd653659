import { defineNode, midi, type PortSpec, stream } from '../../engine/definition.js';
import { noteToFrequency } from '../../engine/midi.js';
import { isAllNotesOff } from './note-stack.js';

/** Number of voices: fixed, so ports are static and a patch can wire each voice by name. */
export const POLYPHONIC_VOICES = 4;

const NONE = -1;

function voicePorts(): Record<string, PortSpec> {
  const ports: Record<string, PortSpec> = {};
  for (let v = 1; v <= POLYPHONIC_VOICES; v++) {
    ports[`frequency${v}`] = stream(
      `Voice ${v}: frequency of its note (kept after release, for release tails); 0 before its first note.`,
      {
        unit: 'Hz',
      },
    );
    ports[`gate${v}`] = stream(`Voice ${v}: 1 while its note is held, else 0.`, { unit: '0/1' });
    ports[`velocity${v}`] = stream(`Voice ${v}: velocity of its note, 0…1.`, { unit: '0…1' });
    ports[`trigger${v}`] = stream(`Voice ${v}: 1 at the frame its note starts, else 0.`, { unit: 'trigger' });
  }
  return ports;
}

/**
 * Voice allocator: each note-on takes a voice, so a chord sounds as a chord. A note struck again while
 * held retriggers its own voice; otherwise the voice released longest ago is taken (recent release tails
 * keep ringing); with every voice held, the oldest note is stolen. A note-off releases the voice holding
 * that note. All channels are merged.
 */
export const PolyphonicNode = defineNode({
  type: 'PolyphonicNode',
  category: 'midi',
  description: `Allocates MIDI notes to ${POLYPHONIC_VOICES} voices, each with frequency, gate, velocity and trigger outputs (frequency1…${POLYPHONIC_VOICES} etc.), so chords sound as chords.`,
  inputs: { midi: midi('MIDI messages (all channels).') },
  outputs: voicePorts(),
  create(_ctx, io) {
    const input = io.inputs.midi;
    const outputs = io.outputs as Record<string, { buf: Float32Array }>;
    const frequencyOut: Float32Array[] = [];
    const gateOut: Float32Array[] = [];
    const velocityOut: Float32Array[] = [];
    const triggerOut: Float32Array[] = [];
    for (let v = 1; v <= POLYPHONIC_VOICES; v++) {
      frequencyOut.push(outputs[`frequency${v}`].buf);
      gateOut.push(outputs[`gate${v}`].buf);
      velocityOut.push(outputs[`velocity${v}`].buf);
      triggerOut.push(outputs[`trigger${v}`].buf);
    }
    const note = new Int16Array(POLYPHONIC_VOICES).fill(NONE);
    const held = new Uint8Array(POLYPHONIC_VOICES);
    const frequency = new Float64Array(POLYPHONIC_VOICES);
    const velocity = new Float64Array(POLYPHONIC_VOICES);
    // When each voice was last struck or released (a running counter), for choosing which to take.
    const since = new Float64Array(POLYPHONIC_VOICES);
    // First frame of each voice not yet written in this block.
    const from = new Int32Array(POLYPHONIC_VOICES);
    let events = 0;
    let triggered = false;

    const flush = (v: number, to: number) => {
      if (to <= from[v]) return;
      frequencyOut[v].fill(frequency[v], from[v], to);
      gateOut[v].fill(held[v], from[v], to);
      velocityOut[v].fill(held[v] ? velocity[v] : 0, from[v], to);
      from[v] = to;
    };

    const chooseVoice = (key: number): number => {
      for (let v = 0; v < POLYPHONIC_VOICES; v++) if (held[v] && note[v] === key) return v;
      let best = NONE;
      for (let v = 0; v < POLYPHONIC_VOICES; v++) {
        if (!held[v] && (best === NONE || since[v] < since[best])) best = v;
      }
      if (best !== NONE) return best;
      best = 0;
      for (let v = 1; v < POLYPHONIC_VOICES; v++) if (since[v] < since[best]) best = v;
      return best;
    };

    return {
      process(frames) {
        if (triggered) {
          for (let v = 0; v < POLYPHONIC_VOICES; v++) triggerOut[v].fill(0, 0, frames);
          triggered = false;
        }
        from.fill(0);
        const messages = input.source;
        for (let i = 0; i < messages.count; i++) {
          let frame = messages.frame[i];
          if (frame < 0) frame = 0;
          if (frame >= frames) frame = frames - 1;
          const key = messages.data1[i] & 0x7f;
          if (messages.isNoteOn(i)) {
            const v = chooseVoice(key);
            flush(v, frame);
            note[v] = key;
            held[v] = 1;
            frequency[v] = noteToFrequency(key);
            velocity[v] = messages.data2[i] / 127;
            since[v] = ++events;
            triggerOut[v][frame] = 1;
            triggered = true;
          } else if (messages.isNoteOff(i)) {
            for (let v = 0; v < POLYPHONIC_VOICES; v++) {
              if (!held[v] || note[v] !== key) continue;
              flush(v, frame);
              held[v] = 0;
              since[v] = ++events;
            }
          } else if (isAllNotesOff(messages.status[i], messages.data1[i])) {
            for (let v = 0; v < POLYPHONIC_VOICES; v++) {
              if (!held[v]) continue;
              flush(v, frame);
              held[v] = 0;
              since[v] = ++events;
            }
          }
        }
        for (let v = 0; v < POLYPHONIC_VOICES; v++) flush(v, frames);
      },
    };
  },
});
