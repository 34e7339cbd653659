import { data, defineNode, midi, type PortSpec, stream } from '../../engine/definition.js';
import { portKind } from './ports.js';

const description = (kind: string) =>
  kind === 'midi'
    ? 'MIDI the outer node sends out at this port.'
    : kind === 'data'
      ? 'The value the outer node outputs at this port.'
      : 'The signal the outer node outputs at this port.';

const KIND = data('What the port carries: "stream", "data" or "midi". Structural: it decides the port.', {
  default: 'stream',
  structural: true,
});

/**
 * An output of the patch it sits in: a patch used as a node has one output per OutletNode, named like
 * it, carrying what is linked into the outlet's `input`. Run on its own it does nothing (a patch sounds
 * through its PlaybackNodes then).
 */
export const OutletNode = defineNode({
  type: 'OutletNode',
  category: 'instruments',
  description:
    'An output of the patch it is in: a patch used as a node (PatchNode, VoicesNode) has one output per OutletNode, named like it, carrying its `input`.',
  inputs: { kind: KIND, input: stream(description('stream')) },
  outputs: {},
  ports(values) {
    const kind = portKind(values.kind, 'OutletNode');
    const input: PortSpec =
      kind === 'midi'
        ? midi(description(kind))
        : kind === 'data'
          ? data(description(kind))
          : stream(description(kind));
    return { inputs: { kind: KIND, input }, outputs: {} };
  },
  create() {
    // The outer node reads `input` after the inner plan rendered; nothing to do here, so nothing to call.
    return { inert: true, process() {} };
  },
});
