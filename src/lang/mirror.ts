// A client's copy of a server's graph, rebuilt from the API's JSON shapes (GET /types, /nodes,
// /connections or the /ws pushes) as a real Graph, so clients run the language's own completion and
// checks against it instead of re-implementing them. The console and the web editor both use it.

import type { ApiConnection, ApiInput, ApiNode, ApiOutput } from '../api/protocol.js';
import type { NodeDefinition, PortSpec, PortSpecs } from '../engine/definition.js';
import { Graph } from '../engine/graph.js';
import { NodeRegistry, type NodeTypeInfo } from '../engine/registry.js';
import { type DataValue, isDataValue } from '../engine/types.js';

/** Types that hold a value set by `new VALUE` / `set` (GET /types does not say; only DataNode does). */
const VALUE_TYPES = new Set(['DataNode']);

function specs(ports: NodeTypeInfo['inputs']): Record<string, PortSpec> {
  const out: Record<string, PortSpec> = {};
  for (const { name, ...spec } of ports) out[name] = spec;
  return out;
}

/**
 * A registry of declarations only, from GET /types: enough to validate names, ports and links and to
 * complete, but its nodes cannot render (a client has no engine).
 */
export function describedRegistry(types: readonly NodeTypeInfo[]): NodeRegistry {
  return new NodeRegistry(
    types.map(
      (info): NodeDefinition => ({
        type: info.type,
        category: info.category,
        description: info.description,
        inputs: specs(info.inputs),
        outputs: specs(info.outputs),
        ...(VALUE_TYPES.has(info.type) ? { holdsValue: true } : {}),
        create: () => {
          throw new Error(`${info.type} is only described here: this copy of the graph does not render`);
        },
      }),
    ),
  );
}

/**
 * The graph the API shapes describe, built on `registry` (a described one, or the engine's own).
 * Nodes of types the registry does not know, and links it would refuse, are left out.
 */
export function mirrorGraph(
  registry: NodeRegistry,
  nodes: Iterable<ApiNode>,
  connections: Iterable<ApiConnection>,
): Graph {
  const graph = new Graph(registry);
  for (const node of nodes) {
    if (!registry.has(node.type)) continue;
    const value = node.exports.Value;
    const definition = registry.get(node.type);
    try {
      // A node with ports of its own (a PatchNode's inlets and outlets) is mirrored with the ports the server
      // shows; a described registry cannot ask the type (its `ports` needs the patch file).
      const known =
        definition.ports || !samePortNames(node, definition)
          ? {
              inputs: specsOf(node.inputs, definition.inputs),
              outputs: specsOf(node.outputs, definition.outputs),
            }
          : undefined;
      graph.addNode(node.type, node.name, (isDataValue(value) ? value : null) as DataValue, undefined, known);
    } catch {
      // a name or value this build would refuse: the copy does without it
    }
  }
  for (const c of connections) {
    try {
      graph.link(
        { node: c.source.node_name, port: c.source.port_name },
        { node: c.sink.node_name, port: c.sink.port_name },
      );
    } catch {
      // as above
    }
  }
  return graph;
}

const KINDS: Record<string, PortSpec['kind']> = {
  StreamInput: 'stream',
  StreamOutput: 'stream',
  DataInput: 'data',
  DataOutput: 'data',
  MidiInput: 'midi',
  MidiOutput: 'midi',
};

function samePortNames(node: ApiNode, definition: NodeDefinition): boolean {
  const names = (ports: Array<ApiInput | ApiOutput>) => ports.map((p) => p.port_name).join('\n');
  return (
    names(node.inputs) === Object.keys(definition.inputs).join('\n') &&
    names(node.outputs) === Object.keys(definition.outputs).join('\n')
  );
}

/** The specs of the ports a server shows: declared ones as declared, others by their kind. */
function specsOf(ports: Array<ApiInput | ApiOutput>, declared: PortSpecs): PortSpecs {
  const specs: PortSpecs = {};
  for (const port of ports) {
    specs[port.port_name] = Object.hasOwn(declared, port.port_name)
      ? declared[port.port_name]
      : { kind: KINDS[port.type] ?? 'stream', description: `${port.port_name} of this node` };
  }
  return specs;
}
