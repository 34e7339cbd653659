// `export` / `save`: the graph as a script that rebuilds it on an empty engine — same names, types,
// values and connections, in the same order.

import type { Graph, GraphNode } from '../engine/graph.js';
import { DEFAULT_TEMPO } from '../engine/tempo.js';
import { formatValue } from './values.js';

/** `Type` with its literal input values, if any: `VoicesNode(patch: "voice.syn", voices: 16)`. */
function typeWithArgs(node: GraphNode): string {
  const entries = Object.entries(node.args);
  if (entries.length === 0) return node.type;
  // The short form for a node made from a patch file: `new patch "voice.syn" v`.
  if (
    node.type === 'PatchNode' &&
    entries.length === 1 &&
    entries[0][0] === 'path' &&
    typeof entries[0][1] === 'string'
  )
    return `patch ${formatValue(entries[0][1])}`;
  return `${node.type}(${entries.map(([port, value]) => `${port}: ${formatValue(value)}`).join(', ')})`;
}

function nodeLine(node: GraphNode): string {
  if (node.type === 'DataNode') return `new ${formatValue(node.value)} ${node.name};`;
  const line = `new ${typeWithArgs(node)} ${node.name};`;
  // Another value-holding type (not DataNode) cannot be made by `new VALUE`: set its value after it.
  if (node.definition.holdsValue && node.value !== null)
    return `${line} set ${node.name} ${formatValue(node.value)};`;
  return line;
}

/**
 * One `new …;` line per node, a blank line, then one `link …;` line per connection. A tempo other than the
 * default comes first (`tempo 128;`), so the patch plays back at its tempo.
 */
export function exportScript(graph: Graph): string {
  const tempo = graph.tempo !== DEFAULT_TEMPO ? `tempo ${formatValue(graph.tempo)};\n` : '';
  const nodes = graph.nodes().map(nodeLine);
  const links = graph
    .connections()
    .map((c) => `link ${c.source.node}.${c.source.port} -> ${c.sink.node}.${c.sink.port};`);
  if (nodes.length === 0) return tempo;
  return tempo + (links.length ? `${nodes.join('\n')}\n\n${links.join('\n')}\n` : `${nodes.join('\n')}\n`);
}
