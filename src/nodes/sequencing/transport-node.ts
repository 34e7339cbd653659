import { data, defineNode, midi, stream } from '../../engine/definition.js';
import { CLOCKS_PER_BEAT, EMPTY_MIDI } from '../../engine/midi.js';
import { beatAt, TEMPO_BPM } from '../../engine/tempo.js';
import { BEAT, ClockFollower } from '../midi/clock-follower.js';

/** Slack (beats) so float rounding never moves a beat by a frame (the grid is computed, not summed). */
const EPSILON = 1e-9;

/**
 * The engine's beat: a trigger on every beat of the engine tempo (`tempo 128`, PUT /tempo, OSC /tempo),
 * with the tempo and the beat position, so that clocked patches (sequencers, envelopes) follow one tempo.
 * Every TransportNode reads the same grid, so two of them beat together; a tempo change lands at a block
 * boundary and the beat phase carries on. At 120 bpm and 44.1 kHz the beats fall on frames k·22050 exactly.
 *
 * With its `midi` input linked to a MIDI clock source (a DAW), it follows that clock instead, once a clock
 * message (Clock, Start, Continue, Stop, Song Position) has arrived: a beat on every 24th Clock from Start,
 * none while the source is stopped, `bpm` measured from the clocks, `position` from Start or Song Position.
 * Unlinking `midi` returns it to the engine tempo.
 */
export const TransportNode = defineNode({
  type: 'TransportNode',
  category: 'sequencing',
  description:
    'The engine tempo as a beat trigger, bpm and beat position (or, with `midi` linked, an incoming MIDI clock).',
  inputs: {
    midi: midi(
      'Optional MIDI clock to follow instead of the engine tempo (e.g. a DAW through MidiInputNode).',
    ),
  },
  outputs: {
    beat: stream('1 on the first frame of each beat, else 0.', { unit: 'trigger' }),
    bpm: data('The tempo followed: the engine tempo, or the MIDI clock’s (0 until measured).', {
      unit: 'bpm',
    }),
    position: data('Beats since the engine started (or since the clock’s Start), to 1/24 beat.', {
      unit: 'beats',
    }),
  },
  create(ctx, io) {
    const input = io.inputs.midi;
    const { bpm, position } = io.outputs;
    const out = io.outputs.beat.buf;
    const tempo = ctx.tempo;
    const rate = ctx.sampleRate;
    const follower = new ClockFollower(rate);
    // Published values, compared as integers (clock ticks, hundredths of a bpm) so nothing is boxed per block.
    let publishedTicks = -1;
    let publishedCentiBpm = -1;
    const markedFrames = new Int32Array(out.length);
    let marked = 0;
    return {
      process(frames) {
        for (let i = 0; i < marked; i++) out[markedFrames[i]] = 0;
        marked = 0;
        const blockStart = ctx.clock.frames;
        const messages = input.source;
        if (messages === EMPTY_MIDI && follower.engaged) follower.reset();
        for (let i = 0; i < messages.count; i++) {
          if (!ClockFollower.isClockMessage(messages, i)) continue;
          const frame = messages.frame[i];
          if (frame < 0 || frame >= frames) continue;
          if ((follower.handle(messages, i, blockStart + frame) & BEAT) !== 0 && out[frame] !== 1) {
            out[frame] = 1;
            markedFrames[marked++] = frame;
          }
        }
        let ticks: number;
        let centiBpm: number;
        if (follower.engaged) {
          ticks = follower.position;
          centiBpm = Math.round(follower.bpm * 100);
        } else {
          // The engine grid: a beat where the position reaches a whole number, checked frame by frame from
          // the position one frame earlier (so a node added mid-beat waits for the next one).
          const k = tempo[TEMPO_BPM] / (60 * rate);
          const start = beatAt(tempo, blockStart, rate);
          let previous = Math.floor(start - k + EPSILON);
          for (let i = 0; i < frames; i++) {
            const whole = Math.floor(start + i * k + EPSILON);
            if (whole > previous) {
              out[i] = 1;
              markedFrames[marked++] = i;
            }
            previous = whole;
          }
          ticks = Math.floor(start * CLOCKS_PER_BEAT + EPSILON);
          centiBpm = Math.round(tempo[TEMPO_BPM] * 100);
        }
        if (ticks !== publishedTicks) {
          publishedTicks = ticks;
          position.set(ticks / CLOCKS_PER_BEAT);
        }
        if (centiBpm !== publishedCentiBpm) {
          publishedCentiBpm = centiBpm;
          bpm.set(centiBpm / 100);
        }
      },
    };
  },
});
