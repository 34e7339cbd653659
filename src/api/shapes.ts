// Graph objects in the JSON shapes of SPEC §4 (Node, Input, Output, Connection). Synchrolang results,
// the HTTP/WebSocket server, the console and the web UI all use these, so the shapes are written in one
// place. A leaf module: it imports only engine types (see DESIGN.md "Layers", test/layers.test.ts).

import type { PortSpec } from '../engine/definition.js';
import type { Connection, Graph, GraphNode } from '../engine/graph.js';
import type { PortDirection, PortKind, PortRef } from '../engine/types.js';
import type { ApiConnection, ApiInput, ApiNode, ApiOutput, ApiPort } from './protocol.js';

const INPUT_TYPES: Record<PortKind, ApiInput['type']> = {
  stream: 'StreamInput',
  data: 'DataInput',
  midi: 'MidiInput',
};
const OUTPUT_TYPES: Record<PortKind, ApiOutput['type']> = {
  stream: 'StreamOutput',
  data: 'DataOutput',
  midi: 'MidiOutput',
};

/** The API `type` of a port: `StreamInput`, `DataOutput`, … */
export function apiPortType(kind: PortKind, direction: PortDirection): ApiInput['type'] | ApiOutput['type'] {
  return direction === 'input' ? INPUT_TYPES[kind] : OUTPUT_TYPES[kind];
}

export function toApiPort(ref: PortRef): ApiPort {
  return { node_name: ref.node, port_name: ref.port };
}

export function fromApiPort(port: ApiPort): PortRef {
  return { node: port.node_name, port: port.port_name };
}

export function toApiConnection(connection: Connection): ApiConnection {
  return { source: toApiPort(connection.source), sink: toApiPort(connection.sink) };
}

/** Sinks of every output, keyed `node.port`, in connection order: one pass over the connections. */
function sinksByOutput(graph: Graph): Map<string, ApiPort[]> {
  const sinks = new Map<string, ApiPort[]>();
  for (const c of graph.connections()) {
    const key = `${c.source.node}.${c.source.port}`;
    let list = sinks.get(key);
    if (!list) sinks.set(key, (list = []));
    list.push(toApiPort(c.sink));
  }
  return sinks;
}

/** `graph` null: a node without connections (toApiNewNode). */
function buildNode(graph: Graph | null, node: GraphNode, sinks: Map<string, ApiPort[]>): ApiNode {
  const inputs: ApiInput[] = [];
  for (const port in node.inputs) {
    const source = graph?.sourceOf({ node: node.name, port });
    inputs.push({
      node_name: node.name,
      port_name: port,
      type: INPUT_TYPES[node.inputs[port].kind],
      source: source ? toApiPort(source.source) : null,
    });
  }
  const outputs: ApiOutput[] = [];
  for (const port in node.outputs) {
    outputs.push({
      node_name: node.name,
      port_name: port,
      type: OUTPUT_TYPES[node.outputs[port].kind],
      sinks: sinks.get(`${node.name}.${port}`) ?? [],
    });
  }
  const shape: ApiNode = { name: node.name, type: node.type, inputs, outputs, exports: { ...node.exports } };
  // Beside the SPEC §4 fields: literal input values given with the node (a PatchNode's `path` …).
  if (Object.keys(node.args).length > 0) shape.args = { ...node.args };
  return shape;
}

/** One node as the API shows it (`GET /nodes/{name}`). */
export function toApiNode(graph: Graph, node: GraphNode): ApiNode {
  const sinks = new Map<string, ApiPort[]>();
  for (const c of graph.connections()) {
    if (c.source.node !== node.name) continue;
    const key = `${c.source.node}.${c.source.port}`;
    sinks.set(key, [...(sinks.get(key) ?? []), toApiPort(c.sink)]);
  }
  return buildNode(graph, node, sinks);
}

/**
 * A node just added, which has no connections yet: every source null and every sink list empty, so the
 * graph is not asked (a script of 3,000 `new`s looked up every input of every node, seen in profiles).
 */
export function toApiNewNode(node: GraphNode): ApiNode {
  return buildNode(null, node, NO_SINKS);
}

const NO_SINKS = new Map<string, ApiPort[]>();

/**
 * A maker of node shapes for many nodes of one unchanged graph (a batch's new nodes): the sinks are
 * computed once, on first use, instead of a pass over every connection per node.
 */
export function apiNodeMaker(graph: Graph): (node: GraphNode) => ApiNode {
  let sinks: Map<string, ApiPort[]> | undefined;
  return (node) => buildNode(graph, node, (sinks ??= sinksByOutput(graph)));
}

/** Every node (`GET /nodes`), computing the sinks once for the whole graph. */
export function toApiNodes(graph: Graph): ApiNode[] {
  const sinks = sinksByOutput(graph);
  return graph.nodes().map((node) => buildNode(graph, node, sinks));
}

/** A port with its declaration and links: what `eval node.port` answers. */
export type ApiPortInfo = (ApiInput | ApiOutput) & {
  direction: PortDirection;
  kind: PortKind;
  description: string;
  unit?: string;
  default?: PortSpec['default'];
};

export function toApiPortInfo(graph: Graph, ref: PortRef, direction: PortDirection): ApiPortInfo {
  const node = graph.node(ref.node);
  const spec = graph.port(ref, direction);
  const shape = buildNode(graph, node, sinksByOutput(graph));
  const port = (direction === 'input' ? shape.inputs : shape.outputs).find((p) => p.port_name === ref.port)!;
  return {
    ...port,
    direction,
    kind: spec.kind,
    description: spec.description,
    ...(spec.unit !== undefined ? { unit: spec.unit } : {}),
    ...(spec.default !== undefined ? { default: spec.default } : {}),
  };
}
