import { LinearRamp } from '../../dsp/linear-ramp.js';
import {
  type DataSlot,
  data,
  defineNode,
  type OscSource,
  OscValues,
  stream,
} from '../../engine/definition.js';
import { oscAddressProblem } from './osc-address.js';

/** Glide to each new value over this long (seconds): a fader never clicks. */
export const OSC_SMOOTHING_SECONDS = 0.005;

/**
 * A controller's OSC messages (TouchOSC, Open Stage Control, SuperCollider …) sent to the server's --osc
 * port at `address`: `out` follows the first numeric argument, gliding linearly over 5 ms to each new
 * value (the first is taken at once; 0 before any), and `value` holds the arguments of the latest message
 * (one argument: itself; several: an array). A message in a time-tagged bundle lands at its frame.
 */
export const OscReceiveNode = defineNode({
  type: 'OscReceiveNode',
  category: 'osc',
  description:
    "OSC messages sent to the server's --osc port at `address`: the first number as a smoothed stream, the arguments as a value.",
  inputs: {
    address: data('OSC address to listen to, e.g. "/1/fader1" (exact match).', { default: '/1/fader1' }),
  },
  outputs: {
    out: stream('The first numeric argument, gliding over 5 ms to each new value (0 before any).'),
    value: data('The arguments of the latest message (one: itself; several: an array).'),
  },
  create(ctx, io) {
    const addressInput = io.inputs.address;
    const out = io.outputs.out.buf;
    const valueOutput = io.outputs.value;
    const host = ctx.host;
    const ramp = new LinearRamp(Math.round(OSC_SMOOTHING_SECONDS * ctx.sampleRate));
    const received = new OscValues();
    let seenVersion = 0;
    let source: OscSource | null = null;
    let seenSlot: DataSlot | null = null;
    let seenSlotVersion = -1;

    const close = () => {
      source?.close();
      source = null;
    };

    // Control-rate work, run only when `address` changes.
    const listen = (address: unknown) => {
      close();
      const problem = oscAddressProblem(address);
      if (problem) {
        ctx.publish({ Address: null });
        ctx.warn(problem);
        return;
      }
      source = host.openOscInput?.(address as string) ?? null;
      ctx.publish({ Address: source ? address : null });
      if (!source) ctx.warn('no OSC input here: start the server with --osc PORT to receive OSC');
    };

    return {
      process(frames) {
        const slot = addressInput.source;
        if (slot !== seenSlot || slot.version !== seenSlotVersion) {
          seenSlot = slot;
          seenSlotVersion = slot.version;
          listen(slot.value);
        }
        if (!source) {
          ramp.fill(out, 0, frames);
          return;
        }
        source.drain(received, frames, ctx.clock.frames);
        let written = 0;
        for (let i = 0; i < received.count; i++) {
          const number = received.number[i];
          if (Number.isNaN(number)) continue;
          const frame = received.frame[i];
          ramp.fill(out, written, frame);
          written = frame;
          ramp.set(number);
        }
        ramp.fill(out, written, frames);
        if (received.version !== seenVersion) {
          seenVersion = received.version;
          valueOutput.set(received.latest);
        }
      },
      dispose: close,
    };
  },
});
