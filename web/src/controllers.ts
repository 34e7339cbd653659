// What a learnt MIDI controller does (see midimap.ts): it sets its value node like a dragged slider
// would — coalesced, ramped by the engine, one undo step per movement. A control armed on an unlinked
// input first gets its value node (as a drag on it would).

import { addInputValue, valueSender } from './edits';
import { onControllerValue, onResolveTarget } from './midimap';
import { store } from './store';

const senders = new Map<string, ReturnType<typeof valueSender>>();

onControllerValue((node, value, done) => {
  if (store.state.nodes.get(node)?.type !== 'DataNode') return;
  let sender = senders.get(node);
  if (!sender) senders.set(node, (sender = valueSender(node)));
  sender.send(value, done);
});

onResolveTarget(async (target, range) => {
  if (store.state.nodes.has(target)) return target;
  const dot = target.lastIndexOf('.');
  if (dot < 0) return null;
  const sink = { node_name: target.slice(0, dot), port_name: target.slice(dot + 1) };
  const node = store.state.nodes.get(sink.node_name);
  const input = node?.inputs.find((i) => i.port_name === sink.port_name);
  if (!node || !input || input.source) return null;
  const spec = store.state.types
    .find((t) => t.type === node.type)
    ?.inputs.find((p) => p.name === sink.port_name);
  const value = typeof spec?.default === 'number' ? spec.default : range.min;
  const at = store.state.positions[node.name] ?? { x: 0, y: 0 };
  return addInputValue(sink, value, { x: at.x - 170, y: at.y }).catch(() => null);
});
