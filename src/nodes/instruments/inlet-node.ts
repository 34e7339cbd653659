import {
  DataInput,
  DataOutput,
  type DataSlot,
  data,
  defineNode,
  MidiInput,
  type MidiOutput,
  midi,
  type NodeInstance,
  type PortSpec,
  StreamInput,
  StreamOutput,
  stream,
} from '../../engine/definition.js';
import { dataToNumber } from '../../engine/types.js';
import { copyMidi, portKind } from './ports.js';

/** An outer node's input an inlet reads from, or nothing (the inlet plays its default). */
export type InletSource = StreamInput | DataInput | MidiInput | null;

/**
 * What a node holding a patch (PatchNode, a VoicesNode's voice) asks of each inlet inside it. Render side.
 */
export interface InletInstance extends NodeInstance {
  /** Read this input of the outer node each block (null: play the default again). */
  follow(source: InletSource): void;
  /**
   * The outer node writes this (stream) inlet's samples itself, before the inner plan renders: answers
   * the inlet's output buffer (null for a data or MIDI inlet). A VoicesNode drives frequency, gate … so.
   */
  drive(): Float32Array | null;
}

export function isInlet(instance: NodeInstance | undefined): instance is InletInstance {
  return (
    instance !== undefined &&
    typeof (instance as Partial<InletInstance>).follow === 'function' &&
    typeof (instance as Partial<InletInstance>).drive === 'function'
  );
}

const FOLLOW = 0;
const DEFAULT = 1;
const DRIVEN = 2;

const description = (kind: string) =>
  kind === 'midi'
    ? 'The MIDI messages the outer node receives at this port.'
    : kind === 'data'
      ? 'The value the outer node receives at this port, or `default`.'
      : 'The signal the outer node receives at this port, or `default` while nothing feeds it.';

const INLET_INPUTS = {
  kind: data('What the port carries: "stream", "data" or "midi". Structural: it decides the port.', {
    default: 'stream',
    structural: true,
  }),
  default: data('What the port reads while nothing is linked to it (a number for a stream).', {
    default: 0,
  }),
};

/**
 * A port of the patch it sits in: in a `.syn` file used as a node (PatchNode, VoicesNode), every InletNode
 * becomes an input of that node named like the inlet. Inside, it outputs what the outer node receives
 * there; run on its own it plays its `default`.
 */
export const InletNode = defineNode({
  type: 'InletNode',
  category: 'instruments',
  description:
    'An input of the patch it is in: a patch used as a node (PatchNode, VoicesNode) has one input per InletNode, named like it. Plays `default` when run on its own or unlinked.',
  inputs: INLET_INPUTS,
  outputs: { out: stream(description('stream')) },
  ports(values) {
    const kind = portKind(values.kind, 'InletNode');
    const out: PortSpec =
      kind === 'midi'
        ? midi(description(kind))
        : kind === 'data'
          ? data(description(kind))
          : stream(description(kind));
    return { inputs: INLET_INPUTS, outputs: { out } };
  },
  create(ctx, io) {
    const fallback = io.inputs.default as DataInput;
    let out = io.outputs.out as StreamOutput | DataOutput | MidiOutput;
    let source: InletSource = null;
    let mode = DEFAULT;
    // Data: the slot and version last passed on; stream default: the default slot's version filled.
    let lastSlot: DataSlot | null = null;
    let lastVersion = -1;
    // Following a constant stream: the value the first `heldFrames` frames of the output already hold (a
    // voice's unlinked inputs are constant, and copying them every block was a twentieth of poly-32's time).
    const held = new Float64Array(1);
    let heldFrames = 0;
    const instance: InletInstance = {
      // Driven, `process` does nothing: the plan skips it (a VoicesNode's 32 voices had 96 such calls a block).
      get inert() {
        return mode === DRIVEN;
      },
      follow(input) {
        heldFrames = 0;
        source = input;
        mode = input === null ? DEFAULT : FOLLOW;
        lastSlot = null;
        ctx.inertChanged?.();
      },
      drive() {
        mode = DRIVEN;
        source = null;
        ctx.inertChanged?.();
        return out instanceof StreamOutput ? out.buf : null;
      },
      portsChanged() {
        heldFrames = 0;
        out = io.outputs.out as StreamOutput | DataOutput | MidiOutput;
        lastSlot = null;
        if (mode === DRIVEN) mode = DEFAULT; // the driver asks again after a change
        ctx.inertChanged?.();
      },
      process(frames) {
        if (mode === DRIVEN) return;
        if (out instanceof StreamOutput) {
          if (mode === FOLLOW && source instanceof StreamInput) {
            const from = source.buf;
            const to = out.buf;
            if (source.constant) {
              if (from[0] === held[0] && heldFrames >= frames) return;
              held[0] = from[0];
              heldFrames = from[0] - from[0] === 0 ? frames : 0; // a non-finite one mutes (zeroes) the inlet
            } else heldFrames = 0;
            for (let i = 0; i < frames; i++) to[i] = from[i];
            return;
          }
          const slot = fallback.source;
          if (slot !== lastSlot || slot.version !== lastVersion) {
            out.buf.fill(dataToNumber(slot.value));
            lastSlot = slot;
            lastVersion = slot.version;
          }
        } else if (out instanceof DataOutput) {
          const slot = mode === FOLLOW && source instanceof DataInput ? source.source : fallback.source;
          if (slot !== lastSlot || slot.version !== lastVersion) {
            out.set(slot.value);
            lastSlot = slot;
            lastVersion = slot.version;
          }
        } else if (mode === FOLLOW && source instanceof MidiInput) {
          copyMidi(source.source, out.buf);
        } else out.buf.clear();
      },
    };
    return instance;
  },
});
