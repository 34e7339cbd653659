// OSC node types (OscReceiveNode, OscSendNode), gathered here and added to the built-ins.
import type { NodeDefinition } from '../../engine/definition.js';
import { OscReceiveNode } from './osc-receive-node.js';
import { OscSendNode } from './osc-send-node.js';

export const oscNodes: NodeDefinition[] = [OscReceiveNode, OscSendNode];
