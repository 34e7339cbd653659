// Every built-in node type. Each lives in its own file; this list is the only place they are gathered.

import type { NodeDefinition } from '../engine/definition.js';
import { PlaybackNode } from './io/playback-node.js';
import { AddNode } from './math/add-node.js';
import { MultiplyNode } from './math/multiply-node.js';
import { midiNodes } from './midi/index.js';
import { SineNode } from './oscillators/sine-node.js';
import { DataNode } from './sources/data-node.js';
import { SilenceNode } from './sources/silence-node.js';
import { StreamNode } from './sources/stream-node.js';

export const builtinNodes: NodeDefinition[] = [
  DataNode,
  StreamNode,
  SilenceNode,
  SineNode,
  AddNode,
  MultiplyNode,
  PlaybackNode,
  ...midiNodes,
];
