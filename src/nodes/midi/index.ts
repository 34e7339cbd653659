// MIDI node types (MidiInputNode, MidiTriggerNode, …), gathered here and added to the built-ins.
import type { NodeDefinition } from '../../engine/definition.js';
import { MidiCCNode } from './midi-cc-node.js';
import { MidiClockNode } from './midi-clock-node.js';
import { MidiClockOutNode } from './midi-clock-out-node.js';
import { MidiFileNode } from './midi-file-node.js';
import { MidiInputNode } from './midi-input-node.js';
import { MidiOutputNode } from './midi-output-node.js';
import { MidiTranspositionNode } from './midi-transposition-node.js';
import { MidiTriggerNode } from './midi-trigger-node.js';
import { MonophonicRenderNode } from './monophonic-render-node.js';
import { PolyphonicNode } from './polyphonic-node.js';

export const midiNodes: NodeDefinition[] = [
  MidiInputNode,
  MidiTriggerNode,
  MidiTranspositionNode,
  MonophonicRenderNode,
  PolyphonicNode,
  MidiFileNode,
  MidiOutputNode,
  MidiCCNode,
  MidiClockNode,
  MidiClockOutNode,
];
