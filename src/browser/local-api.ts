// The server's HTTP routes, answered by a browser engine in the page: the same calls and JSON shapes
// (SPEC §4) as web/src/api.ts makes over HTTP, so the editor's local mode can swap one object for the other.
// Errors are SynchrotronErrors (`code` says which HTTP status the server would answer; SynchrolangErrors
// carry `line` and `column`) — thrown as rejected promises, like a failed request.

import type { ApiConnection, ApiNode, EngineStatus } from '../api/protocol.js';
import type { NodeTypeInfo } from '../engine/registry.js';
import { type ExecuteResult, fromApiPort, toApiConnection, toApiNode } from '../lang/index.js';
import type { BrowserEngine } from './engine.js';

/** The HTTP status the server answers for an error code (for clients that show or branch on it). */
export const STATUS_OF_CODE: Record<string, number> = {
  unknown_type: 404,
  unknown_node: 404,
  unknown_port: 404,
  invalid: 422,
  conflict: 409,
  syntax: 400,
  io: 500,
};

export interface LocalApi {
  types(): Promise<NodeTypeInfo[]>;
  status(): Promise<EngineStatus>;
  nodes(): Promise<ApiNode[]>;
  node(name: string): Promise<ApiNode>;
  connections(): Promise<ApiConnection[]>;
  addNode(type: string, name?: string): Promise<ApiNode>;
  removeNode(name: string): Promise<ApiNode>;
  renameNode(name: string, to: string): Promise<ApiNode>;
  setValue(name: string, value: unknown): Promise<ApiNode>;
  link(connection: ApiConnection): Promise<ApiConnection>;
  unlink(connection: ApiConnection): Promise<ApiConnection | null>;
  start(): Promise<null>;
  stop(): Promise<null>;
  clear(): Promise<number>;
  exportScript(): Promise<string>;
  execute(script: string): Promise<ExecuteResult>;
  /** POST /midi: raw bytes to the virtual port, time in ms on performance.now()'s clock. */
  midi(data: number[], time?: number): Promise<null>;
}

/** The HTTP API of a server, served by `engine` without one. */
export function localApi(engine: BrowserEngine): LocalApi {
  const graph = engine.graph;
  // Every call answers asynchronously, as over HTTP, and a throw becomes a rejection.
  const answer = <T>(fn: () => T): Promise<T> => {
    try {
      return Promise.resolve(fn());
    } catch (error) {
      return Promise.reject(error);
    }
  };
  return {
    types: () => answer(() => engine.registry.names().map((type) => engine.registry.info(type))),
    status: () => answer(() => engine.status()),
    nodes: () => answer(() => graph.nodes().map((node) => toApiNode(graph, node))),
    node: (name) => answer(() => toApiNode(graph, graph.node(name))),
    connections: () => answer(() => graph.connections().map(toApiConnection)),
    addNode: (type, name) => answer(() => toApiNode(graph, graph.addNode(type, name))),
    removeNode: (name) =>
      answer(() => {
        const before = toApiNode(graph, graph.node(name));
        graph.removeNode(name);
        return before;
      }),
    renameNode: (name, to) => answer(() => toApiNode(graph, graph.renameNode(name, to))),
    setValue: (name, value) =>
      answer(() => toApiNode(graph, graph.setValue(name, value as Parameters<typeof graph.setValue>[1]))),
    link: (connection) =>
      answer(() => toApiConnection(graph.link(fromApiPort(connection.source), fromApiPort(connection.sink)))),
    unlink: (connection) =>
      answer(() => {
        const removed = graph.unlink(fromApiPort(connection.source), fromApiPort(connection.sink));
        return removed ? toApiConnection(removed) : null;
      }),
    start: () => answer(() => nothing(() => engine.start())),
    stop: () => answer(() => nothing(() => engine.stop())),
    clear: () => answer(() => graph.clear()),
    exportScript: () => answer(() => engine.export()),
    execute: (script) => answer(() => engine.execute(script)),
    midi: (data, time) => answer(() => nothing(() => engine.midi(data, time))),
  };
}

/** Runs `action`; the routes that answer no body answer null. */
function nothing(action: () => void): null {
  action();
  return null;
}
