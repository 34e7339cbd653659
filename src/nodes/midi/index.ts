// MIDI node types (MidiInputNode, MidiTriggerNode, …), gathered here and added to the built-ins.
import type { NodeDefinition } from '../../engine/definition.js';

export const midiNodes: NodeDefinition[] = [];
