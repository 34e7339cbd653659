// A local copy of the server's graph for completion: kept from the WebSocket's hello and edit events
// (or a GET /nodes), rebuilt as a real Graph only when completion asks for it.

import type { ApiConnection, ApiNode, ServerMessage } from '../api/protocol.js';
import type { Graph } from '../engine/graph.js';
import type { NodeRegistry } from '../engine/registry.js';
import { mirrorGraph } from '../lang/mirror.js';
import { createRegistry } from '../synchrotron.js';

const key = (c: ApiConnection) =>
  `${c.source.node_name}.${c.source.port_name}>${c.sink.node_name}.${c.sink.port_name}`;

export class RemoteGraph {
  private readonly registry: NodeRegistry = createRegistry();
  private nodes = new Map<string, ApiNode>();
  private connections = new Map<string, ApiConnection>();
  private cached: Graph | null = null;

  /** All nodes as last seen, in insertion order. */
  list(): ApiNode[] {
    return [...this.nodes.values()];
  }

  /** Replaces everything with a full listing (GET /nodes). */
  reset(nodes: ApiNode[]): void {
    this.nodes = new Map(nodes.map((node) => [node.name, node]));
    this.connections = new Map();
    for (const node of nodes) {
      for (const input of node.inputs) {
        if (input.source) {
          const connection = {
            source: input.source,
            sink: { node_name: node.name, port_name: input.port_name },
          };
          this.connections.set(key(connection), connection);
        }
      }
    }
    this.cached = null;
  }

  /** Follows one pushed event. */
  apply(message: ServerMessage): void {
    switch (message.type) {
      case 'hello':
        this.reset(message.nodes);
        for (const connection of message.connections) this.connections.set(key(connection), connection);
        break;
      case 'nodeAdded':
      case 'nodeChanged':
        this.nodes.set(message.node.name, message.node);
        break;
      case 'nodeRemoved':
        this.nodes.delete(message.name);
        for (const [k, c] of this.connections) {
          if (c.source.node_name === message.name || c.sink.node_name === message.name)
            this.connections.delete(k);
        }
        break;
      case 'nodeRenamed': {
        const node = this.nodes.get(message.from);
        if (node) {
          this.nodes.delete(message.from);
          this.nodes.set(message.to, { ...node, name: message.to });
        }
        for (const [k, c] of [...this.connections]) {
          if (c.source.node_name !== message.from && c.sink.node_name !== message.from) continue;
          this.connections.delete(k);
          const renamed = {
            source: c.source.node_name === message.from ? { ...c.source, node_name: message.to } : c.source,
            sink: c.sink.node_name === message.from ? { ...c.sink, node_name: message.to } : c.sink,
          };
          this.connections.set(key(renamed), renamed);
        }
        break;
      }
      case 'linked':
        this.connections.set(key(message.connection), message.connection);
        break;
      case 'unlinked':
        this.connections.delete(key(message.connection));
        break;
      case 'exports': {
        const node = this.nodes.get(message.name);
        if (node) this.nodes.set(message.name, { ...node, exports: { ...node.exports, ...message.exports } });
        break;
      }
      default:
        return;
    }
    this.cached = null;
  }

  /** The graph as a Graph of the local node types (types this console does not know are left out). */
  graph(): Graph {
    if (this.cached) return this.cached;
    const graph = mirrorGraph(this.registry, this.nodes.values(), this.connections.values());
    this.cached = graph;
    return graph;
  }
}
