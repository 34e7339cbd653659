// What InletNode, OutletNode, PatchNode and VoicesNode share: port kinds chosen by a value, and copying a
// block of MIDI from one buffer to another (render side, allocation-free).

import { SynchrotronError } from '../../engine/errors.js';
import type { MidiBuffer } from '../../engine/midi.js';
import type { DataValue, PortKind } from '../../engine/types.js';

export const PORT_KINDS: readonly PortKind[] = ['stream', 'data', 'midi'];

/** An inlet's or outlet's `kind`, checked (control side): `stream`, `data` or `midi`. */
export function portKind(value: DataValue, type: string): PortKind {
  if (value === null) return 'stream';
  if (typeof value === 'string' && (PORT_KINDS as readonly string[]).includes(value))
    return value as PortKind;
  throw new SynchrotronError(
    'invalid',
    `the \`kind\` of a ${type} is "stream", "data" or "midi", not ${JSON.stringify(value)}`,
  );
}

/** Render side: `to` holds the messages of `from` for this block. */
export function copyMidi(from: MidiBuffer, to: MidiBuffer): void {
  to.count = 0;
  for (let i = 0; i < from.count; i++) to.push(from.frame[i], from.status[i], from.data1[i], from.data2[i]);
}
