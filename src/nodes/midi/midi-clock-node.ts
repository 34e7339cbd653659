import { data, defineNode, midi, stream } from '../../engine/definition.js';
import { ClockFollower, TICK } from './clock-follower.js';

/**
 * Follows an incoming MIDI clock (a DAW or drum machine sending 24 Clock messages per quarter note):
 * `tick` is 1 at the frame of each Clock while the source runs (Start or Continue … Stop), `tempo` is the
 * source's tempo measured over the last beat of clocks, `running` is 1 between Start/Continue and Stop.
 * Song Position Pointer sets where Continue resumes (TransportNode reads it as `position`).
 */
export const MidiClockNode = defineNode({
  type: 'MidiClockNode',
  category: 'midi',
  description:
    'Follows incoming MIDI clock: a trigger on each of its 24 ticks per beat while it runs, its tempo, and whether it runs (Start/Continue/Stop).',
  inputs: { midi: midi('MIDI carrying Clock, Start, Continue, Stop and Song Position (e.g. from a DAW).') },
  outputs: {
    tempo: data("The source's tempo, measured over the last beat of clocks (0 until two clocks arrived).", {
      unit: 'bpm',
    }),
    tick: stream('1 at the frame of each Clock while running (24 per beat), else 0.', { unit: 'trigger' }),
    running: data('1 between Start/Continue and Stop, else 0.', { unit: '0/1' }),
  },
  create(ctx, io) {
    const input = io.inputs.midi;
    const { tempo, running } = io.outputs;
    const out = io.outputs.tick.buf;
    const follower = new ClockFollower(ctx.sampleRate);
    const markedFrames = new Int32Array(out.length);
    let marked = 0;
    let publishedBpm = -1;
    let publishedRunning = -1;
    tempo.set(0);
    running.set(0);
    return {
      process(frames) {
        for (let i = 0; i < marked; i++) out[markedFrames[i]] = 0;
        marked = 0;
        const messages = input.source;
        const blockStart = ctx.clock.frames;
        for (let i = 0; i < messages.count; i++) {
          const frame = messages.frame[i];
          if (frame < 0 || frame >= frames) continue;
          if ((follower.handle(messages, i, blockStart + frame) & TICK) !== 0 && out[frame] !== 1) {
            out[frame] = 1;
            markedFrames[marked++] = frame;
          }
        }
        if (follower.bpm !== publishedBpm) {
          publishedBpm = follower.bpm;
          tempo.set(publishedBpm);
        }
        const state = follower.running ? 1 : 0;
        if (state !== publishedRunning) {
          publishedRunning = state;
          running.set(state);
        }
      },
    };
  },
});
