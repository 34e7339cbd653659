// Every built-in node type. Each lives in its own file; this list is the only place they are gathered.

import type { NodeDefinition } from '../engine/definition.js';
import { DebugNode } from './debug/debug-node.js';
import { DelayNode } from './delay/delay-node.js';
import { CompressorNode } from './dynamics/compressor-node.js';
import { DistortionNode } from './dynamics/distortion-node.js';
import { ADSRNode } from './envelopes/adsr-node.js';
import { LagNode } from './envelopes/lag-node.js';
import { TriggerEnvelopeNode } from './envelopes/trigger-envelope-node.js';
import { BiquadFilterNode } from './filters/biquad-filter-node.js';
import { LadderFilterNode } from './filters/ladder-filter-node.js';
import { StateVariableFilterNode } from './filters/state-variable-filter-node.js';
import { InletNode } from './instruments/inlet-node.js';
import { OutletNode } from './instruments/outlet-node.js';
import { PatchNode } from './instruments/patch-node.js';
import { VoicesNode } from './instruments/voices-node.js';
import { AudioInputNode } from './io/audio-input-node.js';
import { PlaybackNode } from './io/playback-node.js';
import { WavFileNode } from './io/wav-file-node.js';
import { AddNode } from './math/add-node.js';
import { MathNode } from './math/math-node.js';
import { MultiplyNode } from './math/multiply-node.js';
import { midiNodes } from './midi/index.js';
import { CrossfadeNode } from './mixing/crossfade-node.js';
import { GainNode } from './mixing/gain-node.js';
import { MixerNode } from './mixing/mixer-node.js';
import { PanNode } from './mixing/pan-node.js';
import { oscNodes } from './osc/index.js';
import { SawtoothNode } from './oscillators/sawtooth-node.js';
import { SineNode } from './oscillators/sine-node.js';
import { SquareNode } from './oscillators/square-node.js';
import { TriangleNode } from './oscillators/triangle-node.js';
import { SamplerNode } from './samples/sampler-node.js';
import { ClockNode } from './sequencing/clock-node.js';
import { SampleAndHoldNode } from './sequencing/sample-and-hold-node.js';
import { SequenceNode } from './sequencing/sequence-node.js';
import { TransportNode } from './sequencing/transport-node.js';
import { DataNode } from './sources/data-node.js';
import { NoiseNode } from './sources/noise-node.js';
import { SilenceNode } from './sources/silence-node.js';
import { StreamNode } from './sources/stream-node.js';
import { UniformRandomNode } from './sources/uniform-random-node.js';
import { ReverbNode } from './space/reverb-node.js';

export const builtinNodes: NodeDefinition[] = [
  DataNode,
  StreamNode,
  SilenceNode,
  SineNode,
  SquareNode,
  SawtoothNode,
  PlaybackNode,
  WavFileNode,
  UniformRandomNode,
  AddNode,
  MultiplyNode,
  DebugNode,
  SequenceNode,
  ClockNode,
  TriggerEnvelopeNode,
  ...midiNodes,
  ReverbNode,
  CompressorNode,
  DistortionNode,
  TriangleNode,
  NoiseNode,
  MathNode,
  ADSRNode,
  LagNode,
  SampleAndHoldNode,
  GainNode,
  PanNode,
  MixerNode,
  CrossfadeNode,
  BiquadFilterNode,
  StateVariableFilterNode,
  LadderFilterNode,
  DelayNode,
  SamplerNode,
  AudioInputNode,
  TransportNode,
  ...oscNodes,
  InletNode,
  OutletNode,
  PatchNode,
  VoicesNode,
];
