import { type DataSlot, data, defineNode, type OscSink } from '../../engine/definition.js';
import { type DataSlotValue, type DataValue, dataEquals } from '../../engine/types.js';
import { oscAddressProblem } from './osc-address.js';

/** At most this many messages a second per node: a fader moved by an LFO must not flood a controller. */
export const OSC_SEND_MAX_RATE = 100;

/**
 * Sends `input` as an OSC message to host:port at `address` — on change only, at most 100 messages a
 * second (a change inside that interval is sent when it ends, so the last value always arrives). A
 * stream sends its block's last sample; a data value is sent as it is (an array as one argument per
 * element; numbers as float32). OSC goes to this machine only unless the server was opened beyond
 * loopback with --host; offline renders send nothing.
 */
export const OscSendNode = defineNode({
  type: 'OscSendNode',
  category: 'osc',
  description:
    'Sends `input` as OSC to host:port at `address`, on change, at most 100 messages a second (e.g. to light a controller’s LED).',
  inputs: {
    address: data('OSC address to send to, e.g. "/1/led1".', { default: '/synchrotron' }),
    host: data('Where to send: loopback unless the server was opened with --host.', { default: '127.0.0.1' }),
    port: data('UDP port of the receiver.', { default: 9000, min: 1, max: 65535 }),
    input: data('The value to send: a data value, or a stream (its block’s last sample).', { default: null }),
  },
  outputs: {},
  create(ctx, io) {
    const inputs = io.inputs;
    const minFrames = Math.ceil(ctx.sampleRate / OSC_SEND_MAX_RATE);
    const sink: OscSink | null = ctx.host.openOscOutput?.() ?? null;
    const versions = new Int32Array(3).fill(-1);
    const slots: Array<DataSlot | null> = [null, null, null];
    let address: string | null = null;
    let host = '';
    let port = 0;
    let configured = false;
    let warned = false;
    /** Frames of sending budget (starts due). */
    let since = minFrames;
    let pending = false;
    // The last stream sample seen, in a typed array: a fraction kept in a closure is a fresh heap number.
    const last = Float64Array.of(Number.NaN);
    let lastValue: DataValue | undefined;
    let lastSlot: DataSlot | null = null;
    let lastSlotVersion = -1;

    /** Control-rate: re-read address, host and port when one changed; true when they are usable. */
    const configure = (): boolean => {
      const ports = [inputs.address, inputs.host, inputs.port];
      let changed = false;
      for (let i = 0; i < 3; i++) {
        const slot = ports[i].source;
        if (slot !== slots[i] || slot.version !== versions[i]) {
          slots[i] = slot;
          versions[i] = slot.version;
          changed = true;
        }
      }
      if (!changed) return configured;
      pending = true; // a new destination gets the current value
      const addressValue = inputs.address.value;
      const hostValue = inputs.host.value;
      const portValue = inputs.port.value;
      const problem =
        oscAddressProblem(addressValue) ??
        (typeof hostValue !== 'string' || hostValue === ''
          ? `\`host\` must be a host name or address, got ${JSON.stringify(hostValue)}`
          : typeof portValue !== 'number' ||
              !Number.isInteger(portValue) ||
              portValue < 1 ||
              portValue > 65535
            ? `\`port\` must be a whole number 1…65535, got ${JSON.stringify(portValue)}`
            : null);
      if (problem) {
        ctx.warn(problem);
        ctx.publish({ Destination: null });
        configured = false;
        return false;
      }
      address = addressValue as string;
      host = hostValue as string;
      port = portValue as number;
      ctx.publish({ Destination: `${host}:${port}${address}` });
      const refused = sink?.check(host) ?? null;
      warned = refused !== null;
      if (refused) ctx.warn(refused);
      configured = refused === null;
      return configured;
    };

    const send = (value: DataValue) => {
      if (!sink || address === null) return;
      const refused = sink.send(host, port, address, value);
      if (refused && !warned) {
        warned = true;
        ctx.warn(refused);
      }
      since -= minFrames;
      pending = false;
    };

    return {
      process(frames) {
        // A budget of one message per 1/100 s, carried over between blocks (so the average is 100 a second
        // whatever the block size) but never saved up for a burst after a quiet spell.
        since = Math.min(since + frames, minFrames + frames);
        const usable = configure();
        if (!sink) {
          if (!warned) {
            warned = true;
            ctx.warn('this engine sends no OSC (offline renders do not; the server does)');
          }
          return;
        }
        if (!usable) return;
        const slot = inputs.input.source;
        const value: DataSlotValue = slot.value;
        if (value instanceof Float32Array) {
          // A stream: its last sample, compared as a number (nothing allocated unless it is sent).
          const x = value[frames - 1];
          if (x !== last[0] && !(Number.isNaN(x) && Number.isNaN(last[0]))) {
            last[0] = x;
            lastValue = undefined;
            pending = true;
          }
          if (pending && since >= minFrames && Number.isFinite(last[0])) send(last[0]);
          return;
        }
        if (slot !== lastSlot || slot.version !== lastSlotVersion) {
          lastSlot = slot;
          lastSlotVersion = slot.version;
          if (lastValue === undefined || !dataEquals(value, lastValue)) {
            lastValue = value;
            last[0] = Number.NaN;
            pending = true;
          }
        }
        if (pending && since >= minFrames && lastValue !== undefined && lastValue !== null) send(lastValue);
      },
    };
  },
});
