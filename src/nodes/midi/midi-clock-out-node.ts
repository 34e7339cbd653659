import { type DataSlot, data, defineNode, midi } from '../../engine/definition.js';
import { CLOCK, CLOCKS_PER_BEAT, START, STOP } from '../../engine/midi.js';
import { beatAt, TEMPO_BPM } from '../../engine/tempo.js';
import { dataToNumber } from '../../engine/types.js';

const EPSILON = 1e-9;

/**
 * MIDI clock from the engine tempo, for hardware and DAWs to follow: link `midi` to a MidiOutputNode. While
 * `run` is on it sends 24 Clock messages per beat, on the engine's beat grid (the clocks of beat n fall on
 * TransportNode's beat n). Switching `run` on — or the engine starting — sends Start on the next beat, with
 * that beat's first Clock, so the receiver's bar lines up with ours; switching it off sends Stop. (When the
 * engine itself stops, the MidiOutputNode carrying the clock sends Stop.)
 */
export const MidiClockOutNode = defineNode({
  type: 'MidiClockOutNode',
  category: 'midi',
  description:
    'MIDI clock from the engine tempo (24 per beat, Start on the next beat, Stop) for a MidiOutputNode: hardware and DAWs follow the engine.',
  inputs: {
    run: data('On (1/true): Start on the next beat, then clock; off (0/false): Stop.', {
      default: 1,
      min: 0,
      max: 1,
    }),
  },
  outputs: { midi: midi('Clock, Start and Stop at their frames.') },
  create(ctx, io) {
    const runInput = io.inputs.run;
    const out = io.outputs.midi.buf;
    const tempo = ctx.tempo;
    const rate = ctx.sampleRate;
    let seenSlot: DataSlot | null = null;
    let seenVersion = -1;
    let wanted = false;
    // 0: stopped; 1: waiting for the next beat to Start; 2: running.
    let state = 0;
    return {
      start() {
        if (state === 2) state = 1; // a new run of the engine: Start again on its next beat
      },
      process(frames) {
        out.clear();
        const slot = runInput.source;
        if (slot !== seenSlot || slot.version !== seenVersion) {
          seenSlot = slot;
          seenVersion = slot.version;
          wanted = dataToNumber(slot.value) > 0;
        }
        if (!wanted) {
          if (state === 2) out.push(0, STOP, 0, 0);
          state = 0;
          return;
        }
        if (state === 0) state = 1;
        const k = (tempo[TEMPO_BPM] * CLOCKS_PER_BEAT) / (60 * rate); // clocks per frame
        const start = beatAt(tempo, ctx.clock.frames, rate) * CLOCKS_PER_BEAT;
        let previous = Math.floor(start - k + EPSILON);
        for (let i = 0; i < frames; i++) {
          const whole = Math.floor(start + i * k + EPSILON);
          if (whole > previous) {
            if (state === 1) {
              if (whole % CLOCKS_PER_BEAT !== 0) {
                previous = whole;
                continue; // not a beat yet: Start waits for one
              }
              out.push(i, START, 0, 0);
              state = 2;
            }
            out.push(i, CLOCK, 0, 0);
          }
          previous = whole;
        }
      },
    };
  },
});
