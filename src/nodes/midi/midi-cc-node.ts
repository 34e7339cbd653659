import { LinearRamp } from '../../dsp/linear-ramp.js';
import { type DataSlot, data, defineNode, midi, stream } from '../../engine/definition.js';
import { CONTROL_CHANGE } from '../../engine/midi.js';
import { dataToNumber } from '../../engine/types.js';

/** Glide to each new controller value over this long (seconds): a knob never clicks. */
export const CC_SMOOTHING_SECONDS = 0.005;

/**
 * A MIDI controller (a knob, fader or pedal: Control Change `controller` on `channel`) as a stream 0…1
 * (value / 127). Each new value glides linearly from the current output over 5 ms, starting at the frame
 * the message arrived; the first value is taken at once. Before any arrives the output is 0.
 */
export const MidiCCNode = defineNode({
  type: 'MidiCCNode',
  category: 'midi',
  description:
    'A MIDI controller (Control Change number `controller`) as a smoothed stream 0…1, e.g. a hardware knob driving a cutoff.',
  inputs: {
    midi: midi('MIDI messages (e.g. from a MidiInputNode).'),
    controller: data('Controller number 0…127 (1 = mod wheel, 7 = volume, 74 = brightness); clamped.', {
      default: 1,
      min: 0,
      max: 127,
    }),
    channel: data('MIDI channel 1…16; 0 takes the controller from any channel; clamped to 0…16.', {
      default: 0,
      min: 0,
      max: 16,
    }),
  },
  outputs: {
    out: stream('The controller value / 127, gliding over 5 ms to each new value.', { unit: '0…1' }),
  },
  create(ctx, io) {
    const { midi: input, controller, channel } = io.inputs;
    const out = io.outputs.out.buf;
    const ramp = new LinearRamp(Math.round(CC_SMOOTHING_SECONDS * ctx.sampleRate));
    // The number and channel wanted, re-read only when their inputs change (a relink or a new value).
    let wantedController = -1;
    let wantedChannel = -1;
    let controllerSlot: DataSlot | null = null;
    let controllerVersion = -1;
    let channelSlot: DataSlot | null = null;
    let channelVersion = -1;
    return {
      process(frames) {
        if (controller.source !== controllerSlot || controller.source.version !== controllerVersion) {
          controllerSlot = controller.source;
          controllerVersion = controllerSlot.version;
          // Out of range is clamped, as the port's min/max say (a string or null reads as 0).
          wantedController = Math.min(127, Math.max(0, Math.round(dataToNumber(controllerSlot.value))));
        }
        if (channel.source !== channelSlot || channel.source.version !== channelVersion) {
          channelSlot = channel.source;
          channelVersion = channelSlot.version;
          const n = Math.min(16, Math.max(0, Math.round(dataToNumber(channelSlot.value))));
          wantedChannel = n - 1; // -1: any channel
        }
        const messages = input.source;
        let written = 0;
        for (let i = 0; i < messages.count; i++) {
          const status = messages.status[i];
          if ((status & 0xf0) !== CONTROL_CHANGE || messages.data1[i] !== wantedController) continue;
          if (wantedChannel >= 0 && (status & 0x0f) !== wantedChannel) continue;
          let frame = messages.frame[i];
          if (frame < written) frame = written;
          if (frame >= frames) frame = frames - 1;
          ramp.fill(out, written, frame);
          written = frame;
          ramp.set(messages.data2[i] / 127);
        }
        ramp.fill(out, written, frames);
      },
    };
  },
});
